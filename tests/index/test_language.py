"""Language detection: deterministic, ISO 639-1, Norwegian codes folded, short queries handled."""
from __future__ import annotations

import pytest

from index.language import UNKNOWN, detect, detect_query, normalize_lang


def test_normalize_folds_norwegian_and_regions():
    assert [normalize_lang(c) for c in ("nb", "NN", "no", "sv-SE", "nl_BE", None)] == ["no", "no", "no", "sv", "nl", UNKNOWN]


def test_document_detection_is_deterministic(seeds_dir):
    text = (seeds_dir / "004_d0c1bd57fb5bdf5c.txt").read_text(encoding="utf-8")
    assert {detect(text) for _ in range(5)} == {"nl"}
    assert detect("1234 5678") == UNKNOWN


@pytest.mark.parametrize("query, lang", [
    ("What is customer intimacy?", "en"),
    ("customer lock-on", "en"),
    ("Chatbots und algorithmische Empfehlungen im Kundenservice", "de"),
    ("de fyra typerna av uppkopplade kundupplevelser", "sv"),
    ("hoe leren van herhaalde interacties het bedrijf steeds beter maakt", "nl"),
    ("intimité client", "fr"),
])
def test_short_queries(query, lang):
    assert detect_query(query)[0] == lang


def test_corpus_vocabulary_rescues_unknown_compounds():
    vocabularies = {"sv": frozenset({"kundintimitet", "och"}), "no": frozenset({"kundereise"})}
    assert detect_query("kundintimitet", vocabularies)[0] == "sv"
