"""SKOS in and out: one mapping, JSON-LD and Turtle, validated import, graph-identical round trips."""
from __future__ import annotations

import json

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from index import versions
from index.__main__ import main
from index.concepts import import_skos, load_catalogue, parse_skos, to_graph, to_skos_jsonld, to_turtle
from index.concepts.edit import MAX_ALIASES, MAX_LABEL_CHARS
from index.concepts import skos
from index.concepts.skos import MAX_SKOS_BYTES
from index.errors import CatalogueError


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="module")
def turtle(catalogue) -> str:
    return to_turtle(catalogue)


def test_turtle_and_json_ld_are_the_same_graph(catalogue, turtle):
    from_jsonld = Graph().parse(data=json.dumps(to_skos_jsonld(catalogue)), format="json-ld")
    assert isomorphic(Graph().parse(data=turtle, format="turtle"), from_jsonld)
    assert "@prefix skos: <http://www.w3.org/2004/02/skos/core#>" in turtle
    assert 'skos:prefLabel' in turtle and '"Kundennähe"@de' in turtle


@pytest.mark.parametrize("fmt", ["turtle", "json-ld"])
def test_round_trip_of_the_shipped_catalogue_is_graph_identical(catalogue, turtle, fmt):
    text = turtle if fmt == "turtle" else json.dumps(to_skos_jsonld(catalogue), ensure_ascii=False)
    imported = import_skos(text, fmt)
    assert isomorphic(to_graph(catalogue), to_graph(imported))
    assert set(imported.concepts) == set(catalogue.concepts)
    assert imported.scheme == catalogue.scheme
    for concept in catalogue:
        again = imported.get(concept.id)
        assert again.labels == concept.labels and again.broader == concept.broader
        assert again.definition == concept.definition
        assert {k: sorted(v) for k, v in again.aliases.items()} == {k: sorted(v) for k, v in concept.aliases.items()}
        assert sorted(again.contrasts) == sorted(concept.contrasts)
    # and once more: export -> import -> export -> import changes nothing
    assert isomorphic(to_graph(imported), to_graph(import_skos(to_turtle(imported), "turtle")))


PREFIXES = """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <https://trainer.example/vocab/> .
"""


def _concept(local: str, en: str, extra: str = "") -> str:
    return (f'ex:{local} a skos:Concept ; skos:prefLabel "{en}"@en ; '
            f'skos:definition "About {en}."@en {extra}.\n')


def test_imports_a_foreign_vocabulary_without_notations():
    ttl = PREFIXES + 'ex:scheme a skos:ConceptScheme ; skos:prefLabel "Five forces"@en .\n' + \
        _concept("FiveForces", "Five forces", '; skos:prefLabel "Fünf Kräfte"@de') + \
        _concept("BuyerPower", "Buyer power", '; skos:broader ex:FiveForces ; skos:altLabel "Verhandlungsmacht der Abnehmer"@de')
    catalogue = import_skos(ttl, "turtle")
    assert list(catalogue.concepts) == ["buyer-power", "five-forces"]
    assert catalogue.get("buyer-power").broader == "five-forces"
    assert catalogue.label("five-forces", "de") == "Fünf Kräfte"
    assert catalogue.scheme == {"base": "https://trainer.example/vocab/", "id": "scheme", "title": "Five forces"}


