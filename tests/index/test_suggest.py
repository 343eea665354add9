"""Suggested concepts, as a pure function over a small corpus: characteristic terms, phrases, citations, exclusions."""
from __future__ import annotations

import numpy as np

from index.concepts import parse_catalogue
from index.concepts.suggest import Region, SourceDocument, reference_sample, suggest
from index.concepts.terms import occurrences

NEW = ("Das Dateisystem FAT ist alt. Ein FAT-Dateisystem kennt keine Rechte. Das Dateisystem FAT taugt für "
       "Wechseldatenträger. Wechseldatenträger mit dem Dateisystem FAT lesen alle Systeme.")
OLD = ("Das Paket wird mit apt installiert. Ein Paket hat Abhängigkeiten. Das System löst die Abhängigkeiten "
       "des Pakets auf, und das Paket läuft.")


def _doc(doc_id: str, text: str, lang: str = "de", chunk_id: int = 1) -> SourceDocument:
    return SourceDocument(doc_id, text, (Region(chunk_id, 0, len(text), lang),))


def test_terms_never_run_through_function_words_or_punctuation():
    found = {o.surface for o in occurrences("Das Dateisystem FAT, ein Dateisystem.", "de", frozenset({"das", "ein"}))}
    assert {"Dateisystem", "FAT", "Dateisystem FAT"} <= found
    assert not [f for f in found if "," in f or "ein" in f.split()]


def test_characteristic_terms_of_the_new_document_with_cited_passages():
    corpus = [_doc("new", NEW, chunk_id=1), _doc("old", OLD, chunk_id=2)]
    found = suggest(corpus, ["new"], None)
    labels = [s.labels["de"] for s in found]
    assert labels[0] in ("Dateisystem FAT", "Dateisystem")
    assert "Wechseldatenträger" in labels
    assert not [label for label in labels if "Paket" in label]  # the old document's terms are not suggested
    for s in found:
        for p in (p for t in s.terms for p in t.passages):
            assert p.chunk_id == 1 and NEW[p.start:p.end] == p.text


def test_terms_of_the_catalogue_are_not_suggested_again():
    catalogue = parse_catalogue({"concepts": [{"id": "removable-media", "broader": None,
                                               "labels": {"en": "Removable media", "de": "Wechseldatenträger"},
                                               "definition": "Storage one can unplug."}]})
    corpus = [_doc("new", NEW), _doc("old", OLD, chunk_id=2)]
    assert "Wechseldatenträger" not in [s.labels.get("de") for s in suggest(corpus, ["new"], catalogue)]


def test_terms_meaning_the_same_in_two_languages_are_one_suggestion():
    en = "The FAT filesystem is old. A FAT filesystem has no permissions. Removable disks use the FAT filesystem."
    corpus = [_doc("de", NEW, "de", 1), _doc("en", en, "en", 2), _doc("old", OLD, "de", 3)]
    vectors = {"fat": np.array([1.0, 0.0]), "other": np.array([0.0, 1.0])}

    def embed(labels):  # a stand-in for the embedder: every label naming FAT means the same
        return np.stack([vectors["fat" if "FAT" in label.upper() else "other"] for label in labels])

    found = suggest(corpus, ["de", "en"], None, embed=embed, chunk_vectors=lambda ids: np.ones((len(ids), 2)) / 2 ** 0.5)
    grouped = [s.labels for s in found if len(s.labels) == 2]
    assert grouped and all("FAT" in s["de"].upper() and "FAT" in s["en"].upper() for s in grouped)


def test_a_write_reads_the_new_documents_and_a_bounded_stable_sample_of_the_rest():
    corpus = [f"doc-{i}" for i in range(5000)]
    sample = reference_sample(corpus, ["doc-7", "doc-4000"], size=100)
    assert sample[:2] == ["doc-4000", "doc-7"] and len(sample) == 102 and len(set(sample)) == 102
    # The same others, write after write, whatever the order the ids come in or which document is new.
    again = reference_sample(list(reversed(corpus)), ["doc-9"], size=100)
    assert set(sample[2:]) - {"doc-9"} <= set(again[1:]) | {"doc-7", "doc-4000"}
    assert reference_sample(["a", "b"], ["a"], size=100) == ["a", "b"]
