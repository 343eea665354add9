"""Each loader on a small real file of its format, and the failures each one must report."""
from __future__ import annotations

import pytest

from index.errors import DocumentError
from ingest.chunking import ChunkingConfig
from ingest.loaders import extract, load_bytes
from ingest.pipeline import prepare

from .files import (HTML_PAGE, W_CLOSE, W_OPEN, drawn_words, make_docx, make_docx_package, make_drawn_pdf,
                    make_image_only_pdf, make_pages_pdf, make_pdf)


def test_plain_text_utf8_with_bom():
    assert load_bytes("\ufeffHej på dig".encode("utf-8"), "a.txt") == "Hej på dig"


def test_latin1_text_is_detected_and_decoded():
    text = "Kunden är kung. Förtroende måste vinnas om och om igen, säger försäljningschefen på företaget."
    assert load_bytes(text.encode("latin-1"), "legacy.txt") == text


def test_markdown_markup_is_stripped_and_code_kept_as_written():
    raw = "# Rubrik\n\nSe **kundresan** och [boken](http://example.org).\n\n```\ncode(**kw)\n# not a title\n```\n"
    text = load_bytes(raw.encode(), "a.md")
    assert "Rubrik" in text and "kundresan" in text and "boken" in text
    assert "**kundresan" not in text and "http://example.org" not in text and "```" not in text
    # Commands and settings in a code block are what a reader of documentation searches for.
    assert "code(**kw)\n# not a title" in text


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


def test_an_html_doctype_with_an_internal_subset_leaves_no_trace_in_title_or_text():
    page = ('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaa"><!ENTITY e "&a;&a;"> <!ENTITY x "]">]>'
            "<html><body><h1>Lojalitet</h1><p>Det här är en text med flera ord i sig.</p></body></html>")
    extracted = extract(page.encode(), "subset.html")
    assert extracted.title == "Lojalitet" and "]>" not in extracted.text and "ENTITY" not in extracted.text
    assert "Det här är en text" in extracted.text


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
    # An article's own heading in the page's top header names it where no heading is left outside the chrome.
    article = ("<html><body><header><h1>Release notes 4.2</h1><p>Published 3 March 2024</p></header><main><p>This"
               " release adds replication of repositories and fixes the backup scheduler.</p></main></body></html>")
    assert extract(article.encode(), "notes.html").title == "Release notes 4.2"


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


@pytest.mark.parametrize("text", [
    "Kundtjänsten i Göteborg hanterar återbetalningar. Förändringar träder i kraft först efter bekräftelse.",
    "Öppettider: måndag–fredag 08–17. Välkommen!",
    "Neem contact op met de helpdesk, café of één van de medewerkers; ‘privé’ blijft privé.",
])
def test_legacy_western_text_is_read_as_cp1252_where_other_code_pages_read_it_as_cleanly(text):
    # hp_roman8, cp852 and mac_latin2 decode these bytes too (Kundtjðnsten, mňndag, Ďprivťí), as plausibly.
    assert load_bytes(text.encode("cp1252"), "legacy.txt") == text


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_text_not_binary(encoding):
    text = "Kundlojalitet är viktig.\r\nNästa rad."
    assert load_bytes(text.encode(encoding), "windows.txt") == text


def test_markdown_html_placeholders_autolinks_and_line_breaks():
    raw = ("# Bruk\n\nKjør kbctl set <name> <value> nå. Skriv til <support@example.no> eller <https://example.no/hjelp>."
           " Om a < b og c > d.<br>Ny linje<!-- TODO: remove the old pricing -->.\n<div>Blokk</div>\n")
    text = load_bytes(raw.encode(), "bruk.md")
    assert "kbctl set <name> <value> nå" in text and "support@example.no" in text and "https://example.no/hjelp" in text
    assert "Om a < b og c > d.\nNy linje." in text and "TODO" not in text and "<div>" not in text