@pytest.mark.parametrize("body, message", [
    (_concept("a", "A", "; skos:broader ex:b") + _concept("b", "B", "; skos:broader ex:a"), "'a' is in a cycle"),
    (_concept("a", "A") + _concept("b", "A"), "concept 'b' has the en label 'A' of concept 'a'"),
    (_concept("a", "A", '; skos:prefLabel "Other"@en'), "concept 'a': two prefLabels in language 'en'"),
    (_concept("a", "A", "; skos:broader ex:nowhere"), "concept 'a' has unknown parent (broader) 'nowhere'"),
    (_concept("a", "A", "; skos:related ex:ghost"), "concept 'a' has unknown related id 'ghost'"),
    (_concept("a", "A", '; skos:altLabel "Ding"@tlh'), "concept 'a': field 'aliases' has unknown language 'tlh'"),
    (_concept("a", "A", '; skos:altLabel "untagged"'), "concept 'a': altLabel 'untagged' has no language tag"),
    ('ex:a a skos:Concept ; skos:prefLabel "A"@en .\n', "concept 'a': field 'definitions.en' is required"),
    ('ex:a a skos:Concept ; skos:prefLabel "A"@de ; skos:definition "x"@en .\n', "concept 'a': field 'labels.en' is required"),
    ('ex:s a skos:ConceptScheme .\n', "no skos:Concept"),
])
def test_invalid_vocabularies_are_refused_naming_the_concept(body, message):
    with pytest.raises(CatalogueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        import_skos(PREFIXES + body, "turtle", source="vocab.ttl")


@pytest.mark.parametrize("text, fmt, message", [
    ("garbage {", "turtle", "not valid turtle"),
    ("{not json", "json-ld", "not JSON"),
    (json.dumps({"@context": "https://example.org/context.jsonld", "@id": "x"}), "json-ld", "remote JSON-LD"),
    ("[" * 100000 + "]" * 100000, "json-ld", "not JSON"),
    ("x", "rdf/xml", "format must be"),
])
def test_malformed_input_is_a_catalogue_error(text, fmt, message):
    with pytest.raises(CatalogueError, match=message):
        parse_skos(text, fmt)


def test_cli_import_check(tmp_path, turtle, capsys, monkeypatch):
    monkeypatch.setenv("KB_INDEX_DIR", str(tmp_path / "index"))
    good = tmp_path / "catalogue.ttl"
    good.write_text(turtle, encoding="utf-8")
    assert main(["concepts", "import", str(good), "--check"]) == 0
    assert "51 concepts" in capsys.readouterr().out
    bad = tmp_path / "cycle.ttl"
    bad.write_text(turtle.replace("skos:broader kb:customer-loyalty", "skos:broader kb:customer-churn"), encoding="utf-8")
    assert main(["concepts", "import", str(bad), "--check"]) == 1
    assert "customer-churn" in capsys.readouterr().err
    assert main(["concepts", "import", str(tmp_path / "missing.ttl"), "--check"]) == 1
    unknown = tmp_path / "vocab.xml"
    unknown.write_text("<rdf/>")
    assert main(["concepts", "import", str(unknown), "--check"]) == 2
    jsonld = tmp_path / "catalogue.jsonld"
    jsonld.write_text(json.dumps(to_skos_jsonld(load_catalogue())), encoding="utf-8")
    assert main(["concepts", "import", str(jsonld), "--check"]) == 0
    assert not (tmp_path / "index").exists()  # --check changes nothing


SMALL_TRIPLES, SMALL_CONCEPTS = 1000, 100


def _many_concepts(count: int) -> str:
    return PREFIXES + "".join(f'ex:c{i} a skos:Concept .\n' for i in range(count))


def _many_aliases(count: int) -> str:
    aliases = ", ".join(f'"alias {i}"@en' for i in range(count))
    return PREFIXES + _concept("a", "A", f"; skos:altLabel {aliases}")


# Every bad file is one `error:` line naming it and exit code 1, never a traceback (main would raise it here).
@pytest.mark.parametrize("name, content, message", [
    ("latin1.ttl", PREFIXES.encode() + _concept("a", "Kundnära").encode("latin-1"), "not UTF-8"),
    ("latin1.jsonld", b'{"@graph": "\xe9"}', "not UTF-8"),
    ("string.jsonld", b'"a string"', "must be an object or an array, not str"),
    ("null.jsonld", b"null", "must be an object or an array, not NoneType"),
    ("number.jsonld", b"5", "not int"),
    ("context.jsonld", b'{"@context": 5, "@graph": []}', "@context must be an object"),
    ("contexts.jsonld", b'{"@context": [{}, 5], "@graph": []}', "@context must be an object"),
    ("nested.jsonld", b'{"@graph": [{"@context": true, "@id": "x"}]}', "@context must be an object"),
    ("deep.jsonld", b"[" * 100_000 + b"]" * 100_000, "not JSON"),
    ("odd.jsonld", b'{"@id": {"@id": 5}}', ""),
    ("malformed.ttl", PREFIXES.encode() + b"ex:a a skos:Concept ; skos:prefLabel", "not valid turtle"),
    ("big.ttl", PREFIXES.encode() + b"#" * MAX_SKOS_BYTES, f"larger than {MAX_SKOS_BYTES} bytes"),
    ("triples.ttl", _many_aliases(SMALL_TRIPLES + 1).encode(), f"more than {SMALL_TRIPLES} triples"),
    ("concepts.ttl", _many_concepts(SMALL_CONCEPTS + 1).encode(), f"{SMALL_CONCEPTS + 1} concepts; a catalogue may"),
    ("aliases.ttl", _many_aliases(MAX_ALIASES + 1).encode(), f"at most {MAX_ALIASES} strings"),
    ("label.ttl", (PREFIXES + _concept("a", "A" * (MAX_LABEL_CHARS + 1))).encode(),
     f"'labels.en' is longer than {MAX_LABEL_CHARS} characters"),
])
def test_cli_refuses_every_bad_file_with_one_error_line(tmp_path, capsys, monkeypatch, name, content, message):
    monkeypatch.setenv("KB_INDEX_DIR", str(tmp_path / "index"))
    # The same refusals as at 200,000 triples and 10,000 concepts, in a fraction of a second.
    monkeypatch.setattr(skos, "MAX_SKOS_TRIPLES", SMALL_TRIPLES)
    monkeypatch.setattr(skos, "MAX_SKOS_CONCEPTS", SMALL_CONCEPTS)
    path = tmp_path / name
    path.write_bytes(content)
    assert main(["concepts", "import", str(path), "--check"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {name}: ") and err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "index").exists()


def _export(index_dir, fmt: str, capsys) -> str:
    capsys.readouterr()
    assert main(["--index-dir", str(index_dir), "concepts", "export", "--format", fmt]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("fmt, suffix", [("skos-turtle", "ttl"), ("skos-jsonld", "jsonld")])
def test_export_import_into_an_empty_index_export_again_is_graph_identical(tmp_path, capsys, catalogue, fmt, suffix):
    first = tmp_path / "first"
    shipped = tmp_path / f"shipped.{suffix}"
    shipped.write_text(to_turtle(catalogue) if suffix == "ttl" else json.dumps(to_skos_jsonld(catalogue)))
    assert main(["--index-dir", str(first), "concepts", "import", str(shipped)]) == 0
    assert "published v000001" in capsys.readouterr().out
    exported = tmp_path / f"exported.{suffix}"
    exported.write_text(_export(first, fmt, capsys), encoding="utf-8")
    second = tmp_path / "second"  # an empty index directory
    assert main(["--index-dir", str(second), "concepts", "import", str(exported)]) == 0
    again = _export(second, fmt, capsys)
    parse = "turtle" if suffix == "ttl" else "json-ld"
    assert isomorphic(Graph().parse(data=again, format=parse), Graph().parse(data=exported.read_text(), format=parse))
    assert isomorphic(Graph().parse(data=again, format=parse), to_graph(catalogue))
    # The same vocabulary again publishes nothing.
    assert main(["--index-dir", str(second), "concepts", "import", str(exported)]) == 0
    assert "nothing changed" in capsys.readouterr().out
    assert versions.published(second) == ["v000001"]


@pytest.mark.parametrize("broken, named", [
    (("skos:broader kb:customer-loyalty", "skos:broader kb:customer-churn"), "customer-churn"),
    (('"Kundintimitet"@sv', '"Kundlojalitet"@sv'), "'Kundlojalitet'"),
])
def test_an_invalid_vocabulary_is_refused_naming_the_concept_and_nothing_changes(tmp_path, capsys, turtle, broken,
                                                                                 named):
    index_dir = tmp_path / "index"
    good = tmp_path / "good.ttl"
    good.write_text(turtle, encoding="utf-8")
    assert main(["--index-dir", str(index_dir), "concepts", "import", str(good)]) == 0
    before = (versions.published(index_dir), _export(index_dir, "skos-turtle", capsys))
    bad = tmp_path / "bad.ttl"
    assert broken[0] in turtle
    bad.write_text(turtle.replace(*broken), encoding="utf-8")
    assert main(["--index-dir", str(index_dir), "concepts", "import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert named in err and "concept '" in err
    assert (versions.published(index_dir), _export(index_dir, "skos-turtle", capsys)) == before
