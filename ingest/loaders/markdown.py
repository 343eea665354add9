"""Markdown: its visible text, code blocks as written, its title and its front matter's metadata."""
from __future__ import annotations

import datetime
import re

import yaml

from .base import Extracted
from .plain import decode


# Markdown syntax to strip, in order. Each pattern runs in time linear in the text: a span stops at the next opener
# of its kind, whitespace never runs across lines where a line is matched, so that no start scans on to the end of
# the text (as `\[([^\]]+)` over "[[[[..." or `^\s*` over blank lines did: 40 KB of newlines took 25 s).
_MAX_EMPHASIS = 500
_MD_SYNTAX = [
    (re.compile(r"!\[([^\[\]]*)\]\([^()\n]*\)"), r"\1"),
    (re.compile(r"\[([^\[\]]+)\]\([^()\n]*\)"), r"\1"),
    # Reference links ([text][ref], and their definitions [ref]: URL "title"), footnote marks ([^1]), task boxes.
    (re.compile(r"^[ \t]{0,3}\[(?!\^)[^\[\]\n]+\]:[ \t]*\S+[^\n]*$", re.MULTILINE), ""),
    (re.compile(r"\[([^\[\]\n]+)\]\[[^\[\]\n]*\]"), r"\1"),
    (re.compile(r"^([ \t]{0,3})\[\^[^\[\]\s]+\]:[ \t]*", re.MULTILINE), r"\1"),
    (re.compile(r"\[\^[^\[\]\s]+\]"), ""),
    (re.compile(r"^([ \t]*[-*+][ \t]+)\[[ xX]\][ \t]+", re.MULTILINE), r"\1"),
    (re.compile(r"~~([^~\n]+)~~"), r"\1"),
    (re.compile(r"^[ \t]{0,3}#{1,6}[ \t]*", re.MULTILINE), ""),
    (re.compile(r"^[ \t]{0,3}>[ \t]?", re.MULTILINE), ""),
    # Strong emphasis spans a few words, not a paragraph: bounded, an opener without a closer in a long paragraph (whose
    # soft breaks are joined) does not scan on to its end.
    (re.compile(r"(\*\*|__)(.{1,%d}?)\1" % _MAX_EMPHASIS), r"\2"),
    (re.compile(r"(?<![\w*])[*_](?!\s)([^*_\n]+?)(?<!\s)[*_](?![\w*])"), r"\1"),
    (re.compile(r"`([^`]+)`"), r"\1"),
    (re.compile(r"^[ \t]*([-*_][ \t]*){3,}$", re.MULTILINE), ""),
    # HTML inside Markdown: comments go, a line break or a block element ends a line, other elements of HTML go and
    # their text stays; an autolink is its address. What only looks like a tag (kbctl set <name> <value>, a < b > c)
    # is text.
    (re.compile(r"<!--.*?(?:-->|$)", re.DOTALL), ""),
    (re.compile(r"</?(?:br|p|div|h[1-6]|li|ul|ol|dl|dt|dd|table|tr|td|th|pre|blockquote|section|hr|details|summary)"
                r"\b[^<>]*>", re.IGNORECASE), "\n"),
    (re.compile(r"</?(?:" + "|".join(("a", "abbr", "b", "code", "del", "em", "font", "i", "img", "ins", "kbd", "mark",
                                       "q", "s", "samp", "small", "span", "strong", "sub", "sup", "u", "var", "video",
                                       "audio", "source", "picture", "figure", "figcaption", "center", "tbody",
                                       "thead", "caption", "colgroup", "col", "input"))
                + r")\b[^<>]*>", re.IGNORECASE), ""),
    (re.compile(r"<((?:https?|ftp)://[^<>\s]+|[^<>\s@]+@[^<>\s@]+)>"), r"\1"),
]
# A line that begins a block of its own rather than continuing a paragraph (heading, quote, table, list item,
# setext underline, link or footnote definition, indented code, HTML), and a line that never runs on (heading,
# table row).
_MD_BLOCK_START = re.compile(r"^(?:[ \t]{0,3}(?:[#>|<]|[-*+][ \t]|\d{1,9}[.)][ \t]|=+[ \t]*$|-+[ \t]*$|\[[^\]\n]+\]:)"
                             r"|[ \t]{4}|\t)")
_MD_ALONE = re.compile(r"^[ \t]{0,3}(?:#|\|)|.*\|[ \t]*$")
_MD_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!~|<>])")
_ESCAPE_BASE = 0xE000
_MD_HELD = re.compile("[\ue020-\ue07e]")
# A fence opens or closes a code block: three or more backticks or tildes at a line's start.
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
# Front matter: YAML between two lines of three dashes at the very start of a file (Jekyll, Hugo, Pandoc, MkDocs).
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_MAX_FRONT_MATTER = 16 * 1024
# Front-matter keys -> the metadata field each fills.
_MAX_DECLARED_AUTHORS = 50
_FRONT_MATTER_FIELDS = {"title": "title", "author": "authors", "authors": "authors", "date": "date", "lang": "lang",
                        "language": "lang", "publisher": "publisher"}
