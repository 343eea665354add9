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


def test_terminal_output_reads_as_a_terminal_shows_it():
    # man and nroff write bold as N\bN and underline as _\bN; groff's default and coloured logs write escape codes.
    raw = "N\bNA\bAM\bME\bE\n     kbtool \x1b[1m--config\x1b[0m _\bf_\bi_\bl_\be\n\x1b]0;title\x07\x1b[31mERROR\x1b[0m ok\n"
    assert clean_text(raw) == "NAME\nkbtool --config file\nERROR ok"


def test_lines_a_width_broke_are_joined_again_in_wrapped_formats_only():
    raw = ("Kundintimitet bygger på att företaget känner sina kunder och\n"
           "deras behov. Documentation collec\u2010\ntions are indexed, and the self-\n"
           "service portal's docu-\nmentation too.\nNästa stycke börjar här.\n"
           "Region | Försäljning i hela regionen och mer\nsverige | 1 200")
    assert clean_text(raw, wrapped=True).split("\n") == [
        "Kundintimitet bygger på att företaget känner sina kunder och deras behov. Documentation collections are"
        " indexed, and the self-service portal's documentation too.",
        "Nästa stycke börjar här.",
        "Region | Försäljning i hela regionen och mer", "sverige | 1 200"]  # table rows stay rows
    # A format whose lines are its paragraphs (HTML, DOCX) keeps them.
    assert clean_text("Första stycket är långt nog att se brutet ut\nandra stycket", wrapped=False).count("\n") == 1


def test_a_soft_hyphen_at_a_line_end_joins_the_word_it_broke_in_any_format():
    assert clean_text("återbeta\u00ad\nlningar görs") == "återbetalningar görs"


def test_recurring_sentences_labels_and_rows_are_text_not_boilerplate():
    raw = "open()\nOpens it.\nReturns:\nNone.\n" * 3 + "Dela på Facebook\n" * 3
    cleaned = clean_text(raw)
    assert cleaned.count("None.") == 3 and cleaned.count("Returns:") == 3 and "Dela på Facebook" not in cleaned


def test_ligatures_are_the_letters_they_join():
    assert clean_text("con\ufb01guration \ufb02ow e\ufb00ect") == "configuration flow effect"


@pytest.mark.timeout(60)  # joined piece by piece, a book-long paragraph costs time linear in its length
def test_joining_a_book_of_wrapped_lines_stays_linear():
    line = "kunder som stoler på deg kommer tilbake igjen og igjen, sier hun"
    text = clean_text("Start.\n" + f"{line}\n" * 150_000, wrapped=True)
    assert text.count("\n") == 1 and text.endswith("sier hun")


def test_a_code_mark_without_its_partner_marks_nothing_and_is_not_kept():
    from ingest.cleaning import clean
    from ingest.loaders.base import CODE_END, CODE_START

    for raw in (f"Kunden {CODE_END}är kung.", f"Kunden {CODE_START}är kung.", f"{CODE_END}Kunden {CODE_START}är kung."):
        assert clean(raw) == clean("Kunden är kung.")
