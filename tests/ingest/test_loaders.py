"""Each loader on a small real file of its format, and the failures each one must report."""
from __future__ import annotations

import pytest

from index.errors import DocumentError
from ingest.loaders import load_bytes

from .files import HTML_PAGE, make_docx, make_image_only_pdf, make_pdf


def test_plain_text_utf8_with_bom():
    assert load_bytes("\ufeffHej på dig".encode("utf-8"), "a.txt") == "Hej på dig"


def test_latin1_text_is_detected_and_decoded():
    text = "Kunden är kung. Förtroende måste vinnas om och om igen, säger försäljningschefen på företaget."
    assert load_bytes(text.encode("latin-1"), "legacy.txt") == text


def test_markdown_markup_is_stripped():
    raw = "# Rubrik\n\nSe **kundresan** och [boken](http://example.org).\n\n```\ncode()\n```\n"
    text = load_bytes(raw.encode(), "a.md")
    assert "Rubrik" in text and "kundresan" in text and "boken" in text
    assert "**" not in text and "http://example.org" not in text and "code()" not in text


def test_html_keeps_main_text_and_drops_navigation_and_scripts():
    text = load_bytes(HTML_PAGE.encode(), "page.html")
    assert "Kundlojalitet byggs genom att förstå kundens behov" in text
    assert "Data och analys" in text
    for junk in ("SECRET_SCRIPT_TEXT", "MORE_SCRIPT_TEXT", "NAVIGATION_MENU_TEXT", "FOOTER_COPYRIGHT_TEXT", "color: red"):
        assert junk not in text


def test_pdf_text_layer_is_extracted():
    data = make_pdf(["Customer lock-on is not lock-in.", "Klanten blijven omdat ze dat willen."])
    text = load_bytes(data, "paper.pdf")
    assert "Customer lock-on is not lock-in." in text
    assert "Klanten blijven" in text


def test_docx_paragraphs_and_tables_are_extracted():
    data = make_docx(["Verdidisipliner og kundenærhet.", "Andre avsnitt."], [["Fase", "Gjenkjenne"], ["Fase", "Gjenta"]])
    text = load_bytes(data, "notes.docx")
    assert "Verdidisipliner og kundenærhet." in text and "Andre avsnitt." in text
    assert "Gjenkjenne" in text and "Gjenta" in text


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("empty.txt", b"", "empty file"),
        ("blank.md", b"  \n\t\n", "empty file"),
        ("binary.txt", b"\x00\x01\x02ELF\x00\x00", "binary content"),
        ("image.png", b"\x89PNG\r\n\x1a\n", "unsupported file type .png"),
        ("noext", b"hello", "unsupported file type (none)"),
        ("scan.pdf", make_image_only_pdf(), "no text layer"),
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "not a readable PDF"),
        ("fake.docx", b"PK\x03\x04 not a zip at all", "not a readable DOCX"),
    ],
)
def test_bad_files_raise_a_clear_error_naming_the_file(name, data, reason):
    with pytest.raises(DocumentError) as error:
        load_bytes(data, name)
    assert name in str(error.value) and reason in str(error.value)