def test_markdown_front_matter_gives_metadata_and_is_not_text():
    raw = ("---\ntitle: Säkerhetskopiering\nauthor: [Åsa Lindqvist, Per Holm]\ndate: 2024-03-05\nlang: sv\n---\n"
           "# Inledning\n\nSäkerhetskopior körs varje natt och sparas i trettio dagar.\n")
    extracted = extract(raw.encode(), "backup.md")
    assert extracted.title == "Säkerhetskopiering"
    assert extracted.declared == {"authors": ["Åsa Lindqvist", "Per Holm"], "date": "2024-03-05", "lang": "sv"}
    assert "title:" not in extracted.text and extracted.text.startswith("Inledning")


def test_markdown_title_is_never_a_comment_in_code_and_wrapped_paragraphs_read_as_one():
    raw = ("Verktyget indexerar\ndokumentation och\nsöker i den.\n\n- punkt ett\n- punkt två\n\n"
           "```bash\n# install the dependencies first\npip install kb\n```\n\n~~~\nkb serve\n~~~\n\nRiktig rubrik\n====\n")
    extracted = extract(raw.encode(), "readme.md")
    assert extracted.title == "Riktig rubrik"
    lines = prepare_text(extracted).split("\n")
    assert "Verktyget indexerar dokumentation och söker i den." in lines
    assert "- punkt ett" in lines and "- punkt två" in lines
    assert "# install the dependencies first" in lines and "pip install kb" in lines and "kb serve" in lines
    assert "```" not in extracted.text and "~~~" not in extracted.text


def test_pdf_page_furniture_goes_and_a_sentence_runs_on_across_pages():
    header, footer = "Northwind Traders · Handbok", "Sida {} av 3"
    body = ["Kundtjänsten hanterar återbetalningar för samtliga nordiska", "marknader och svarar inom två dagar.",
            "Förändringar i avtalsvillkoren träder i kraft först efter", "skriftlig bekräftelse från ekonomiavdelningen."]
    pages = [[header, *body[:3], footer.format(1)], [header, body[3], "Tredje sidan har mer text om kunder.",
                                                      footer.format(2)], [header, "Sista sidan.", footer.format(3)]]
    extracted = extract(make_pages_pdf(pages, {"Author": "anonymous"}), "handbok.pdf")
    text = prepare_text(extracted)
    assert "Northwind" not in text and "Sida" not in text
    assert ("Förändringar i avtalsvillkoren träder i kraft först efter skriftlig bekräftelse från ekonomiavdelningen."
            in text.split("\n"))
    assert "authors" not in extracted.declared  # a producer's default, not a person


DRAWN = {  # a paragraph broken at a width, and a short line that is not to be joined to it
    "sv": ["Kundtjänsten hanterar återbetalningar för samtliga nordiska", "marknader och svarar inom två dagar.",
           "Kontakt: kundtjänst"],
    "no": ["Styret behandler søknaden før fristen går ut, og svaret", "sendes skriftlig til søkeren.", "Søknad nr. 12"],
    "nl": ["Het bestuur neemt een besluit over de nieuwe regels en", "informeert alle leden per brief.", "Zie ook: bijlage"],
}


@pytest.mark.parametrize("how", ["drawString", "translate", "form", "letters"])
@pytest.mark.parametrize("lang", sorted(DRAWN))
def test_pdf_words_drawn_one_at_a_time_come_out_as_the_lines_they_make(how, lang):
    # ReportLab's drawString ends each word with a move to the next line (Tj T*): pypdf wrote every word on a line
    # of its own, and the cleaning joins no line that short again (a heading? a list item?).
    forms: list[str] = []
    extracted = extract(make_drawn_pdf([drawn_words(DRAWN[lang], how, forms=forms)], forms), f"{lang}.pdf")
    assert extracted.text.split("\n") == DRAWN[lang]
    assert prepare_text(extracted).split("\n") == [f"{DRAWN[lang][0]} {DRAWN[lang][1]}", DRAWN[lang][2]]


def test_a_pdf_page_whose_runs_cannot_be_read_is_read_as_pypdf_reads_it_not_refused(monkeypatch):
    from ingest.loaders import pdfruns

    def broken(*args):
        raise ZeroDivisionError

    monkeypatch.setattr(pdfruns._Runs, "_text", broken)
    extracted = extract(make_drawn_pdf([drawn_words(DRAWN["sv"], "drawString")]), "sv.pdf")
    assert extracted.text.split("\n") == " ".join(DRAWN["sv"]).split()  # pypdf's word a line, as before


