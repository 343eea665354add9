"""Citation metadata in: what people give wins over what a file declares, which wins over its first heading or line."""
from __future__ import annotations

import datetime

import pytest

from index.docmeta import check_metadata, iso_date
from index.errors import DocumentError, InvalidMetadata
from ingest.chunking import ChunkingConfig
from ingest.pipeline import prepare

from .files import make_docx, make_pdf

TEXT = "Kundelojalitet bygger på tillit som må fortjenes hver dag, også når alt endrer seg rundt oss."


def words(text: str) -> int:  # a stand-in tokenizer: no model needed to prepare a document
    return len(text.split()) + 2


def prepared(data: bytes, name: str, metadata: dict | None = None):
    return prepare(data, f"uploads/x{name[name.rfind('.'):]}", words, ChunkingConfig(), metadata, name=name).doc


def test_docx_core_properties_fill_title_authors_and_date():
    data = make_docx([TEXT], properties={"author": "Jane Doe; Ola Nordmann", "title": "Tillit i praksis",
                                         "created": datetime.datetime(2021, 3, 4, 10, 30)})
    doc = prepared(data, "notes.docx", {"original_name": "notes.docx"})
    assert (doc.title, doc.authors, doc.date) == ("Tillit i praksis", ["Jane Doe", "Ola Nordmann"], "2021-03-04")
    assert doc.original_name == "notes.docx" and doc.source == "uploads/x.docx"


def test_pdf_document_info_fills_authors_and_date_and_given_values_win():
    data = make_pdf([TEXT], info={"Title": "Lojalitet", "Author": "Peter Thomasson", "CreationDate": "D:20190611120000Z"})
    doc = prepared(data, "a.pdf")
    assert (doc.title, doc.authors, doc.date) == ("Lojalitet", ["Peter Thomasson"], "2019-06-11")
    given = prepared(data, "a.pdf", {"title": "Given", "authors": ["Someone Else"], "date": "2020", "language": "nb"})
    assert (given.title, given.authors, given.date, given.lang) == ("Given", ["Someone Else"], "2020", "no")


def test_html_meta_tags_fill_title_every_citation_author_date_and_publisher():
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>Site | Page</title>
    <meta name="citation_title" content="Kundintimitet">
    <meta name="citation_author" content="Treacy, Michael"><meta name="citation_author" content="Fred Wiersema">
    <meta name="author" content="Webmaster"><meta name="DC.date" content="1993-01">
    <meta name="dc.publisher" content="Harvard Business Review"></head>
    <body><article><p>{TEXT}</p></article></body></html>""".encode()
    doc = prepared(page, "page.html")
    assert doc.title == "Kundintimitet" and doc.authors == ["Treacy, Michael", "Fred Wiersema"]
    assert (doc.date, doc.publisher) == ("1993-01", "Harvard Business Review")


@pytest.mark.parametrize("written, date", [("2010/5/12", "2010-05-12"), ("2020/05/17", "2020-05-17"),
                                           ("2021/3", "2021-03"), ("2021", "2021"), ("2010/2/30", None)])
def test_an_html_date_written_with_slashes_as_google_scholar_asks_is_read(written, date):
    # Google Scholar's guidelines write citation_publication_date as 2010/5/12: it was dropped as no ISO date.
    page = f"""<!doctype html><html><head><meta name="citation_title" content="Kundintimitet">
    <meta name="citation_publication_date" content="{written}"></head>
    <body><article><p>{TEXT}</p></article></body></html>""".encode()
    assert prepared(page, "page.html").date == date


@pytest.mark.parametrize("name, data, title", [
    ("notes.md", f"Some front matter line\n\n## Lojalitet i *endringstider*\n\n{TEXT}\n", "Lojalitet i endringstider"),
    ("notes.md", f"Kundereisen\n==========\n\n{TEXT}\n", "Kundereisen"),
    ("notes.txt", f"\n\nKundelojalitet i praksis\n\n{TEXT}\n", "Kundelojalitet i praksis"),
    ("notes.txt", f"{TEXT} {TEXT}\n", None),  # a paragraph: cut at a word, never the file name
])
def test_markdown_and_text_titles_come_from_the_first_heading_or_line(name, data, title):
    doc = prepared(data.encode(), name)
    if title:
        assert doc.title == title
    else:
        assert doc.title.startswith("Kundelojalitet bygger") and doc.title.endswith("…") and len(doc.title) <= 120
    assert "notes" not in doc.title and doc.authors == [] and doc.date is None


def test_a_bad_given_value_names_the_file_but_a_files_own_odd_date_is_dropped():
    with pytest.raises(DocumentError, match="a.txt: date"):
        prepared(TEXT.encode(), "a.txt", {"date": "last spring"})
    odd = make_docx([TEXT], properties={"author": "Jane Doe", "created": datetime.datetime(1, 1, 1)})
    assert prepared(odd, "a.docx").authors == ["Jane Doe"]


@pytest.mark.parametrize("value, expected", [
    ("2021", "2021"), ("2021-03", "2021-03"), ("2020-02-29", "2020-02-29"), ("2021-03-04T10:30:00Z", "2021-03-04"),
    ("D:2019", "2019"), ("D:20190611", "2019-06-11"), ("", None), (None, None),
])
def test_dates_are_iso_and_partial_dates_are_kept(value, expected):
    assert iso_date(value) == expected


@pytest.mark.parametrize("raw, message", [
    ({"date": "2021-13"}, "not a calendar date"), ({"date": "2019-02-29"}, "not a calendar date"),
    ({"date": "March 2021"}, "ISO date"), ({"date": 2021}, "must be a string"),
    ({"date": "٢٠٢١"}, "ISO date"), ({"date": "２０２１-０３"}, "ISO date"), ({"date": "0000"}, "not a calendar date"),
    ({"authors": 5}, "list of names"), ({"authors": ["x" * 201]}, "longer than 200"),
    ({"language": "Swedish"}, "language must be a known language code"), ({"language": "zz"}, "not 'zz'"),
    ({"title": ["a"]}, "title must be a string"),
    ({"isbn": "123"}, "unknown metadata field 'isbn'"),
])
def test_malformed_metadata_is_refused_naming_the_field(raw, message):
    with pytest.raises(InvalidMetadata, match=message):
        check_metadata(raw)


def test_metadata_is_normalised():
    assert check_metadata({"authors": " Jane  Doe ; Ola Nordmann;Jane Doe ", "language": "nb-NO", "title": " A\u202e b "}) == {
        "authors": ["Jane Doe", "Ola Nordmann"], "lang": "no", "title": "A b"}


def test_joiners_stay_and_invisible_marks_inside_a_word_do_not_split_it():
    # Persian writes می‌خواهم with a zero-width non-joiner; a family emoji joins its people with zero-width joiners.
    assert check_metadata({"title": "می\u200cخواهم", "publisher": "👩\u200d👩\u200d👧 Press"}) == {
        "title": "می\u200cخواهم", "publisher": "👩\u200d👩\u200d👧 Press"}
    assert check_metadata({"title": "Kunde\u200elojalitet\u200b\u2066i\u2069 praksis\tnå"}) == {
        "title": "Kundelojalitet i praksis nå"}
