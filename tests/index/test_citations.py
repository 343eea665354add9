"""Course-pack exports parsed back with each format's own library: the same titles, authors, dates and links."""
from __future__ import annotations

import calendar
import json

import bibtexparser
import html5lib
import pytest
import rispy
from bibtexparser.bparser import BibTexParser
from bibtexparser.customization import author, convert_to_unicode, splitname
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON

from index.citations import ConceptEntry, PassageEntry, Reference, bibtex, csl_json, export, name_parts, ris

BASE = "https://kb.example.org"
REFS = [
    Reference("a1", "Kundintimitet: vad det är & hur man bygger det", ("Michael Treacy", "Wiersema, Fred"), "1993-01",
              "Harvard Business Review", "sv", f"{BASE}/documents/a1"),
    Reference("b2", "Blir lojaliteten borte? 100 % lojal_kunde", ("Peter Thomasson", "SAS Institute Norge AS"), "2021",
              None, "no", f"{BASE}/documents/b2"),
    Reference("c3", "Customer lock-on", (), "2001-05-14", "Het Financieele Dagblad", "nl", f"{BASE}/documents/c3"),
]


def passage(ref: Reference, n: int) -> PassageEntry:
    return PassageEntry(ref, "Före. ", f"Mening {n}.", " Efter.", ref.lang, f"{ref.url}?chunk={n}#chunk-{n}")


# The acceptance pack: five passages from three documents, and a concept (which no reference manager cites).
PACK = [passage(REFS[0], 0), passage(REFS[1], 2), passage(REFS[0], 3),
        ConceptEntry("Customer intimacy", "Value disciplines", "Knowing customers well.", (("Swedish", "kundintimitet"),),
                     f"{BASE}/concepts/customer-intimacy"),
        passage(REFS[2], 1), passage(REFS[1], 5)]


def full_name(family: str, given: str) -> str:
    return f"{given} {family}".strip()


def expected_names(ref: Reference) -> list[str]:
    return [full_name(*name_parts(a)) if name_parts(a) else a for a in ref.authors]


def test_csl_json_renders_in_a_citation_style_with_every_title_author_date_and_link():
    items = json.loads(csl_json(PACK))
    assert [i["id"] for i in items] == ["a1", "b2", "c3"]  # one per document, in pack order
    for item, ref in zip(items, REFS):
        assert item["title"] == ref.title and item["URL"] == ref.url and item["language"] == ref.lang
        names = [a.get("literal") or full_name(a["family"], a["given"]) for a in item["author"]]
        assert names == expected_names(ref)
        assert item["issued"]["date-parts"] == [[int(p) for p in ref.date.split("-")]]
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    rendered = [str(entry) for entry in bibliography.bibliography()]
    assert len(rendered) == 3
    text = "\n".join(rendered)
    for needle in ("Treacy, M.", "Wiersema, F.", "(1993)", "Kundintimitet", "Thomasson, P.", "SAS Institute Norge AS",
                   "(2021)", "Customer lock-on", "(2001)", f"{BASE}/documents/c3"):
        assert needle in text, (needle, text)


def test_ris_parses_back_with_rispy():
    records = rispy.loads(ris(PACK))
    assert len(records) == 3
    for record, ref in zip(records, REFS):
        assert record["type_of_reference"] == "ELEC" and record["id"] == ref.doc_id
        assert record["title"] == ref.title and record["urls"] == [ref.url] and record["language"] == ref.lang
        authors = [full_name(*a.split(", ", 1)) if ", " in a and name_parts(a) else a for a in record.get("authors", [])]
        assert authors == expected_names(ref)
        assert record["year"] == ref.date[:4] and record["date"].rstrip("/").replace("/", "-") == ref.date
        assert record.get("publisher") == ref.publisher


def bibtex_names(field: str) -> list[str]:
    """Authors as BibTeX reads them: split at "and", each parsed into first and last names by bibtexparser."""
    names = [splitname(n.strip()) for n in field.split(" and ") if n.strip()] if field else []
    return [" ".join(n["first"] + n["von"] + n["last"]).strip("{}") for n in names]