def test_pdf_words_drawn_one_at_a_time_keep_their_columns_page_furniture_and_other_baselines_apart():
    words = "kunder avtal svar brev regler ledamöter styret fristen".split()
    pages, first = [], []
    for number in (1, 2, 3):
        left = [f"Kundtjänsten hanterar {words[number]} och", f"{words[number + 1]} för nordiska marknader."]
        right = [f"Styret behandler {words[number + 2]}", f"før fristen for {words[number + 3]}."]
        pages.append("\n".join([
            drawn_words(["Northwind Handbok"], "drawString", y=760),
            drawn_words([f"Sida {number}"], "drawString", x=500, y=760),  # on the header's baseline, at the far edge
            drawn_words(left, "drawString", y=700), drawn_words(right, "drawString", x=330, y=700),  # two columns
            drawn_words([f"Rubrik om {words[number + 4]}"], "drawString", y=600, size=18),
            drawn_words([f"direkt under rubriken om {words[number]}."], "drawString", x=140, y=586),  # lower
        ]))
        first = first or [*left, *right, f"Rubrik om {words[5]}", f"direkt under rubriken om {words[1]}."]
    extracted = extract(make_drawn_pdf(pages), "kolumner.pdf")
    assert extracted.text.split("\n")[:6] == first
    assert "Northwind" not in extracted.text and "Sida" not in extracted.text


def test_pdf_table_cells_drawn_one_at_a_time_make_a_row_and_ordinary_lines_are_as_pypdf_reads_them():
    cells = "\n".join(drawn_words([row], "drawString", x=x, y=y) for y, r in ((700, ("Land", "Svarstid")),
                                                                             (684, ("Sverige", "2 dagar")))
                      for x, row in zip((72, 120), r))
    assert extract(make_drawn_pdf([cells]), "tabell.pdf").text.split("\n") == ["Land Svarstid", "Sverige 2 dagar"]
    from pypdf import PdfReader
    import io

    ordinary = make_pages_pdf([["Rubrik", "- punkt ett", "- punkt två", "Land | Svarstid", "pip install kb"]])
    assert extract(ordinary, "vanlig.pdf").text == PdfReader(io.BytesIO(ordinary)).pages[0].extract_text().strip()


def test_docx_keeps_no_break_hyphens_reads_a_text_box_once_and_adds_footnotes():
    ns = ' xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
    box = "<w:p><w:r><w:t>Pris stiger i maj.</w:t></w:r></w:p>"
    body = ("<w:p><w:r><w:t>Skicka e</w:t></w:r><w:r><w:noBreakHyphen/></w:r><w:r><w:t>post till IT</w:t></w:r>"
            "<w:r><w:noBreakHyphen/></w:r><w:r><w:t>avdelningen.</w:t></w:r></w:p>"
            f"<w:p><w:r><mc:AlternateContent><mc:Choice Requires=\"wps\"><w:txbxContent>{box}</w:txbxContent></mc:Choice>"
            f"<mc:Fallback><w:txbxContent>{box}</w:txbxContent></mc:Fallback></mc:AlternateContent></w:r></w:p>")
    notes = W_OPEN.replace("w:document", "w:footnotes").replace("<w:body>", "") + (
        "<w:footnote w:id=\"1\"><w:p><w:r><w:t>Källa: SCB, 2024.</w:t></w:r></w:p></w:footnote></w:footnotes>")
    data = make_docx_package({"word/document.xml": W_OPEN.replace("<w:document", "<w:document" + ns) + body + W_CLOSE,
                              "word/footnotes.xml": notes})
    text = load_bytes(data, "rapport.docx")
    assert "Skicka e-post till IT-avdelningen." in text and text.count("Pris stiger i maj.") == 1
    assert text.endswith("Källa: SCB, 2024.")


