"""Hostile and damaged files are refused with a DocumentError naming the file, in bounded time and memory."""
from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from index.errors import DocumentError
from ingest import limits
from ingest.loaders import extract
from ingest.pipeline import load_text

from .files import (
    W_CLOSE, W_OPEN, docx_paragraphs_xml, make_docx, make_docx_package, make_pages_pdf, make_pdf, shared_content_pdf,
    shared_font_map_pdf, zeros_bomb_docx,
)

ROOT = Path(__file__).resolve().parents[2]
SENTENCE = "Kundelojalitet bygger på tillit som må fortjenes hver eneste dag."


def refused(data: bytes, name: str) -> str:
    with pytest.raises(DocumentError) as error:
        load_text(data, name)
    message = str(error.value)
    assert message.startswith(f"{name}: ")
    return message


def test_zeros_bomb_is_refused_by_its_compression_ratio():
    bomb = zeros_bomb_docx(211)
    assert len(bomb) < 1 << 20
    assert "compresses" in refused(bomb, "bomb.docx") and "zip bomb" in refused(bomb, "bomb.docx")


def test_declared_total_over_the_cap_is_refused(monkeypatch):
    # Many entries each below the ratio floor still add up: the declared total is checked first.
    monkeypatch.setattr(limits, "MAX_ZIP_UNCOMPRESSED_BYTES", 4 * limits.MiB)
    parts = {f"word/media/pad{i}.bin": bytes(512 * 1024) for i in range(10)}
    parts["word/document.xml"] = docx_paragraphs_xml([SENTENCE])
    assert "expands to" in refused(make_docx_package(parts), "wide.docx")


def test_too_many_entries_are_refused(monkeypatch):
    monkeypatch.setattr(limits, "MAX_ZIP_ENTRIES", 50)
    parts = {f"customXml/item{i}.xml": "<a/>" for i in range(60)}
    parts["word/document.xml"] = docx_paragraphs_xml([SENTENCE])
    assert "zip entries" in refused(make_docx_package(parts), "entries.docx")


def test_inflation_is_capped_even_when_the_directory_looks_fine(monkeypatch):
    # A legitimate-looking ratio but more inflated bytes than the cap allows.
    monkeypatch.setattr(limits, "MAX_ZIP_UNCOMPRESSED_BYTES", 64 * 1024)
    xml = docx_paragraphs_xml([f"{SENTENCE} ({i})" for i in range(2000)])
    data = make_docx_package({"word/document.xml": xml})
    monkeypatch.setattr("ingest.safezip._check_directory", lambda entries, name: None)
    assert "inflates beyond" in refused(data, "sneaky.docx")


def test_what_follows_the_root_element_ends_the_parse_before_it_is_inflated(monkeypatch):
    # libxml2 holds what follows a document's root unparsed until the input ends: 10 MB of it would pass the
    # inflation cap (and sit in memory) were it read on; the parse stops at the first chunk instead.
    monkeypatch.setattr(limits, "MAX_ZIP_UNCOMPRESSED_BYTES", 1 * limits.MiB)
    head = docx_paragraphs_xml([SENTENCE]).encode()
    data = make_docx_package({}, {"word/document.xml": (b"<w:p/>" * 1024, 1700, head, b"")})
    monkeypatch.setattr("ingest.safezip._check_directory", lambda entries, name: None)
    assert "damaged XML: Extra content at the end of the document" in refused(data, "trailing.docx")


def empty_paragraphs_docx(thousands: int) -> bytes:
    """A well-formed document of a sentence, `thousands` x 1,024 empty paragraphs, and the sentence again."""
    paragraph = f"<w:p><w:r><w:t>{SENTENCE}</w:t></w:r></w:p>"
    return make_docx_package({}, {"word/document.xml": (b"<w:p/>" * 1024, thousands, (W_OPEN + paragraph).encode(),
                                                         (paragraph + W_CLOSE).encode())})


