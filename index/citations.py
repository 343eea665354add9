"""Citations of documents, and the course pack's exports: CSL-JSON, RIS, BibTeX, Markdown and HTML.

Every export is written from the same records (`Reference` per document, `PassageEntry` and `ConceptEntry` per
pack item), so each names the same titles, authors, dates and links. Links are absolute URLs the caller builds
from its public base URL and the document's id; no export names a stored file.
"""
from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Sequence, Union

from .language import lang_name
from .records import DocHead
from .text import CodeBlocks

# Names that read as "Given Family" (capitalised words of any cased script: Łukasz, Šimon, Иван, Σωκράτης; no digits
# or punctuation but hyphens and apostrophes) ...
_PERSON = re.compile(r"^(?:[^\W\d_][\w.'’-]*\s+){1,5}[^\W\d_][\w'’-]+$")
_MAX_NAMES = 4  # capitalised words of a person's name, particles aside
# Lower-case words that begin a family name (Jan van der Berg, Maria de la Cruz, Ludwig van Beethoven).
_PARTICLES = frozenset("van von der den de del della di da das dos du des la le ten ter te zu af av".split())
# ... unless a word is an acronym (SAS, MIT) or names an organisation (Inc. as inc): those stay one literal name.
_ACRONYM = re.compile(r"^[^\W\d_]{2,}$")
_ORGANISATION_WORDS = frozenset("""as ab asa gmbh inc ltd llc plc bv nv sa co corp company group institute institut
    university universitet universiteit college school review journal press media news magazine bank foundation
    association society council agency ministry department centre center organization organisation corporation
    incorporated limited committee commission office bureau""".split())
# ... or ends as the product's languages name an organisation (Sveriges Riks-bank, Nordisk Handels-råd, Danmarks
# Statistik, Skatte-verket, Konkurrence-styrelsen).
_ORGANISATION_ENDINGS = tuple("""bank råd rådet raad verket styrelse styrelsen direktorat direktoratet tilsynet byrå
    institut instituut forbund förbund forening förening vereniging verein verband stiftelse stiftelsen stichting
    stiftung statistik statistikk ministerie ministeriet departementet kommune kommun gemeente universitet
    universiteit högskola høgskole hogeschool akademi akademie selskab selskap sällskap gesellschaft nämnd nemnd
    kommission kommisjon""".split())
_BIBTEX_SPECIAL = re.compile(r"([&%$#_])")
_AND = re.compile(r"(?<!\S)and(?!\S)", re.IGNORECASE)
# BibTeX counts braces even after a backslash: a lone \} ends the field early and loses the entry. As commands, a
# brace of the text never counts, nor does a backslash start a command the text never meant. LaTeX reads a tilde as a
# non-breaking space and a caret as a superscript outside math (an error): as commands they print themselves.
_BIBTEX_LITERAL = str.maketrans({"{": r"\textbraceleft{}", "}": r"\textbraceright{}", "\\": r"\textbackslash{}",
                                 "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"})
# What of a line goes in bold: emphasis ends where a line does, and opens and closes on no white space.
_BOLD_LINE = re.compile(r"[^\s](?:[^\n]*[^\s])?")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# A quote keeps its lines, and its code its indentation and spaces (wrapped, never wider than the page).
HTML_STYLE = ("body{font:16px/1.5 Georgia,serif;max-width:42rem;margin:2rem auto;padding:0 1rem}"
              "blockquote{margin:0;padding-left:1rem;border-left:3px solid #888;white-space:pre-line}"
              "code{white-space:break-spaces;overflow-wrap:anywhere;font-family:monospace;background:#eee}"
              "mark{background:#fff3a3}"
              ".citation,li{font-size:.9rem;color:#333;overflow-wrap:anywhere}article{break-inside:avoid;margin-bottom:2rem}")


@dataclass(frozen=True)
class Reference:
    """What a citation of one document says, with the absolute link to it."""

    doc_id: str
    title: str
    authors: tuple[str, ...]
    date: str | None
    publisher: str | None
    lang: str
    url: str

    @classmethod
    def of(cls, fields: dict, url: str) -> "Reference":
        """The reference of a document (`cited` fields), linked at `url`."""
        return cls(fields["doc_id"], fields["title"], tuple(fields["authors"]), fields["date"], fields["publisher"],
                   fields["lang"], url)

    def to_dict(self) -> dict:
        """As the API shows it."""
        return {"doc_id": self.doc_id, "title": self.title, "authors": list(self.authors), "date": self.date,
                "publisher": self.publisher, "lang": self.lang, "language": lang_name(self.lang), "url": self.url,
                "text": self.text()}

    def text(self) -> str:
        """The citation in one line (`line`)."""
        return line(cited(self))