def test_bibtex_parses_back_with_bibtexparser():
    parser = BibTexParser(common_strings=True)
    parser.customization = convert_to_unicode
    raw = {e["ID"]: e for e in bibtexparser.loads(bibtex(PACK), parser=BibTexParser(common_strings=True)).entries}
    entries = {e["ID"]: e for e in bibtexparser.loads(bibtex(PACK), parser=parser).entries}
    assert list(entries) == [f"kb-{ref.doc_id}" for ref in REFS]
    for ref in REFS:
        entry = entries[f"kb-{ref.doc_id}"]
        assert entry["ENTRYTYPE"] == "misc" and entry["title"] == ref.title and entry["url"] == ref.url
        assert bibtex_names(raw[f"kb-{ref.doc_id}"].get("author", "")) == expected_names(ref)
        assert entry["year"] == ref.date[:4] and entry["date"] == ref.date
        if len(ref.date) > 4:  # written as BibTeX's month macro, which common_strings reads as the month's name
            month = int(ref.date[5:7]) - 1
            assert entry["month"] == calendar.month_name[month + 1]
            assert f"month = {calendar.month_abbr[month + 1].lower()},\n" in bibtex(PACK)
        assert entry.get("publisher") == ref.publisher and entry["language"] == ref.lang


@pytest.mark.parametrize("title", ["A } B", "A { B", "{A} } {", "C:\\Users\\kb \\}"])
def test_a_brace_or_backslash_in_a_field_loses_no_bibtex_entry(title):
    # BibTeX counts every brace, escaped or not: a lone one ended the field and the parser dropped the entry.
    odd = Reference("d4", title, (f"Org {title}",), "2020", f"Press {title}", "en", f"{BASE}/documents/d4")
    pack = [passage(odd, 0), passage(REFS[0], 1)]
    raw = bibtexparser.loads(bibtex(pack), parser=BibTexParser(common_strings=True)).entries
    assert [e["ID"] for e in raw] == ["kb-d4", "kb-a1"] and raw[1]["title"] == bibtexparser.loads(
        bibtex([passage(REFS[0], 1)]), parser=BibTexParser(common_strings=True)).entries[0]["title"]
    literal = {"{": r"\textbraceleft{}", "}": r"\textbraceright{}", "\\": r"\textbackslash{}"}
    assert raw[0]["title"] == "".join(literal.get(ch, ch) for ch in title)  # the LaTeX commands for the characters
    assert raw[0]["publisher"].startswith("Press ") and raw[0]["url"] == odd.url


@pytest.mark.parametrize("title", ["Tilde ~ with caret ^ here", "x^2 ~ y", "~^~"])
def test_a_tilde_or_caret_in_a_field_prints_itself_in_latex(title):
    # LaTeX reads a bare ~ as a non-breaking space (the character is lost) and a bare ^ outside math as an error.
    odd = Reference("d5", title, (f"Org {title}",), "2020", f"Press {title}", "en", f"{BASE}/documents/d5")
    (raw,) = bibtexparser.loads(bibtex([passage(odd, 0)]), parser=BibTexParser(common_strings=True)).entries
    commands = {"~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
    assert raw["title"] == "".join(commands.get(ch, ch) for ch in title)
    assert raw["publisher"] == "Press " + "".join(commands.get(ch, ch) for ch in title)
    assert raw["author"] == "{Org " + "".join(commands.get(ch, ch) for ch in title) + "}"


def test_an_and_inside_a_name_does_not_split_it_into_two_bibtex_authors():
    # BibTeX separates names at "and" in any case: "Anna And Lee Berg" was read as the authors "Berg, Anna" and "Lee".
    odd = Reference("d7", "T", ("Anna And Lee Berg", "Johnson and Johnson", "Tom AND Jerry", "Jane Doe"), "2020", None,
                    "en", f"{BASE}/documents/d7")
    (raw,) = bibtexparser.loads(bibtex([passage(odd, 0)]), parser=BibTexParser(common_strings=True)).entries
    names = author({"author": raw["author"]})["author"]
    assert [name.replace("{", "").replace("}", "").rstrip(", ") for name in names] == [
        "Berg, Anna And Lee", "Johnson and Johnson", "Tom AND Jerry", "Doe, Jane"]


def test_html_is_valid_self_contained_and_marks_each_quote_in_its_language():
    page = export(PACK, "html", "2026-12-03")
    document = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)  # raises on any error
    assert document.get("lang") == "en" and document.find("head/meta").get("charset") == "utf-8"
    assert [q.get("lang") for q in document.iter("blockquote")] == ["sv", "no", "sv", "nl", "no"]
    assert not [e for e in document.iter() if e.tag in ("script", "link", "img")]  # nothing to fetch
    links = {a.get("href") for a in document.iter("a")}
    assert {ref.url for ref in REFS} <= links and all(link.startswith(BASE) for link in links)
    assert "Treacy" in page and "1993-01" in page and "Harvard Business Review" in page
    assert page.count("<mark>") == 5 and "<mark></mark>" not in export(
        [PassageEntry(REFS[0], "Hela stycket.", "", "", "sv", REFS[0].url)], "html", "2026-12-03")  # nothing to mark