def test_runs_of_empty_paragraphs_are_one_break_and_not_text(monkeypatch):
    # Neither text against the cap nor a list of lines, however many (up to the element limit).
    monkeypatch.setattr(limits, "MAX_TEXT_CHARS", 10_000)
    monkeypatch.setattr("ingest.safezip._check_directory", lambda entries, name: None)  # it compresses 600:1
    assert extract(empty_paragraphs_docx(150), "empty.docx").text == f"{SENTENCE}\n\n{SENTENCE}"


def test_markup_with_next_to_no_text_is_a_bomb(monkeypatch):
    # A million empty paragraphs take a worker seconds; they are refused after the first 200,000.
    monkeypatch.setattr("ingest.safezip._check_directory", lambda entries, name: None)
    message = refused(empty_paragraphs_docx(1024), "markup.docx")
    assert "200,651 elements for 65 characters of text" in message and "bomb" in message


def test_an_html_page_of_markup_and_next_to_no_text_is_a_bomb_and_a_table_of_figures_is_not():
    assert "300,000 elements for 0 characters of text" in refused(b"<p></p>" * 300_000, "empty.html")
    rows = "".join(f"<tr><td>{i}</td><td>{i % 7}</td></tr>" for i in range(30_000))  # 90,000 elements, 20 KB text
    page = f"<html><body><p>{SENTENCE}</p><table>{rows}</table></body></html>".encode()
    assert SENTENCE in load_text(page, "figures.html")


# Each pattern was quadratic (or worse) before: 40 KB of newlines took 25 s, "[" * 40,000 took 7 s. The timeout
# (1 MB of each, linear: a second or two in all) only keeps a regression from hanging the run.
@pytest.mark.timeout(120)
@pytest.mark.parametrize("pattern", ["\n", " \n", "[", "![", "[a](", "<", "*a ", "_a ", "**a", "`", "```", "- ",
                                     "# ", "> ", "*[<`_!("])