def line(fields: dict) -> str:
    """A citation (`cited` fields) in one line: authors (date). Title. Publisher. Language: name (code);
    without authors the title takes their place, as APA has it: Title. (date). Publisher. Language: ..."""
    date = f"({fields['date'] or 'n.d.'})."
    title = _sentence(fields["title"])
    parts = [f"{'; '.join(fields['authors'])} {date}", title] if fields["authors"] else [title, date]
    if fields["publisher"]:
        parts.append(_sentence(fields["publisher"]))
    parts.append(f"Language: {lang_name(fields['lang'])} ({fields['lang']}).")
    return " ".join(parts)


def _sentence(text: str) -> str:
    # A title that ends in its own question mark or full stop ("Inc.") takes no second one.
    return text if text.endswith((".", "?", "!")) else f"{text}."


def cited(ref: "Reference | DocHead") -> dict:
    """What a citation of a document says, without a link (the service gives this; the web app adds the link)."""
    return {"doc_id": ref.doc_id, "title": ref.title, "authors": list(ref.authors), "date": ref.date,
            "publisher": ref.publisher, "lang": ref.lang}


@dataclass(frozen=True)
class PassageEntry:
    """A passage of a pack: its document's reference, its text around the highlighted sentence, its own link."""

    reference: Reference
    before: str
    sentence: str
    after: str
    lang: str
    url: str
    code: tuple[tuple[int, int], ...] = ()  # (start, end) of each block of code in before + sentence + after

    def runs(self) -> tuple[list[tuple[str, bool]], ...]:
        """Before, sentence and after, each as (text, is code) runs."""
        blocks, at, found = CodeBlocks(self.code), 0, []
        for part in (self.before, self.sentence, self.after):
            cuts = sorted({0, len(part), *(edge for block in blocks.within(at, at + len(part)) for edge in block)})
            found.append([(part[a:b], blocks.overlaps(at + a, at + b)) for a, b in zip(cuts, cuts[1:]) if a < b])
            at += len(part)
        return tuple(found)


@dataclass(frozen=True)
class ConceptEntry:
    """A concept of a pack: label, family, definition, labels per language name, link."""

    label: str
    family: str
    definition: str
    labels: tuple[tuple[str, str], ...]
    url: str


Entry = Union[PassageEntry, ConceptEntry]


def references(entries: Sequence[Entry]) -> list[Reference]:
    """The documents a pack cites, once each, in the order they first appear."""
    found: dict[str, Reference] = {}
    for entry in entries:
        if isinstance(entry, PassageEntry):
            found.setdefault(entry.reference.doc_id, entry.reference)
    return list(found.values())


def name_parts(name: str) -> tuple[str, str] | None:
    """(family, given) of a person's name ("Jane Doe", "Doe, Jane"); None for any other name (an organisation)."""
    if name.count(",") == 1:
        family, given = (part.strip() for part in name.split(","))
        if family and given and _person(f"{given} {family}"):
            return family, given
    if _person(name):
        words = name.split()
        start = len(words) - 1  # the family name begins at its particles
        while words[start - 1] in _PARTICLES:
            start -= 1
        return " ".join(words[start:]), " ".join(words[:start])
    return None


def _person(name: str) -> bool:
    words = name.split()
    named = [w for w in words if w not in _PARTICLES]
    return (bool(_PERSON.match(name)) and words[0] not in _PARTICLES and words[-1] not in _PARTICLES
            and 2 <= len(named) <= _MAX_NAMES and all(w[0].isupper() for w in named)
            and not any(_ACRONYM.match(w) and w.isupper() or w.lower().rstrip(".") in _ORGANISATION_WORDS
                        or _organisation_compound(w.lower()) for w in words))


def _organisation_compound(word: str) -> bool:
    """Whether a word is, or compounds (with at least four letters before it: not Burbank), an organisation's word."""
    return any(word == e or len(word) - len(e) >= 4 for e in _ORGANISATION_ENDINGS if word.endswith(e))


def _particle(family: str) -> tuple[str, str]:
    """(particles, family name) of a family name: ("van der", "Berg"); ("", family) without particles."""
    words = family.split()
    n = next((i for i, w in enumerate(words) if w not in _PARTICLES), len(words))
    return " ".join(words[:n]), " ".join(words[n:])


