"""Cleaning normalises Unicode and whitespace and removes placeholder and repeated boilerplate lines."""
from __future__ import annotations

import unicodedata

from ingest.cleaning import clean_text


def test_nfc_and_whitespace():
    decomposed = unicodedata.normalize("NFD", "Kundintimitet är\u00a0viktig.\r\n\r\n\r\n\r\nNästa   stycke.\u200b")
    cleaned = clean_text(decomposed)
    assert cleaned == "Kundintimitet är viktig.\n\nNästa stycke."
    assert unicodedata.is_normalized("NFC", cleaned)


def test_placeholder_lines_are_removed(seeds_dir):
    raw = (seeds_dir / "002_2866088025c4b51b.txt").read_text(encoding="utf-8")
    assert raw.count("Your Content Goes Here") == 3
    cleaned = clean_text(raw)
    assert "Your Content Goes Here" not in cleaned
    assert "Kundintimitet är ett av tre kärnelement" in cleaned


def test_repeated_short_lines_are_boilerplate_but_prose_stays():
    raw = "Dela på Facebook\nEn riktig mening om kunder.\nDela på Facebook\nEn annan mening.\nDela på Facebook\n"
    cleaned = clean_text(raw)
    assert "Dela på Facebook" not in cleaned
    assert "En riktig mening om kunder." in cleaned and "En annan mening." in cleaned
