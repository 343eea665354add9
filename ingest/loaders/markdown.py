"""Markdown: its visible text, code blocks as written, its title and its front matter's metadata."""
from __future__ import annotations

import re

import yaml

from .base import Extracted, code_block
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
    (re.compile(r"^[ \t]*([-*_][ \t]*){3,}$", re.MULTILINE), ""),
    (re.compile(r"\\$", re.MULTILINE), ""),  # a hard line break
    # HTML inside Markdown (its comments gone first): a line break or a block element ends a line, other elements of
    # HTML go and their text stays; an autolink is its address. What only looks like a tag (kbctl set <name> <value>,
    # a < b > c) is text.
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
# setext underline, link or footnote definition, HTML; a nested list's item at any depth), and a line that never
# runs on (heading, table row). Another indented line goes on with the paragraph (code blocks are read apart first,
# and cannot interrupt one).
_MD_BLOCK_START = re.compile(r"^(?:[ \t]{0,3}(?:[#>|<]|=+[ \t]*$|-+[ \t]*$|\[[^\]\n]+\]:)|[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t])")
_MD_ALONE = re.compile(r"^[ \t]{0,3}(?:#|\|)|.*\|[ \t]*$")
_MD_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!~|<>])")
# `code`, ``code with a ` in it``: on one line and bounded, so an opener without a closer scans little.
_CODE_SPAN = re.compile(r"(`{1,8})(?!`)([^\n]{1,1000}?)(?<!`)\1(?!`)")
_HOLD_OPEN, _HOLD_CLOSE = "\U000F0000", "\U000F0001"
_HELD = re.compile(f"{_HOLD_OPEN}(\\d+){_HOLD_CLOSE}")
_PRIVATE = re.compile("[\U000F0000-\U000FFFFD]")
# An indented code block's lines, and a list item (whose indented lines continue it).
_INDENTED = re.compile(r"^(?: {4}|\t| {0,3}\t)")
_LIST_ITEM = re.compile(r"^[ \t]{0,3}(?:[-*+]|\d{1,9}[.)])[ \t]")
# A fence opens or closes a code block: three or more backticks or tildes at a line's start (indented at most three
# spaces, or as deep as a list item's paragraphs inside a list); `_QUOTE` is the block quotes a fence may lie in.
_FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,})")
_QUOTE = re.compile(r"^(?:[ \t]{0,3}>[ \t]?)+")
_ANY_LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]")
# Front matter: YAML between two lines of three dashes at the very start of a file (Jekyll, Hugo, Pandoc, MkDocs).
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_MAX_FRONT_MATTER = 16 * 1024
# Front-matter keys -> the metadata field each fills; at most this many authors are read.
_FRONT_MATTER_FIELDS = {"title": "title", "author": "authors", "authors": "authors", "date": "date", "lang": "lang",
                        "language": "lang", "publisher": "publisher"}
_MAX_DECLARED_AUTHORS = 50
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
    title = declared.pop("title", None) or (_visible(title).strip() if title else None)
    return Extracted("\n".join(code_block(block) if is_code else _visible(block) for is_code, block in blocks), title,
                     declared)


def _visible(markdown: str) -> str:
    """The text a reader sees of Markdown prose. Inline code is held aside as written (no escape or tag inside it is
    markup), and so is a backslash-escaped character (\\*not emphasis\\*), while the markup goes; held as
    supplementary private-use characters, which a text holding any keeps as written (nothing held)."""
    held: list[str] = []

    def hold(text: str) -> str:
        held.append(text)
        return f"{_HOLD_OPEN}{len(held) - 1}{_HOLD_CLOSE}"

    if _PRIVATE.search(markdown):
        markdown = _CODE_SPAN.sub(lambda m: m[2], markdown)
    else:
        markdown = _CODE_SPAN.sub(lambda m: hold(m[2]), markdown)
        markdown = _MD_ESCAPED.sub(lambda m: hold(m[1]), markdown)
    markdown = _without_comments(markdown)
    for pattern, replacement in _MD_SYNTAX:
        markdown = pattern.sub(replacement, markdown)
    return _HELD.sub(lambda m: held[int(m[1])], markdown) if held else markdown


def _without_comments(text: str) -> str:
    """Text without its HTML comments, in one pass: an opener without a closer stays text, and so does every
    later one (none has a closer either), where a pattern looked for the closer from each opener again."""
    kept, at = [], 0
    while (start := text.find("<!--", at)) >= 0 and (end := text.find("-->", start + 4)) >= 0:
        kept.append(text[at:start])
        at = end + 3
    return "".join(kept) + text[at:]


