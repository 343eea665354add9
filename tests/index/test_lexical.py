"""Per-language analysis: stems match inflections, queries keep bare words for names."""
from __future__ import annotations

from index.lexical import analyze, analyze_query


def test_stemming_per_language():
    assert analyze("kundernas förtroende", "sv") == analyze("kunderna förtroendet", "sv")[:1] + analyze("förtroende", "sv")
    assert analyze("klanten", "nl") == analyze("klant", "nl")
    assert "lock-on" in analyze("Customer lock-on", "en") and "lock" in analyze("Customer lock-on", "en")


def test_query_keeps_bare_words_for_names():
    terms = analyze_query("Disney pricing", "en")
    assert "disney" in terms and "pricing" in terms and "price" in terms

