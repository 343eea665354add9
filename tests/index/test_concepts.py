"""The concept layer: catalogue validation, multilingual lookup, grounding in the seeds, exports."""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from index.concepts import (
    ConceptIndex,
    build_concept_index,
    check,
    concepts_in_text,
    ground,
    load_catalogue,
    load_or_build_concept_index,
    lookup,
    to_markdown,
    to_skos_jsonld,
)
from index.embedders import get_embedder
from index.errors import CatalogueError, InvalidQuery, NotFound
from index.concepts import labelcache as caches

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

REQUIRED_FAMILIES = {
    "value-disciplines": "value-disciplines",
    "operational-excellence": "value-disciplines",
    "product-leadership": "value-disciplines",
    "customer-intimacy": "value-disciplines",
    "collective-intimacy": "value-disciplines",
    "customer-journey": "customer-journey",
    "recognize": "customer-journey",
    "request": "customer-journey",
    "respond": "customer-journey",
    "repeat": "customer-journey",
    "connected-customer-experiences": "connected-customer-experiences",
    "respond-to-desire": "connected-customer-experiences",
    "curated-offering": "connected-customer-experiences",
    "coach-behavior": "connected-customer-experiences",
    "automatic-execution": "connected-customer-experiences",
    "customer-lock-on": "customer-lock-on",
    "customer-lock-in": "customer-lock-in",
    "customer-loyalty": "customer-loyalty",
    "customer-experience": "customer-experience",
    "personalization": "personalization",
}


@dataclass(frozen=True)
class Chunk:
    chunk_id: int
    doc_id: str
    lang: str
    text: str


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="module")
def embedder():
    return get_embedder()


@pytest.fixture(scope="module")
def concept_index(catalogue, embedder):
    return build_concept_index(catalogue, embedder)


def _paragraphs(text: str) -> list[str]:
    # Seed lines are often single sentences or bullets; merge them up to paragraph size.
    paras, buf = [], ""
    for line in (ln.strip() for ln in text.splitlines()):
        if line:
            buf = f"{buf}\n{line}".strip()
        if buf and (len(buf) >= 200 or not line):
            paras.append(buf)
            buf = ""
    return paras + ([buf] if buf else [])


@pytest.fixture(scope="module")
def seed_chunks(embedder):
    meta = json.loads((SEEDS / "metadata.json").read_text(encoding="utf-8"))
    chunks: list[Chunk] = []
    for path in sorted(SEEDS.glob("*.txt")):
        for para in _paragraphs(path.read_text(encoding="utf-8")):
            chunks.append(Chunk(len(chunks), path.stem, meta[path.name]["lang"], para))
    vectors = embedder.embed_passages([c.text for c in chunks])
    return chunks, vectors


@pytest.fixture(scope="module")
def groundings(catalogue, concept_index, seed_chunks):
    chunks, vectors = seed_chunks
    return ground(catalogue, chunks, vectors, concept_index)


# ---------------------------------------------------------------- catalogue


def test_bundled_catalogue_loads(catalogue):
    assert 35 <= len(catalogue) <= 60
    assert {"en", "no", "sv", "nl", "da", "de", "fr"} <= set(catalogue.languages())
    assert all(c.labels.get("en") and c.definition for c in catalogue)


@pytest.mark.parametrize("concept_id,family", sorted(REQUIRED_FAMILIES.items()))
def test_required_concepts_and_families(catalogue, concept_id, family):
    assert concept_id in catalogue
    assert catalogue.family(concept_id) == family


def test_relations_and_helpers(catalogue):
    assert "customer-lock-in" in catalogue.get("customer-lock-on").contrasts
    assert "customer-intimacy" in catalogue.get("collective-intimacy").related
    assert set(catalogue.children("customer-journey")) >= {"recognize", "request", "respond", "repeat"}
    assert catalogue.label("customer-intimacy", "de") == "Kundennähe"
    assert catalogue.label("recognize", "nb") == "Gjenkjenne"
    assert catalogue.label("customer-intimacy", "xx") == "Customer intimacy"
    with pytest.raises(NotFound):
        catalogue.family("no-such-concept")
    terms = {(t.lang, t.text) for t in catalogue.all_terms()}
    assert {("sv", "Operativ Excellence"), ("sv", "Produktledning"), ("sv", "kundens intimitet"),
            ("no", "Be om"), ("no", "Treneradferd")} <= terms


def _write(tmp_path: Path, concepts: str) -> Path:
    path = tmp_path / "catalogue.yaml"
    path.write_text("concepts:\n" + concepts, encoding="utf-8")
    return path


