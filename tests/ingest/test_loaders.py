"""Each loader on a small real file of its format, and the failures each one must report."""
from __future__ import annotations

import pytest

from index.errors import DocumentError
from ingest.chunking import ChunkingConfig
from ingest.loaders import load_bytes
from ingest.pipeline import prepare

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


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-32-be", "utf-8-sig"])
def test_unicode_with_a_bom_decodes(encoding):
    text = "Kundenærhet og tillit: «lojalitet» må fortjenes."
    data = text.encode(encoding)
    if not encoding.endswith("sig") and encoding in ("utf-16-be", "utf-32-be"):
        data = "\ufeff".encode(encoding) + data
    assert load_bytes(data, "bom.txt").lstrip("\ufeff") == text


def test_html_title_comes_from_title_then_h1_never_from_navigation():
    from ingest.loaders import extract

    assert extract(HTML_PAGE.encode(), "page.html").title == "Kundlojalitet"
    no_title = HTML_PAGE.replace("<title>Kundlojalitet</title>", "")
    assert extract(no_title.encode(), "page.html").title == "Lojala kunder är lönsamma kunder"
    texinfo = """<html><head><meta charset="utf-8"></head><body>
<div class="nav-panel"><p>Next: <a href="Using-libffi.html" accesskey="n" rel="next">Using libffi</a>,
Previous: <a href="index.html" accesskey="p" rel="prev">libffi</a>, Up: <a href="index.html" accesskey="u" rel="up">libffi</a>
[<a href="Index.html" title="Index" rel="index">Index</a>]</p></div>
<h1 class="chapter">1 What is libffi?</h1>
<p>Compilers for high level languages generate code that follow certain conventions.</p>
<p>These conventions are necessary, in part, for separate compilation to work.</p>
</body></html>"""
    extracted = extract(texinfo.encode(), "libffi.html")
    assert extracted.title == "1 What is libffi?"
    assert "Next:" not in extracted.text and "Compilers for high level languages" in extracted.text


def test_title_of_a_docbook_page_is_not_its_copyright_line():
    page = """<html><head><title>Chapter 1. GNU/Linux tutorials</title></head><body>
<div class="navheader"><table><tr><td><a accesskey="p" href="pr01.html">Prev</a></td></tr></table></div>
<div class="legalnotice"><p>Copyright © 2013-2024 Osamu Aoki</p></div>
<div class="chapter"><h1 class="title">Chapter 1. GNU/Linux tutorials</h1>
<p>I think learning a computer system is like learning a new foreign language.</p></div></body></html>"""
    item = prepare(page.encode(), "tutorial.html", lambda t: len(t.split()) + 2, ChunkingConfig())
    assert item.doc.title == "Chapter 1. GNU/Linux tutorials"


def test_titles_are_sanitised_and_capped():
    words = lambda t: len(t.split()) + 2  # noqa: E731 - a stand-in tokenizer
    text = "Kundelojalitet bygger på tillit som må fortjenes hver dag.".encode()
    item = prepare(text, "a.txt", words, ChunkingConfig(), {"title": "Evil\x1b[31m\nERROR forged\u202e " + "lang " * 100})
    assert "\x1b" not in item.doc.title and "\n" not in item.doc.title and "\u202e" not in item.doc.title
    assert len(item.doc.title) <= 200 and item.doc.title.endswith("…")