def test_markdown_cites_every_item_and_lists_the_references():
    text = export(PACK, "markdown", "2026-12-03")
    assert text.count("Source: ") == 6 and text.count("\n- ") == 3
    assert "Michael Treacy; Wiersema, Fred (1993-01)" in text and "**Mening 0.**" in text
    # A document without authors is cited by its title first, in the quotes' sources and the references alike.
    assert "Source: Customer lock-on. (2001-05-14). Het Financieele Dagblad. Language: Dutch (nl)." in text
    assert "\n- Customer lock-on. (2001-05-14). Het Financieele Dagblad." in text and "(n.d.)" not in text


def test_an_ampersand_in_markdown_is_escaped_so_an_entity_a_title_writes_is_not_rendered():
    # CommonMark reads "&amp;" as "&" and "&lt;b&gt;" as "<b>": the title would show other characters than it has.
    odd = Reference("d6", "AT&amp;T &lt;b&gt; & Co", ("Jane Doe",), "2020", "R&amp;D Press", "en", f"{BASE}/documents/d6")
    text = export([passage(odd, 0)], "markdown", "2026-12-06")
    assert "## 1. AT\\&amp;T \\&lt;b\\&gt; \\& Co\n" in text
    assert "R\\&amp;D Press." in text and "&amp;" not in text.replace("\\&amp;", "")


@pytest.mark.parametrize("ref, expected", [
    (REFS[0], "Michael Treacy; Wiersema, Fred (1993-01). Kundintimitet: vad det är & hur man bygger det."
              " Harvard Business Review. Language: Swedish (sv)."),
    (Reference("d4", "Kundintimitet: vad det är och hur man bygger det", (), None, "Ledernytt", "sv", BASE),
     "Kundintimitet: vad det är och hur man bygger det. (n.d.). Ledernytt. Language: Swedish (sv)."),
    (Reference("e5", "Blir lojaliteten borte?", (), "2021", "SAS Institute Inc.", "no", BASE),
     "Blir lojaliteten borte? (2021). SAS Institute Inc. Language: Norwegian (no)."),
])
def test_a_one_line_citation_puts_the_title_first_when_no_author_is_known(ref, expected):
    assert ref.text() == expected


@pytest.mark.parametrize("name, parts", [
    ("Jane Doe", ("Doe", "Jane")), ("Doe, Jane", ("Doe", "Jane")), ("Jean-Luc Le Goff", ("Goff", "Jean-Luc Le")),
    ("SAS Institute", None), ("Vad är strategi", None), ("MIT Sloan Management Review", None),
    ("Peter Thomasson, SAS Institute", None),
    # Capitals beyond Latin-1 start a name as Ø does; a cased script is read as Latin is, an uncased one stays whole.
    ("Łukasz Żuk", ("Żuk", "Łukasz")), ("Čech, Šimon", ("Čech", "Šimon")), ("Иван Петров", ("Петров", "Иван")),
    ("Σωκράτης Παπαδόπουλος", ("Παπαδόπουλος", "Σωκράτης")), ("Ørjan Ødegård", ("Ødegård", "Ørjan")),
    ("山田 太郎", None), ("ИБМ Групп", None),
    # An organisation word with its full stop, or spelt the American way, is still an organisation's.
    ("Acme, Inc.", None), ("Acme Corp.", None), ("Example Ltd.", None), ("World Health Organization", None),
    # ... and so is one the product's languages write as a compound's head (riks+bank, handels+råd); not a surname.
    ("Sveriges Riksbank", None), ("Nordisk Handelsråd", None), ("Danmarks Statistik", None),
    ("Tom Burbank", ("Burbank", "Tom")),
])
def test_names_split_into_family_and_given_only_where_they_read_as_a_person(name, parts):
    assert name_parts(name) == parts