def test_markdown_syntax_is_stripped_in_linear_time(pattern):
    text = pattern * (1_000_000 // len(pattern)) + "\nKunder som stoler på deg kommer tilbake."
    assert "Kunder som stoler på deg kommer tilbake." in load_text(text.encode(), "hostile.md")


def many_runs_docx(runs: int) -> bytes:
    """One paragraph of `runs` runs of two letters each (a word now and then)."""
    pieces = "".join(f"<w:r><w:t>{'ab' if i % 97 else 'ab '}</w:t></w:r>" for i in range(runs))
    return make_docx_package({"word/document.xml": f"{W_OPEN}<w:p>{pieces}</w:p>{W_CLOSE}"})


def test_a_paragraph_of_tiny_runs_is_stopped_by_the_text_and_element_limits(monkeypatch):
    # 8 million runs (7.7 MB zipped) took 57 s and 575 MB before the text limit, checked only at a paragraph's end.
    monkeypatch.setattr(limits, "MAX_TEXT_CHARS", 10_000)
    assert "more than 10,000 characters of text" in refused(many_runs_docx(6_000), "runs.docx")
    monkeypatch.setattr(limits, "MAX_TEXT_CHARS", 12_000_000)
    monkeypatch.setattr(limits, "MAX_DOCX_ELEMENTS", 10_000)
    assert "more than 10,000 XML elements" in refused(many_runs_docx(6_000), "runs.docx")


def test_script_text_does_not_buy_an_html_page_empty_markup():
    # 1 MB of script let 2.9 million empty paragraphs through (590 MB of tree).
    page = f"<html><body><script>{'x' * 100_000}</script>{'<p>' * 300_000}<p>{SENTENCE}</p></body></html>"
    assert "markup bomb" in refused(page.encode(), "padded.html")


@pytest.mark.timeout(60)  # cubic before: 3 KB took 32 s
def test_a_markdown_heading_with_a_long_run_of_spaces_is_read_in_linear_time():
    text = "# Kundelojalitet" + " " * 100_000 + "i praksis ##\n\n" + SENTENCE
    assert extract(text.encode(), "spaces.md").title.split() == ["Kundelojalitet", "i", "praksis"]


def test_text_cap_stops_a_long_docx_early(monkeypatch):
    monkeypatch.setattr(limits, "MAX_TEXT_CHARS", 10_000)
    data = make_docx_package({"word/document.xml": docx_paragraphs_xml([f"{SENTENCE} {i}" for i in range(1000)])})
    assert "characters of text" in refused(data, "long.docx")


def test_docx_cut_in_half_and_damaged_xml():
    good = make_docx([SENTENCE, "Andre avsnitt om kundenærhet og verdier."])
    assert "not a readable DOCX" in refused(good[: len(good) // 2], "truncated.docx")
    xml = docx_paragraphs_xml([SENTENCE] * 20)
    half = make_docx_package({"word/document.xml": xml[: len(xml) // 2]})
    assert "damaged XML" in refused(half, "half.docx")
    no_body = make_docx_package({"word/other.xml": "<a/>"})
    assert "no word/document.xml" in refused(no_body, "empty-package.docx")


def test_docx_entities_are_not_expanded():
    laughs = ('<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
              '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>' + W_OPEN[W_OPEN.index("<w:document"):]
              + f"<w:p><w:r><w:t>{SENTENCE} &c;</w:t></w:r></w:p>" + W_CLOSE)
    try:
        text = load_text(make_docx_package({"word/document.xml": laughs}), "laughs.docx")
    except DocumentError as error:
        assert "laughs.docx" in str(error)
    else:
        assert "hahaha" not in text


def test_docx_text_in_document_order_with_table_rows_and_title():
    core = ('<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Kundenærhet i praksis</dc:title></cp:coreProperties>')
    body = (W_OPEN + f"<w:p><w:r><w:t>Før tabellen: {SENTENCE}</w:t></w:r></w:p>"
            "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Fase</w:t></w:r></w:p></w:tc>"
            "<w:tc><w:p><w:r><w:t>Gjenkjenne</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
            "<w:p><w:r><w:t>Etter</w:t><w:tab/><w:t>tabellen.</w:t></w:r></w:p>" + W_CLOSE)
    extracted = extract(make_docx_package({"word/document.xml": body, "docProps/core.xml": core}), "ordered.docx")
    assert extracted.text.split("\n") == [f"Før tabellen: {SENTENCE}", "Fase | Gjenkjenne", "Etter\ttabellen."]
    assert extracted.title == "Kundenærhet i praksis"


def test_pdf_page_cap_and_garbage(monkeypatch):
    assert "not a readable PDF" in refused(b"%PDF-1.7\n" + bytes(range(256)) * 40, "garbage.pdf")
    assert "not a readable PDF" in refused(make_pdf([SENTENCE])[:300], "cut.pdf")
    monkeypatch.setattr(limits, "MAX_PDF_PAGES", 0)
    assert "more than 0 pages (1 declared)" in refused(make_pdf([SENTENCE]), "pages.pdf")


def test_a_pdf_of_too_many_pages_is_refused_by_walking_its_page_tree_no_further_than_the_limit():
    # pypdf builds every page to count them: 100,000 pages cost 4-9 s and 260-400 MB a worker kept.
    message = refused(shared_content_pdf(limits.MAX_PDF_PAGES + 1, b"BT (x) Tj ET\n"), "many.pdf")
    assert f"more than {limits.MAX_PDF_PAGES:,} pages ({limits.MAX_PDF_PAGES + 1:,} declared)" in message


def test_pages_drawing_much_and_writing_nothing_are_a_pdf_bomb(monkeypatch):
    # 2,000 pages sharing 7 MB of line drawing (425 KB) took 39 s; here 50 pages share 100 KB against a 1 MB limit.
    monkeypatch.setattr(limits, "MAX_PDF_CONTENT_BYTES", 1 * limits.MiB)
    message = refused(shared_content_pdf(50, b"0 0 m 1 1 l S\n" * 7_500), "drawing.pdf")
    assert "MB of page content for 0 characters of text" in message and "a PDF bomb?" in message
    text = shared_content_pdf(50, b"BT /F1 12 Tf 72 712 Td (Kunder som stoler pa deg kommer tilbake) Tj ET\n" * 300)
    assert "Kunder som stoler" in load_text(text, "fifty-pages.pdf")  # 50 x 21 KB of text drawing: not a bomb


def test_pages_sharing_a_large_font_map_and_writing_little_are_a_pdf_bomb(monkeypatch):
    # pypdf reads a font's map again on every page: 300 pages sharing 60,000 entries (219 KB) took 75 s and 1 GB.
    monkeypatch.setattr(limits, "MAX_PDF_FONT_MAP_BYTES", 1 * limits.MiB)
    message = refused(shared_font_map_pdf(40, 20_000), "maps.pdf")
    assert "MB of font character maps for" in message and "a PDF bomb?" in message


@pytest.mark.parametrize("name, data", [
    ("huge.txt", ("ord " * 3000).encode()),
    ("huge.md", ("ord " * 3000).encode()),
    ("huge.html", (f"<html><body>{'<p>ord ord ord</p>' * 1000}</body></html>").encode()),
    ("huge.pdf", make_pdf(["ord " * 60] * 40)),
])
def test_text_cap_applies_to_every_format(monkeypatch, name, data):
    monkeypatch.setattr(limits, "MAX_TEXT_CHARS", 2_000)
    assert "characters of text" in refused(data, name)


def test_files_over_the_size_limit_are_refused_unread(monkeypatch, tmp_path):
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 1000)
    assert "limit 0 MB" in refused(b"a " * 1000, "big.txt")


def test_near_empty_documents_are_refused_with_a_reason():
    page = b"<html><head><script>var x = 1;</script></head><body><nav>Home</nav></body></html>"
    assert "only 0 words" in refused(page, "nav-only.html")
    assert "only 3 words" in refused(b"Hei, hallo der.", "short.txt")
    assert load_text("Kunder som stoler på deg.".encode(), "five.txt") == "Kunder som stoler på deg."


MEMORY_PROBE = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from index.errors import DocumentError
from ingest.pipeline import load_text
from tests.ingest.files import docx_paragraphs_xml, make_docx_package, zeros_bomb_docx

sentence = "Kundelojalitet bygger på tillit som må fortjenes hver eneste dag, skriver han i boken sin. "
cases = {
    "zeros-211mb.docx": zeros_bomb_docx(211),
    # Real XML, 1.2 GB when inflated, in one entry whose declared size is honest.
    "xml-1200mb.docx": make_docx_package({}, {"word/document.xml": (("<w:p><w:r><w:t>" + sentence * 20 + "</w:t></w:r></w:p>").encode() * 600, 1000)}),
    # Distinct paragraphs (ratio well under the cap) with more text than allowed: streamed, stopped at the text cap.
    "long-text.docx": make_docx_package({"word/document.xml": docx_paragraphs_xml([f"{i} {sentence}" for i in range(150_000)])}),
    # 10 MB of empty paragraphs and of unclosed links: lxml's tree of either took 350 MB and 19 s.
    "empty-paragraphs.html": b"<html><body>" + b"<p></p>" * 1_500_000 + b"</body></html>",
    "open-links.html": b"<html><body>" + b"<a href=x class=y id=z title=w>" * 330_000 + b"</body></html>",
}
result = {}
for name, data in cases.items():
    started = time.perf_counter()
    try:
        load_text(data, name)
        outcome = "accepted"
    except DocumentError as error:
        outcome = str(error)
    result[name] = {"bytes": len(data), "seconds": round(time.perf_counter() - started, 3), "outcome": outcome}
result["VmHWM_kB"] = int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1])
print(json.dumps(result))
"""


@pytest.mark.slow
def test_bombs_are_refused_with_bounded_memory():
    """Peak RSS of a fresh process that parses every bomb stays far below 1 GB."""
    done = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(ROOT)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    print(result)
    assert "zip bomb" in result["zeros-211mb.docx"]["outcome"]
    assert "zip bomb" in result["xml-1200mb.docx"]["outcome"]
    assert "characters of text" in result["long-text.docx"]["outcome"]
    assert "markup bomb" in result["empty-paragraphs.html"]["outcome"]
    assert "markup bomb" in result["open-links.html"]["outcome"]
    assert result["VmHWM_kB"] < 1024 * 1024


def test_reading_a_pdf_stops_after_its_time_limit(monkeypatch):
    # 40 pages each writing 100,000 characters beside 3.6 MB of moves earn their drawing by their text: time bounds it.
    monkeypatch.setattr(limits, "MAX_PDF_READ_SECONDS", 0)
    message = refused(shared_content_pdf(3, b"BT /F1 12 Tf 72 712 Td (Kunder som stoler pa deg) Tj ET\n" * 10), "slow.pdf")
    assert "reading its text took longer than 0 s" in message and "of 3 pages read" in message


def test_a_damaged_pdf_is_not_a_log_flood(caplog):
    # pypdf warned once per object it read past: a 2 KB file of nested dictionaries wrote 33,000 lines per parse.
    with caplog.at_level(logging.WARNING):
        try:
            load_text(shared_content_pdf(2, b"BT (Kunder) Tj ET\n" + b"<< /A " * 5_000), "nested.pdf")
        except DocumentError:
            pass
    assert len([r for r in caplog.records if r.name.startswith("pypdf")]) == 0


def test_the_page_tree_walk_follows_a_kids_array_given_by_reference():
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, NameObject

    from ingest.loaders.pdf import _page_count

    writer = PdfWriter()
    for _ in range(3):
        writer.add_blank_page(100, 100)
    pages = writer._root_object["/Pages"].get_object()
    pages[NameObject("/Kids")] = writer._add_object(ArrayObject(list(pages["/Kids"])))
    out = io.BytesIO()
    writer.write(out)
    reader = PdfReader(io.BytesIO(out.getvalue()))
    assert _page_count(reader, 3, "x.pdf") == 3
    with pytest.raises(DocumentError, match=r"x.pdf: more than 2 pages \(3 declared\)"):
        _page_count(reader, 2, "x.pdf")


def test_a_pdf_whose_page_tree_loops_is_refused_as_damaged_not_as_long():
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, NameObject

    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    root = writer._root_object.raw_get("/Pages")  # the page tree's root, by reference
    pages = root.get_object()
    pages[NameObject("/Kids")] = ArrayObject([*pages["/Kids"], root])  # the root is its own kid
    out = io.BytesIO()
    writer.write(out)
    message = refused(out.getvalue(), "loop.pdf")
    assert "loop.pdf: its page tree is damaged (it loops" in message and "more than" not in message


# Found by attacking today's extraction code: each input crashed, lost text or took super-linear time or memory.
@pytest.mark.parametrize("front", [
    "date: 2024-02-30", "2024-13-45: x", "version: " + "9" * 5000, "date: " + ":".join(["59"] * 3000),
    "a: " + "[" * 4000 + "]" * 4000, "? [a, b]\n: c",
])
def test_markdown_front_matter_that_is_no_metadata_never_crashes(front):
    from ingest.metadata import declared_fields

    extracted = extract(f"---\n{front}\n---\nSäkerhetskopior körs varje natt och sparas i trettio dagar.\n".encode(),
                        "fm.md")
    assert "Säkerhetskopior körs varje natt" in extracted.text and "date" not in declared_fields(extracted.declared)


@pytest.mark.timeout(60)
def test_wrapped_text_of_long_letter_runs_and_many_broken_words_is_cleaned_in_linear_time():
    from ingest.cleaning import clean_text

    assert len(clean_text("a" * 200_000 + ".b-\nc", wrapped=True)) == 200_004  # searched from one place, not each
    broken = "".join(f"{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}{chr(97 + i // 676 % 26)}de-\nfg\n" for i in range(150_000))
    assert clean_text(broken, wrapped=True).count("\n") == 0  # a cap on word-list look-ups, not one per break


def test_a_stray_terminal_title_code_takes_no_more_than_its_line():
    from ingest.cleaning import clean_text

    assert clean_text("Loggen börjar här.\n\x1b]0;titel\nResten av dokumentet är vanlig text.") == \
        "Loggen börjar här.\n\nResten av dokumentet är vanlig text."


def test_markdown_inline_code_keeps_its_backslashes_and_tags_and_a_lone_comment_opener_is_text():
    raw = ("Öppna `\\\\server\\share` och kör `grep -E '\\d+\\.\\d+'`. Ett block skapas med `<div>`; en kommentar "
           "börjar med `<!--`.\n\nPilen <!-- används i gamla mallar.\n\nDetta stycke stannar kvar.\n")
    text = extract(raw.encode(), "kod.md").text
    assert "\\\\server\\share" in text and "grep -E '\\d+\\.\\d+'" in text and "med <div>;" in text
    assert "börjar med <!--." in text and "Pilen <!-- används" in text and "Detta stycke stannar kvar." in text
    assert extract(b"# Anv\xc3\xa4nd \\*args\n\nText med flera ord i.\n", "t.md").title == "Använd *args"


def test_pdf_pages_alike_but_for_their_numbers_keep_their_text():
    pages = [[f"Artikel {i}: pris {10 * i} kronor per styck, leverans inom {i % 5 + 1} dagar."] for i in range(1, 21)]
    text = extract(make_pages_pdf(pages), "prislista.pdf").text
    assert all(f"Artikel {i}: pris {10 * i} kronor" in text for i in range(1, 21))


def test_docx_text_box_fallbacks_and_notes_count_against_the_documents_element_limit(monkeypatch):
    monkeypatch.setattr(limits, "MAX_DOCX_ELEMENTS", 5_000)
    ns = ' xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
    body = (f"<w:p><w:r><w:t>{SENTENCE}</w:t></w:r></w:p>" * 5
            + "<w:p><w:r><mc:AlternateContent><mc:Fallback>" + "<w:r/>" * 6_000 + "</mc:Fallback></mc:AlternateContent></w:r></w:p>")
    fallback = make_docx_package({"word/document.xml": W_OPEN.replace("<w:document", "<w:document" + ns) + body + W_CLOSE})
    assert "XML elements" in refused(fallback, "box.docx")
    part = "".join(f"<w:p><w:r><w:t>{SENTENCE} {i}</w:t></w:r></w:p>" for i in range(900))
    notes = W_OPEN.replace("w:document", "w:footnotes").replace("<w:body>", "") + part + "</w:footnotes>"
    three = make_docx_package({"word/document.xml": W_OPEN + part + W_CLOSE, "word/footnotes.xml": notes,
                               "word/endnotes.xml": notes.replace("footnotes", "endnotes")})
    assert "XML elements" in refused(three, "notes.docx")  # 2,700 elements a part, 8,100 in all


def test_html_nested_past_what_the_parser_reads_is_refused_not_cut_short():
    font = "<html><body>" + "<font>" * 400 + "".join(f"<p>Stycke {i} om kunder och lojalitet." for i in range(400))
    assert extract(font.encode(), "gammal.html").text.count("Stycke") == 400  # 256 levels read 127 of them
    deeper = "<html><body>" + "<font>" * 3000 + "<p>Stycke om kunder och lojalitet i handeln.</p></body></html>"
    assert "nested too deeply" in refused(deeper.encode(), "djup.html")