def _fenced_blocks(text: str) -> list[tuple[bool, str]]:
    """The text as (is code, text) blocks: a fenced block's lines as written, without its fences, the indentation of
    its opening fence or the quote marks of the block quote it lies in (an unclosed fence runs to the end of the text,
    or of its quote or list item, as CommonMark reads it); one pass over the lines."""
    blocks: list[tuple[bool, list[str]]] = [(False, [])]
    fence, indent, quoted, in_list, listed = "", 0, _QUOTE, False, False
    for line in text.split("\n"):
        if fence:
            inside = quoted.match(line)  # None where the quote the block lies in ended, and the block with it
            # So does a list item's: a line indented less than a fence in a list ends the item (the next item begins).
            if listed and line.strip() and len(line) - len(line.lstrip(" \t")) < indent:
                inside = None
            rest = line[inside.end():] if inside else ""
            match = _FENCE.match(rest)
            if inside and not (match and match[2].startswith(fence) and not rest[match.end():].strip()
                               and len(match[1]) <= max(indent, 3)):
                blocks[-1][1].append(rest[min(indent, len(rest) - len(rest.lstrip(" \t"))):])
                continue
            fence = ""
            blocks.append((False, []))
            if inside:
                continue  # the closing fence
        prefix = _QUOTE.match(line)
        rest = line[prefix.end():] if prefix else line
        match = _FENCE.match(rest)
        # A backtick fence's info string holds no backtick: ```rm -rf``` opening a line is inline code, not a fence.
        if match and (len(match[1]) <= 3 or in_list) and not (match[2][0] == "`" and "`" in rest[match.end():]):
            fence, indent, listed = match[2], len(match[1]), in_list
            quoted = re.compile(r"(?:[ \t]{0,3}>[ \t]?){%d}" % (prefix[0].count(">") if prefix else 0))
            blocks.append((True, []))
            continue
        blocks[-1][1].append(line)
        if _ANY_LIST_ITEM.match(line):
            in_list = True
        elif line.strip() and line[0] not in " \t":
            in_list = False
    return [piece for is_code, lines in blocks if lines
            for piece in ([(True, "\n".join(lines))] if is_code else _indented_blocks(lines))]


def _indented_blocks(lines: list[str]) -> list[tuple[bool, str]]:
    """Prose lines as (is code, text) blocks: an indented code block (lines indented four spaces or a tab, after a
    blank line and outside a list, whose items indent their own paragraphs) is code, without its indentation."""
    blocks: list[tuple[bool, list[str]]] = [(False, [])]
    previous, in_list = "", False
    for line in lines:
        indented, blank = bool(_INDENTED.match(line)) and bool(line.strip()), not line.strip()
        if blocks[-1][0] and not (indented or blank):
            blocks.append((False, []))
        elif indented and not blocks[-1][0] and not previous.strip() and not in_list:
            blocks.append((True, []))
        if blocks[-1][0]:
            blocks[-1][1].append(_INDENTED.sub("", line, count=1))
        else:
            blocks[-1][1].append(line)
        if _LIST_ITEM.match(line):
            in_list = True
        elif not (indented or blank):
            in_list = False
        previous = line
    return [(is_code, "\n".join(lines).strip("\n") if is_code else "\n".join(lines))
            for is_code, lines in blocks if any(line.strip() for line in lines)]


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
        # Every scalar read as the string written (no dates, numbers or booleans resolved): 2024-02-30 or a number of
        # 5,000 digits is a field that does not parse, not a crash; docmeta checks what a field says.
        values = yaml.load(match.group(1), Loader=yaml.BaseLoader)
    except (yaml.YAMLError, RecursionError, TypeError, ValueError):  # nesting 5,000 deep; a list as a key
        return text, {}
    if not isinstance(values, dict):
        return text, {}
    declared: dict = {}
    for key, value in values.items():
        field_name = _FRONT_MATTER_FIELDS.get(key.strip().lower()) if isinstance(key, str) else None
        if field_name is None or field_name in declared:
            continue
        if field_name == "authors" and isinstance(value, list):
            value = [v for v in value if isinstance(v, str)][:_MAX_DECLARED_AUTHORS]
        if isinstance(value, str) or (field_name == "authors" and isinstance(value, list)):
            declared[field_name] = value
    return text[match.end():], declared