CODE = "def total(rows):\n    return  sum(r.amount_due for r in rows)  # `sum`"


def test_a_passages_code_is_exported_as_written_fenced_in_markdown_and_in_a_code_element_in_html():
    # Its sentence cuts the block: it stays one block, unescaped (amount_due, not amount\_due), its spaces kept.
    text = f"Summan räknas så här.\n\n{CODE}\n\nDen returnerar noll."
    start = text.index("    return")
    entry = PassageEntry(REFS[0], text[:start], text[start:start + 20], text[start + 20:], "sv", f"{BASE}/documents/a1",
                         ((text.index("def"), text.index("def") + len(CODE)),))
    quote = export([entry], "markdown", "2026-12-06").split("## 1.")[1]
    assert "> ```\n> def total(rows):\n>     return  sum(r.amount_due for r in rows)  # `sum`\n> ```\n" in quote
    assert "> Summan räknas så här.\n>\n> ```" in quote and "> ```\n>\n> Den returnerar noll." in quote
    page = export([entry], "html", "2026-12-06")
    document = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)
    quoted = next(document.iter("blockquote"))
    assert "".join("".join(code.itertext()) for code in quoted.iter("code")) == CODE
    assert "".join(quoted.itertext()) == text
    fences = "```sh\nmake\n```"  # a block that writes a fence itself is fenced by a longer one
    entry = PassageEntry(REFS[0], f"Exempel.\n\n{fences}", "", "", "sv", f"{BASE}/documents/a1", ((10, 10 + len(fences)),))
    assert f"> ````\n> {fences.replace(chr(10), chr(10) + '> ')}\n> ````" in export([entry], "markdown", "2026-12-06")


def test_a_family_names_particles_stay_with_it_in_every_format():
    ref = Reference("p1", "Klantbinding", ("Jan van der Berg", "de la Cruz, Maria", "Ludwig van Beethoven"), "2020",
                    None, "nl", f"{BASE}/documents/p1")
    pack = [passage(ref, 0)]
    assert [name_parts(a) for a in ref.authors] == [("van der Berg", "Jan"), ("de la Cruz", "Maria"),
                                                     ("van Beethoven", "Ludwig")]
    (item,) = json.loads(csl_json(pack))
    assert item["author"][0] == {"family": "Berg", "given": "Jan", "non-dropping-particle": "van der"}
    (entry,) = bibtexparser.loads(bibtex(pack), parser=BibTexParser(common_strings=True)).entries
    names = [splitname(n) for n in entry["author"].split(" and ")]
    assert [(n["first"], n["von"], n["last"]) for n in names] == [
        (["Jan"], ["van", "der"], ["Berg"]), (["Maria"], ["de", "la"], ["Cruz"]), (["Ludwig"], ["van"], ["Beethoven"])]
    (record,) = rispy.loads(ris(pack))
    assert record["authors"] == ["van der Berg, Jan", "de la Cruz, Maria", "van Beethoven, Ludwig"]


def test_authors_are_cited_as_written_an_organisation_is_never_turned_round():
    # Which names are people's cannot be told from two capitalised words ("Innovasjon Norge", "Statistics Norway"):
    # the one-line citation writes every name as typed; RIS, BibTeX and CSL-JSON split only those they can.
    ref = Reference("o1", "Eksport i endring", ("Innovasjon Norge", "Statistics Norway"), "2024", None, "no", BASE)
    assert ref.text().startswith("Innovasjon Norge; Statistics Norway (2024). Eksport i endring.")