def test_an_html_page_too_large_for_the_main_extractor_keeps_its_lines_apart_and_its_loose_text(monkeypatch):
    from ingest import limits

    monkeypatch.setattr(limits, "MAX_TRAFILATURA_ELEMENTS", 0)
    page = ("<html><head><title>Guide</title></head><body><div role='dialog'><p>We use cookies to personalise content"
            " and ads.</p></div><div>Text i en div om replikering.</div><p>Användning:<br>kbctl set x<br>kbctl get x"
            "</p><ol><li>Öppna inställningar<ul><li>Allmänt</li><li>Nätverk</li></ul></li></ol>"
            "<section>Lös text i en sektion.</section></body></html>")
    lines = [line.strip() for line in load_bytes(page.encode(), "guide.html").split("\n") if line.strip()]
    assert lines == ["Text i en div om replikering.", "Användning:", "kbctl set x", "kbctl get x", "Öppna inställningar",
                     "Allmänt", "Nätverk", "Lös text i en sektion."]


def prepare_text(extracted) -> str:
    from ingest.cleaning import clean_text

    return clean_text(extracted.text, extracted.wrapped)


def test_markdown_reference_links_footnotes_task_boxes_and_escapes_leave_their_text_only():
    raw = ("Se [boken][1] och ~~gammal~~ ny text[^1]. Ett \\*inte betonat\\* ord och \\# tecken.\n\n"
           "- [ ] att göra\n- [x] klart\n\n[1]: https://example.org \"Titel\"\n[^1]: En fotnot om källan.\n")
    lines = [line for line in load_bytes(raw.encode(), "a.md").split("\n") if line]
    assert lines == ["Se boken och gammal ny text. Ett *inte betonat* ord och # tecken.", "- att göra", "- klart",
                     "En fotnot om källan."]


PYTHON = "def total(rows):\n    if not rows:\n        return  0\n\n    return sum(r.amount for r in rows)"


@pytest.mark.parametrize("name, raw", [
    ("kod.md", f"# Summering\n\nFunktionen nedan summerar beloppen i en lista med rader från kassan.\n\n"
               f"```python\n{PYTHON}\n```\n\nDen returnerar noll för en tom lista.\n"),
    ("kod.html", "<html><body><article><h1>Summering</h1><p>Funktionen nedan summerar beloppen i en lista med rader"
                 f" från kassan och fungerar i alla versioner.</p><pre><code>{PYTHON}</code></pre><p>Den returnerar"
                 " noll för en tom lista, och annars summan av alla belopp.</p></article></body></html>"),
])
def test_a_block_of_code_keeps_its_indentation_and_spaces_and_cleaning_says_where_it_lies(name, raw):
    from ingest.cleaning import clean

    extracted = extract(raw.encode(), name)
    cleaned = clean(extracted.text, extracted.wrapped)
    assert [cleaned.text[start:end] for start, end in cleaned.code] == [PYTHON]
    assert "summerar beloppen" in cleaned.text and "Den returnerar noll" in cleaned.text
    assert "\U000F0010" not in cleaned.text and "\U000F0011" not in cleaned.text


def test_a_large_html_page_marks_its_preformatted_blocks_as_code_too(monkeypatch):
    from ingest import limits
    from ingest.cleaning import clean

    monkeypatch.setattr(limits, "MAX_TRAFILATURA_CHARS", 10)  # read by the fallback walk
    page = f"<html><body><p>Koden summerar beloppen i listan.</p><pre>{PYTHON}</pre><p>Slut.</p></body></html>"
    extracted = extract(page.encode(), "stor.html")
    cleaned = clean(extracted.text)
    assert [cleaned.text[start:end] for start, end in cleaned.code] == [PYTHON]


def test_a_file_that_writes_the_code_marks_itself_marks_no_code():
    from ingest.cleaning import clean

    raw = "Text med \U000F0010    indrag\U000F0011 mitt i en mening om kunder och leverantörer.\n"
    for name in ("egen.txt", "egen.md"):
        cleaned = clean(extract(raw.encode(), name).text)
        assert cleaned.code == () and cleaned.text == "Text med indrag mitt i en mening om kunder och leverantörer."


def test_an_indented_markdown_block_is_code_but_a_list_items_indented_lines_go_on_with_it():
    from ingest.cleaning import clean

    indented = "\n".join("    " + line if line else "" for line in PYTHON.split("\n"))
    raw = (f"Så här ser funktionen ut som summerar beloppen:\n\n{indented}\n\nEn lista:\n\n- första punkten\n"
           "    går vidare här\n    - en inre punkt\n\n      inte kod utan punktens stycke\n\nEtt stycke\n    med indrag.\n")
    cleaned = clean(extract(raw.encode(), "indrag.md").text)
    assert [cleaned.text[start:end] for start, end in cleaned.code] == [PYTHON]
    lines = cleaned.text.split("\n")
    assert "- första punkten går vidare här" in lines and "- en inre punkt" in lines
    assert "inte kod utan punktens stycke" in lines and "Ett stycke med indrag." in lines