def _date_parts(date: str | None) -> list[int]:
    return [int(part) for part in date.split("-")] if date else []


def csl_json(entries: Sequence[Entry]) -> str:
    """CSL-JSON (citeproc's input, Zotero's and Mendeley's import): one item per cited document."""
    items = []
    for ref in references(entries):
        item = {"id": ref.doc_id, "type": "webpage", "title": ref.title, "language": ref.lang, "URL": ref.url,
                "author": [_csl_name(name) for name in ref.authors]}
        if ref.date:
            item["issued"] = {"date-parts": [_date_parts(ref.date)]}
        if ref.publisher:
            item["publisher"] = ref.publisher
        items.append(item)
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


def _csl_name(name: str) -> dict:
    parts = name_parts(name)
    if parts is None:
        return {"literal": name}
    particle, family = _particle(parts[0])
    return {"family": family, "given": parts[1], **({"non-dropping-particle": particle} if particle else {})}


def ris(entries: Sequence[Entry]) -> str:
    """RIS (EndNote, Zotero, Mendeley): one ELEC record per cited document, CRLF line ends as the format says."""
    records = []
    for ref in references(entries):
        lines = ["TY  - ELEC", f"ID  - {ref.doc_id}", f"TI  - {_one_line(ref.title)}"]
        lines += [f"AU  - {_ris_name(name)}" for name in ref.authors]
        if ref.date:
            parts = ref.date.split("-") + ["", ""]
            lines += [f"PY  - {parts[0]}", f"DA  - {parts[0]}/{parts[1]}/{parts[2]}/"]
        if ref.publisher:
            lines.append(f"PB  - {_one_line(ref.publisher)}")
        lines += [f"LA  - {ref.lang}", f"UR  - {ref.url}", "ER  - "]
        records.append("\r\n".join(lines))
    return "\r\n\r\n".join(records) + "\r\n"


def _ris_name(name: str) -> str:
    parts = name_parts(name)
    return f"{parts[0]}, {parts[1]}" if parts else _one_line(name)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def bibtex(entries: Sequence[Entry]) -> str:
    """BibTeX (UTF-8): one @misc entry per cited document, keyed by its document id; `date` and `language` for biblatex."""
    out = []
    for ref in references(entries):
        fields = [("title", _tex(ref.title)),
                  ("author", " and ".join(_bibtex_name(name) for name in ref.authors))]
        if ref.date:
            parts = ref.date.split("-")
            fields += [("year", parts[0]), ("date", ref.date)]
            if len(parts) > 1:
                fields.append(("month", _MONTHS[int(parts[1]) - 1]))
        if ref.publisher:
            fields.append(("publisher", _tex(ref.publisher)))
        fields += [("language", ref.lang), ("url", ref.url)]
        # A month is BibTeX's macro (may, not {may}), which styles print in their own language and form.
        body = ",\n".join(f"  {key} = {value if key == 'month' else '{' + value + '}'}" for key, value in fields if value)
        out.append(f"@misc{{kb-{ref.doc_id},\n{body}\n}}\n")
    return "\n".join(out)


def _tex(text: str) -> str:
    return _BIBTEX_SPECIAL.sub(r"\\\1", _one_line(text).translate(_BIBTEX_LITERAL))


def _bibtex_name(name: str) -> str:
    parts = name_parts(name)
    # An organisation's name in braces is one name, not split at "and" or at its last word. BibTeX splits names at an
    # "and" of any case outside braces (a person's "Anna And Lee Berg" was two authors), and simpler readers split
    # at one inside braces too: every such word is braced on its own.
    return f"{_tex_name(parts[0])}, {_tex_name(parts[1])}" if parts else "{" + _tex_name(name) + "}"


def _tex_name(text: str) -> str:
    return _AND.sub(r"{\g<0>}", _tex(text))


def markdown(entries: Sequence[Entry], compiled: str) -> str:
    """The pack as Markdown: each item quoted with its citation and link, then the references."""
    lines = ["# Course pack", "", f"Compiled {compiled} from the strategy knowledge base.", ""]
    for n, entry in enumerate(entries, start=1):
        lines += [f"## {n}. {_md(_heading(entry))}", ""]
        if isinstance(entry, PassageEntry):
            lines += ["\n".join(f"> {line}".rstrip() for line in _md_quote(entry).split("\n")), ""]
        else:
            lines += [_md(entry.definition), ""]
            if entry.labels:
                lines += ["Labels — " + "; ".join(f"{lang}: {_md(label)}" for lang, label in entry.labels), ""]
        lines += [f"Source: {_md(_citation(entry))} <{entry.url}>", ""]
    refs = references(entries)
    if refs:
        lines += ["## References", ""] + [f"- {_md(ref.text())} <{ref.url}>" for ref in refs] + [""]
    return "\n".join(lines)


