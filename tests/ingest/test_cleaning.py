"""Cleaning normalises Unicode and whitespace and removes placeholder and repeated boilerplate lines."""
from __future__ import annotations

import unicodedata

import pytest

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



# 250,000 alternating marks on one letter (1 MB) took NFC past a worker's 120 s timeout; the timeout only keeps a
# regression from hanging the run (bounded, it takes milliseconds).
@pytest.mark.timeout(60)
def test_a_letter_keeps_at_most_sixteen_combining_marks_so_nfc_stays_linear():
    text = clean_text("Ord " * 10 + "a" + "\u0301\u0316" * 250_000 + " Kunder")
    assert text == "Ord " * 10 + unicodedata.normalize("NFC", "a" + "\u0301\u0316" * 8) + " Kunder"
    assert clean_text("Cafe\u0301 nai\u0308ve") == "Café naïve"  # ordinary marks still compose