def test_a_line_opening_with_inline_triple_backticks_is_prose_not_a_fence_that_swallows_the_rest():
    from ingest.cleaning import clean

    raw = ("Kör aldrig kommandot nedan på en server i drift.\n\n```rm -rf /``` raderar allt på disken.\n\n"
           "Efter det kommer vanlig text om säkerhetskopior.\n")
    cleaned = clean(extract(raw.encode(), "varning.md").text)
    assert cleaned.code == ()
    assert "rm -rf / raderar allt på disken." in cleaned.text and "Efter det kommer vanlig text" in cleaned.text


@pytest.mark.parametrize("raw", [
    "Installera så här:\n\n1. Hämta koden\n\n    ```sh\n    make  all\n      make install\n    ```\n\n2. Starta om.\n",
    "Installera så här:\n\n- Hämta koden\n\n  ```sh\n  make  all\n    make install\n  ```\n\n- Starta om.\n",
    "Installera så här:\n\n> Hämta koden\n>\n> ```sh\n> make  all\n>   make install\n> ```\n\nStarta om.\n",
    # Unclosed, it ends with its list item: the next item is no code.
    "Installera så här:\n\n- Hämta koden\n\n  ```sh\n  make  all\n    make install\n- Starta om.\n",
])
def test_a_fence_in_a_list_item_or_a_block_quote_is_code_without_the_items_indentation_or_the_quote_marks(raw):
    from ingest.cleaning import clean

    cleaned = clean(extract(raw.encode(), "lista.md").text)
    assert [cleaned.text[start:end] for start, end in cleaned.code] == ["make  all\n  make install"]
    assert "```" not in cleaned.text and "Starta om." in cleaned.text


def test_a_preformatted_block_is_marked_where_the_page_shows_it_not_in_an_earlier_sentence_that_quotes_it():
    from ingest.cleaning import clean

    page = ("<html><body><article><h1>Inställningar</h1><p>Sätt retries = 3 innan tjänsten startas om på servern,"
            " annars ger den upp för tidigt.</p><pre>retries = 3</pre><p>Därefter startar tjänsten om av sig själv"
            " och loggar varje försök.</p></article></body></html>")
    cleaned = clean(extract(page.encode(), "inst.html").text)
    assert "Sätt retries = 3 innan tjänsten startas om" in cleaned.text  # the sentence stays whole
    assert [cleaned.text[start:end] for start, end in cleaned.code] == ["retries = 3"]
    assert cleaned.text.index("retries = 3", cleaned.code[0][0]) > cleaned.text.index("ger den upp")


@pytest.mark.parametrize("trafilatura", [True, False])
def test_code_marks_a_page_writes_as_character_references_mark_no_code(monkeypatch, trafilatura):
    from ingest import limits
    from ingest.cleaning import clean

    if not trafilatura:
        monkeypatch.setattr(limits, "MAX_TRAFILATURA_CHARS", 10)  # the fallback walk reads the page
    page = ("<html><body><article><p>Text med &#983056;    indrag&#xF0011; mitt i en mening om kunder och"
            " leverantörer, och lite till.</p><pre>kod  = 1</pre></article></body></html>")
    cleaned = clean(extract(page.encode(), "egen.html").text)
    assert [cleaned.text[start:end] for start, end in cleaned.code] == ["kod  = 1"]
    assert "Text med indrag mitt i en mening" in cleaned.text


def test_code_marks_in_a_word_documents_own_text_mark_no_code():
    from ingest.cleaning import clean

    docx = make_docx(["Text med \U000F0010    indrag\U000F0011 mitt i en mening om kunder och leverantörer."])
    cleaned = clean(extract(docx, "egen.docx").text)
    assert cleaned.code == () and cleaned.text == "Text med indrag mitt i en mening om kunder och leverantörer."