def _md_quote(entry: PassageEntry) -> str:
    """A passage as Markdown: its sentence in bold, its code fenced as written (no escapes, no emphasis; a sentence
    that cuts a block leaves it one block)."""
    out, code = [], ""
    for n, runs in enumerate(entry.runs()):
        for text, is_code in runs:
            if is_code:
                code += text
                continue
            if code:
                out.append(_fenced(code))
                code = ""
            out.append(_BOLD_LINE.sub(r"**\g<0>**", _md(text)) if n == 1 else _md(text))
    return ("".join(out) + (_fenced(code) if code else "")).strip()


def _fenced(code: str) -> str:
    fence = "`" * max(3, 1 + max(map(len, re.findall("`+", code)), default=0))  # longer than any run of ` inside
    return f"{fence}\n{code}\n{fence}"


def _md(text: str) -> str:
    # & too: a title that writes "&amp;" or "&lt;b&gt;" would render as the characters those entities name.
    return re.sub(r"([\\`*_[\]<>#|&])", r"\\\1", text)


def _heading(entry: Entry) -> str:
    return entry.reference.title if isinstance(entry, PassageEntry) else f"Concept: {entry.label}"


def _citation(entry: Entry) -> str:
    if isinstance(entry, PassageEntry):
        return entry.reference.text()
    family = f" ({entry.family})" if entry.family.casefold() != entry.label.casefold() else ""
    return f"{entry.label}{family}, concept catalogue."


def html_page(entries: Sequence[Entry], compiled: str) -> str:
    """The pack as one self-contained, valid HTML5 page (UTF-8, English, each quote in its own language)."""
    e = html.escape
    body = []
    for entry in entries:
        # A document's title is in the document's language; a concept's heading is English, as the page.
        lang = f' lang="{e(entry.reference.lang)}"' if isinstance(entry, PassageEntry) else ""
        parts = [f"<h2{lang}>{e(_heading(entry))}</h2>"]
        if isinstance(entry, PassageEntry):
            before, sentence, after = ("".join(f"<code>{e(text)}</code>" if is_code else e(text) for text, is_code in runs)
                                       for runs in entry.runs())
            marked = f"<mark>{sentence}</mark>" if sentence else ""  # a whole passage has no sentence to mark
            parts.append(f'<blockquote lang="{e(entry.lang)}">{before}{marked}{after}</blockquote>')
        else:
            parts.append(f"<p>{e(entry.definition)}</p>")
            if entry.labels:
                parts.append("<p>Labels — " + "; ".join(f"{e(lang)}: {e(label)}" for lang, label in entry.labels) + "</p>")
        parts.append(f'<p class="citation">Source: {e(_citation(entry))} <a href="{e(entry.url)}">{e(entry.url)}</a></p>')
        body.append("<article>" + "".join(parts) + "</article>")
    refs = references(entries)
    if refs:
        body.append("<section><h2>References</h2><ol>" + "".join(
            f'<li>{e(ref.text())} <a href="{e(ref.url)}">{e(ref.url)}</a></li>' for ref in refs) + "</ol></section>")
    return ("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>Course pack</title>\n<style>{HTML_STYLE}</style>\n</head>\n<body>\n<main>\n<h1>Course pack</h1>\n"
            f"<p>Compiled {e(compiled)} from the strategy knowledge base.</p>\n" + "\n".join(body)
            + "\n</main>\n</body>\n</html>\n")


FORMATS = {"markdown": ("text/markdown", "md"), "html": ("text/html", "html"),
           "csl-json": ("application/vnd.citationstyles.csl+json", "json"),
           "ris": ("application/x-research-info-systems", "ris"), "bibtex": ("application/x-bibtex", "bib")}


def export(entries: Sequence[Entry], fmt: str, compiled: str) -> str:
    """The pack in one of FORMATS (the caller checked `fmt`); `compiled` is the date it is made on."""
    if fmt == "markdown":
        return markdown(entries, compiled)
    if fmt == "html":
        return html_page(entries, compiled)
    return {"csl-json": csl_json, "ris": ris, "bibtex": bibtex}[fmt](entries)