# A title's closing hashes are stripped after the match: a lazy title before `\s*#*\s*$` backtracked in time cubic in
# the spaces after it (3 KB took 32 s).
_ATX_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+([^\n]+)", re.MULTILINE)
_SETEXT_HEADING = re.compile(r"^(\S[^\n]*)\n[ \t]{0,3}(=+|-+)[ \t]*$", re.MULTILINE)


def load_markdown(data: bytes, name: str) -> Extracted:
    """Markdown, with the markup stripped to its visible text and code blocks kept as written; title and what else
    its front matter says, else the title from the first heading outside code."""
    text, declared = _front_matter(decode(data, name))
    blocks = [(is_code, block if is_code else _soft_breaks_joined(block)) for is_code, block in _fenced_blocks(text)]
    prose = "\n\n".join(block for is_code, block in blocks if not is_code)
    headings = [m for m in (_ATX_HEADING.search(prose), _SETEXT_HEADING.search(prose)) if m]
    title = min(headings, key=lambda m: m.start())[1].strip().rstrip("#").rstrip() if headings else None
    # A backslash escapes what Markdown would read as markup (\*not emphasis\*): held aside as a private-use
    # character while the markup goes, then the character itself.
    blocks = [(is_code, block if is_code else _MD_ESCAPED.sub(lambda m: chr(_ESCAPE_BASE + ord(m[1])), block))
              for is_code, block in blocks]
    for pattern, replacement in _MD_SYNTAX:
        blocks = [(is_code, block if is_code else pattern.sub(replacement, block)) for is_code, block in blocks]
        title = pattern.sub(replacement, title) if title else title
    blocks = [(is_code, block if is_code else _MD_HELD.sub(lambda m: chr(ord(m[0]) - _ESCAPE_BASE), block))
              for is_code, block in blocks]
    title = declared.pop("title", None) or (title.strip() if title else None)
    return Extracted("\n".join(block for _, block in blocks), title, declared)


def _fenced_blocks(text: str) -> list[tuple[bool, str]]:
    """The text as (is code, text) blocks: a fenced block's lines as written, without its fences (an unclosed fence
    runs to the end, as CommonMark reads it); one pass over the lines."""
    blocks: list[tuple[bool, list[str]]] = [(False, [])]
    fence = ""
    for line in text.split("\n"):
        match = _FENCE.match(line)
        if not fence and match:
            fence = match.group(1)
            blocks.append((True, []))
        elif fence and match and match.group(1).startswith(fence) and not line[match.end():].strip():
            fence = ""
            blocks.append((False, []))
        else:
            blocks[-1][1].append(line)
    return [(is_code, "\n".join(lines)) for is_code, lines in blocks if lines]


def _soft_breaks_joined(text: str) -> str:
    """Prose lines a Markdown paragraph continues on joined (a soft line break renders as a space), so that a wrapped
    paragraph reads as one; a heading, a table row, a hard break and the lines that begin a block stay apart."""
    out: list[list[str]] = []  # the pieces of each line, joined once: a book-long paragraph costs linear time
    previous = ""
    for line in text.split("\n"):
        if (previous.strip() and line.strip() and not _MD_BLOCK_START.match(line) and not _MD_ALONE.match(previous)
                and not previous.endswith(("  ", "\\"))):
            out[-1].append(" " + line.strip())
        else:
            out.append([line])
        previous = line
    return "\n".join("".join(pieces) for pieces in out)


def _front_matter(text: str) -> tuple[str, dict]:
    """The text without its YAML front matter, and the metadata fields it declares (title, authors, date, lang,
    publisher); a block that is not YAML mapping is left as text."""
    match = _FRONT_MATTER.match(text)
    if match is None or len(match.group(1)) > _MAX_FRONT_MATTER:
        return text, {}
    try:
        values = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return text, {}
    if not isinstance(values, dict):
        return text, {}
    declared: dict = {}
    for key, value in values.items():
        field_name = _FRONT_MATTER_FIELDS.get(str(key).strip().lower())
        if field_name is None or field_name in declared:
            continue
        if isinstance(value, (datetime.date, int)) and field_name == "date":
            value = value.isoformat() if isinstance(value, datetime.date) else str(value)
        if field_name == "authors" and isinstance(value, list):
            value = [v for v in value if isinstance(v, str)][:_MAX_DECLARED_AUTHORS]
        if isinstance(value, str) or (field_name == "authors" and isinstance(value, list)):
            declared[field_name] = value
    return text[match.end():], declared