_OK = """
  - id: parent
    labels: {en: Parent}
    definition: A parent.
"""


@pytest.mark.parametrize("yaml_text,message", [
    (_OK + """
  - id: child
    broader: nowhere
    labels: {en: Child}
    definition: A child.
""", "'child' has unknown parent"),
    (_OK + """
  - id: child
    labels: {en: Child}
    definition: A child.
    related: [ghost]
""", "'child' has unknown related id 'ghost'"),
    (_OK + """
  - id: child
    labels: {en: Child}
    definition: A child.
    contrasts: [ghost]
""", "'child' has unknown contrasts id 'ghost'"),
    (_OK + _OK, "duplicate concept id 'parent'"),
    (_OK + """
  - id: child
    labels: {"no": Barn}
    definition: A child.
""", "'child': missing English label"),
    (_OK + """
  - id: Not_Kebab
    labels: {en: Bad}
    definition: Bad id.
""", "'Not_Kebab' is not kebab-case"),
    ("""
  - id: a
    broader: b
    labels: {en: A}
    definition: A.
  - id: b
    broader: a
    labels: {en: B}
    definition: B.
""", "cycle of parents"),
])
def test_catalogue_validation_errors(tmp_path, yaml_text, message):
    with pytest.raises(CatalogueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_catalogue(_write(tmp_path, yaml_text))


def test_small_catalogue_folds_norwegian_codes(tmp_path):
    small = load_catalogue(_write(tmp_path, _OK + """
  - id: child
    broader: parent
    labels: {en: Child, nb: Barn}
    aliases: {nn: [Born]}
    definition: A child.
"""))
    assert small.family("child") == "parent"
    assert small.children("parent") == ["child"]
    assert small.label("child", "no") == "Barn"
    assert ("no", "Born") in {(t.lang, t.text) for t in small.all_terms()}


def test_missing_file_is_a_catalogue_error(tmp_path):
    with pytest.raises(CatalogueError):
        load_catalogue(tmp_path / "absent.yaml")


# ---------------------------------------------------------------- lookup


@pytest.mark.parametrize("query,expected,label", [
    ("customer intimacy", "customer-intimacy", "Customer intimacy"),
    ("Kundeintimitet", "customer-intimacy", "Kundeintimitet"),
    ("kundintimitet", "customer-intimacy", "Kundintimitet"),
    ("Operativ Excellence", "operational-excellence", "Operativ excellens"),
    ("Produktledning", "product-leadership", "Produktledarskap"),
    ("Gjenkjenne", "recognize", "Gjenkjenne"),
    ("Treneradferd", "coach-behavior", "Treneradferd"),
    ("klantintimiteit", "customer-intimacy", "Klantintimiteit"),
    ("Kundennähe", "customer-intimacy", "Kundennähe"),
    ("Kundenreise", "customer-journey", "Kundenreise"),
    ("kunderejse", "customer-journey", "Kunderejse"),
    ("intimité client", "customer-intimacy", "Intimité client"),
    ("parcours client", "customer-journey", "Parcours client"),
    ("lock-in", "customer-lock-in", "Customer lock-in"),
])
def test_exact_lookup_in_many_languages(concept_index, embedder, query, expected, label):
    best = lookup(concept_index, query, embedder=embedder)[0]
    assert (best.id, best.via, best.score, best.label) == (expected, "exact", 1.0, label)
    assert best.family == concept_index.catalogue.family(expected)


@pytest.mark.parametrize("query,expected", [
    ("KUNDENNAHE", "customer-intimacy"),
    ("intimite client", "customer-intimacy"),
    ("Vaerdidiscipliner", "value-disciplines"),
    ("lockin", "customer-lock-in"),
    ("Lock On", "customer-lock-on"),
    ("kunde intimitet", "customer-intimacy"),
])
def test_lookup_folds_accents_case_and_hyphens(concept_index, embedder, query, expected):
    best = lookup(concept_index, query, embedder=embedder)[0]
    assert (best.id, best.via) == (expected, "exact")


@pytest.mark.parametrize("query,expected", [
    ("custmer intimacy", "customer-intimacy"),
    ("customer loyality", "customer-loyalty"),
    ("Kundenintimitaet", "customer-intimacy"),
    ("kundereisene", "customer-journey"),
    ("operasjonel fortreffelighet", "operational-excellence"),
    ("kundelojalitetsprogram", "customer-loyalty"),
])
def test_fuzzy_lookup_typos_and_inflections(concept_index, embedder, query, expected):
    best = lookup(concept_index, query, embedder=embedder)[0]
    assert (best.id, best.via) == (expected, "fuzzy")
    assert 0.6 < best.score < 1.0


@pytest.mark.parametrize("query,expected", [
    ("what is customer lock-on?", "customer-lock-on"),
    ("Hva betyr kundelojalitet i endringstider?", "customer-loyalty"),
    ("Wie hängt Kundennähe mit Daten zusammen?", "customer-intimacy"),
])
def test_lookup_finds_a_label_inside_a_sentence(concept_index, embedder, query, expected):
    matches = lookup(concept_index, query, embedder=embedder)
    assert matches[0].id == expected and matches[0].via == "fuzzy"


@pytest.mark.parametrize("query,term", [
    ("lock-in", "lock-in"),  # an alias: the reader sees what matched, not only the concept's label
    ("kunde intimitet", "Kundeintimitet"),
    ("what is customer lock-on?", "Customer lock-on"),  # spelt as the query spells it, not the alias lockon
    ("kundelojalitetsprogram", "Kundelojalitet"),
])
def test_a_match_names_the_label_or_alias_it_matched(concept_index, embedder, query, term):
    matches = lookup(concept_index, query, k=3, embedder=embedder)
    assert matches[0].term == term
    assert all(m.term is None for m in matches if m.via == "embedding")


def test_lock_on_is_not_confused_with_lock_in(concept_index, embedder):
    ids = [m.id for m in lookup(concept_index, "what is customer lock-on?", k=3, embedder=embedder)]
    assert ids[0] == "customer-lock-on"
    matches = lookup(concept_index, "customer lock-on", k=3, embedder=embedder)
    assert [m.via for m in matches if m.id == "customer-lock-in"] in ([], ["embedding"])


@pytest.mark.parametrize("query,expected", [
    ("how do companies keep customers coming back", "customer-loyalty"),
    ("tailoring products to individual customers", "personalization"),
    ("Wettbewerbsvorsprung", "competitive-advantage"),
])
def test_embedding_lookup_for_unlisted_wordings(concept_index, embedder, query, expected):
    assert expected in [m.id for m in lookup(concept_index, query, k=3, embedder=embedder)]


def test_lookup_scores_are_ranked_and_bounded(concept_index, embedder):
    matches = lookup(concept_index, "Kundennähe", k=5, embedder=embedder)
    assert len(matches) == 5 and len({m.id for m in matches}) == 5
    scores = [m.score for m in matches]
    assert scores == sorted(scores, reverse=True) and all(0.0 <= s <= 1.0 for s in scores)
    assert {m.via for m in matches[1:]} == {"embedding"}


def test_lookup_rejects_bad_input(concept_index, embedder):
    assert lookup(concept_index, "  ?! ", embedder=embedder) == []
    with pytest.raises(InvalidQuery):
        lookup(concept_index, "loyalty", k=0, embedder=embedder)


def test_concepts_in_text(catalogue):
    text = "Kundereisen har tre faser: Gjenkjenne, Be om og Svar. Customer lock-on slår lock-in."
    ids = concepts_in_text(catalogue, text)
    assert {"customer-journey", "recognize", "request", "respond", "customer-lock-on", "customer-lock-in"} <= set(ids)
    # The longest wording wins: "Svar på ønsket" is respond-to-desire, not the respond stage.
    assert concepts_in_text(catalogue, "Dermed jevner respons-til-ønske ut 'Svar'") == ["respond", "respond-to-desire"]
    assert concepts_in_text(catalogue, "De Svar på ønsket er raske") == ["respond-to-desire"]
    assert concepts_in_text(catalogue, "nothing relevant here") == []


def test_a_noun_term_is_found_inflected_and_a_verb_only_as_written(catalogue, concept_index, embedder):
    from index.concepts.text import TermSpotter
    spotter = TermSpotter.for_catalogue(catalogue)
    found = spotter.find("Kundeopplevelsene ble bedre, as customer experience mappings show.")
    assert [(o.folded, o.form, o.concept_ids) for o in found] == [
        ("kundeopplevelsene", "kundeopplevelse", ["customer-experience"]),
        ("customer experience mappings", "customer experience mapping", ["customer-experience-mapping"])]
    # A one-word label that may be a verb (svare, the respond stage) is matched as written, never in other forms.
    assert [o.folded for o in spotter.find("Vi svarer raskt, og vi skal svare")] == ["svare"]
    # Words are never joined into an inflected form: "kundintimitet är" is the term and a verb, not kundintimitet-ar.
    assert [(o.folded, o.form) for o in spotter.find("Kundintimitet är viktig")] == [("kundintimitet", "kundintimitet")]
    # A look-up names the term an inflected form matched, as the catalogue writes it.
    best = lookup(concept_index, "kundeopplevelsene", embedder=embedder)[0]
    assert (best.id, best.via, best.term) == ("customer-experience", "fuzzy", "Kundeopplevelse")


def test_spotters_of_edited_catalogues_are_not_kept_forever(catalogue):
    # Every concept edit makes a catalogue of a new digest; a served process lives through thousands of them.
    from index.concepts.text import _SPOTTERS, TermSpotter

    edits = [dataclasses.replace(catalogue, digest=f"edit-{n}") for n in range(12)]
    spotters = [TermSpotter.for_catalogue(edit) for edit in edits]
    assert len(_SPOTTERS) <= 4 and "edit-11" in _SPOTTERS
    assert TermSpotter.for_catalogue(edits[-1]) is spotters[-1]  # the current one is built once
    assert [list(o.concept_ids) for o in spotters[0].find("customer lock-on")] == [["customer-lock-on"]]


def test_concept_index_cache_roundtrip_and_staleness(tmp_path, catalogue, concept_index, embedder):
    path = tmp_path / "concepts.npz"
    concept_index.save(path)
    assert path.stat().st_mode & 0o777 == 0o644  # a cache other processes and users read
    loaded = ConceptIndex.load(path, catalogue)
    assert loaded is not None and loaded.is_fresh(catalogue, embedder.name)
    assert np.allclose(loaded.term_vectors, concept_index.term_vectors)
    assert lookup(loaded, "Treneradferd", embedder=embedder)[0].id == "coach-behavior"
    assert not loaded.is_fresh(catalogue, "another-embedder")

    small = load_catalogue(_write(tmp_path, _OK))
    assert ConceptIndex.load(path, small) is None
    rebuilt = load_or_build_concept_index(small, embedder, path)
    assert rebuilt.concept_ids == ["parent"] and ConceptIndex.load(path, small) is not None
    assert load_or_build_concept_index(small, embedder, path).catalogue_digest == small.digest



def test_label_vector_cache_files_name_the_embedder_and_every_embedded_text(tmp_path):
    # A cache folder may serve every index of the machine: catalogues with other texts never share a file.
    child = "\n  - id: child\n    broader: parent\n    labels: {en: Child}\n    definition: A child.\n"
    for name in ("small", "linked", "unlinked"):
        (tmp_path / name).mkdir()
    small = load_catalogue(_write(tmp_path / "small", _OK))
    linked = load_catalogue(_write(tmp_path / "linked", _OK + child))
    unlinked = load_catalogue(_write(tmp_path / "unlinked", _OK + child.replace("    broader: parent\n", "")))
    cache, file = tmp_path / "cache", caches.concept_cache_file
    assert linked.digest != unlinked.digest and file(cache, linked, "hash:64") == file(cache, unlinked, "hash:64")
    assert file(cache, linked, "hash:64") != file(cache, small, "hash:64")
    assert file(cache, linked, "hash:64") != file(cache, linked, "hash:32")

    embedder = get_embedder("hash:64")
    built = caches.concept_index(linked, embedder, cache)
    assert built.is_fresh(linked, embedder.name) and file(cache, linked, embedder.name).exists()
    assert caches.concept_index(small, embedder, cache).concept_ids == ["parent"]
    assert ConceptIndex.load(file(cache, linked, embedder.name), linked) is not None  # not overwritten


# ---------------------------------------------------------------- grounding


@pytest.mark.parametrize("where", ["this process", "the cache folder"])
def test_an_edited_catalogue_embeds_only_the_texts_it_changed(tmp_path, monkeypatch, catalogue, where):
    embedder, embedded = get_embedder("hash:64"), []
    encode = embedder.embed_queries
    monkeypatch.setattr(embedder, "embed_queries", lambda texts: embedded.extend(texts) or encode(texts))
    monkeypatch.setattr(caches, "_CONCEPT_INDEXES", {})
    first = caches.concept_index(catalogue, embedder, tmp_path / "cache")
    if where == "the cache folder":  # a runner started afresh (killed, restarted) remembers nothing itself
        caches._CONCEPT_INDEXES.clear()
    concept = catalogue.get("customer-loyalty")
    changed = dataclasses.replace(concept, labels={**concept.labels, "sv": "Kundlojalitet (ny)"})
    edited = dataclasses.replace(catalogue, concepts={**catalogue.concepts, "customer-loyalty": changed},
                                 digest="edited")
    embedded.clear()
    index = caches.concept_index(edited, embedder, tmp_path / "cache")
    assert embedded == ["Kundlojalitet (ny)"] and index.is_fresh(edited, embedder.name)
    assert np.array_equal(index.vectors()["Customer loyalty"], first.vectors()["Customer loyalty"])


def test_every_required_concept_is_grounded(catalogue, groundings, seed_chunks):
    chunks, _ = seed_chunks
    assert not set(check(catalogue, groundings)) & set(REQUIRED_FAMILIES)
    for cid in REQUIRED_FAMILIES:
        assert groundings[cid], cid
        for g in groundings[cid]:
            text = chunks[g.chunk_id].text
            assert text[g.start:g.end] == g.sentence and g.sentence.strip()
            assert g.via in ("label", "embedding") and 0.0 <= g.score <= 1.0


def test_grounding_cites_the_right_documents(groundings):
    docs = {cid: {g.doc_id[:3] for g in gs} for cid, gs in groundings.items()}
    assert "004" in docs["customer-lock-on"]
    assert "002" in docs["operational-excellence"]
    assert "001" in docs["coach-behavior"]
    assert "003" in docs["customer-loyalty"]
    assert "000" in docs["human-touch"]
    embedded = [g for gs in groundings.values() for g in gs if g.via == "embedding"]
    assert embedded and len(embedded) <= 3 * len(groundings)


def test_grounding_follows_added_and_removed_passages(catalogue, concept_index, embedder, seed_chunks, groundings):
    chunks, vectors = seed_chunks
    extra = Chunk(len(chunks), "new-de", "de", "Kunden-Lock-in durch hohe Wechselkosten hält Kunden gegen ihren "
                  "Willen fest; freiwillige Kundenbindung entsteht dagegen durch echten Mehrwert.")
    grown = ground(catalogue, [*chunks, extra], np.vstack([vectors, embedder.embed_passages([extra.text])]),
                   concept_index)
    assert "new-de" in {g.doc_id for g in grown["customer-lock-in"]}
    assert "new-de" not in {g.doc_id for g in groundings["customer-lock-in"]}

    keep = [i for i, c in enumerate(chunks) if not c.doc_id.startswith("004")]
    shrunk = ground(catalogue, [chunks[i] for i in keep], vectors[keep], concept_index)
    assert all(not g.doc_id.startswith("004") for gs in shrunk.values() for g in gs)
    assert len(shrunk["customer-lock-on"]) < len(groundings["customer-lock-on"])


def test_no_passages_ground_nothing(catalogue, concept_index):
    empty = ground(catalogue, [], np.zeros((0, 384), np.float32), concept_index)
    assert check(catalogue, empty) == list(catalogue.concepts)


def test_grounding_refuses_an_index_of_another_catalogue(tmp_path, concept_index, seed_chunks):
    chunks, vectors = seed_chunks
    with pytest.raises(CatalogueError):
        ground(load_catalogue(_write(tmp_path, _OK)), chunks, vectors, concept_index)


# ---------------------------------------------------------------- exports


def test_skos_jsonld_export(catalogue):
    doc = json.loads(json.dumps(to_skos_jsonld(catalogue), ensure_ascii=False))
    assert doc["@context"]["skos"] == "http://www.w3.org/2004/02/skos/core#"
    nodes = {n["notation"]: n for n in doc["@graph"] if n["@type"] == "skos:Concept"}
    assert set(nodes) == set(catalogue.concepts)
    schemes = [n for n in doc["@graph"] if n["@type"] == "skos:ConceptScheme"]
    assert len(schemes) == 1 and len(schemes[0]["hasTopConcept"]) >= 5
    for cid, node in nodes.items():
        assert any(lab["@language"] == "en" for lab in node["prefLabel"]), cid
        assert node["definition"][0]["@value"]
    lock_on = nodes["customer-lock-on"]
    assert lock_on["contrasts"] == [nodes["customer-lock-in"]["@id"]]
    assert nodes["customer-journey"]["narrower"] and nodes["recognize"]["broader"]


def test_markdown_export(catalogue, groundings):
    text = to_markdown(catalogue, groundings)
    for concept in catalogue:
        assert f"`{concept.id}`" in text and concept.labels["en"] in text
    assert "## Value disciplines" in text and "Cited passages" in text
    assert "Cited passages" not in to_markdown(catalogue)
