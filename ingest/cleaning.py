"""Text normalisation: what a terminal shows of overstrike and escape codes, Unicode NFC, whitespace, lines a hyphen
or a hard wrap broke joined again, placeholder and repeated boilerplate lines removed; code kept as written."""
from __future__ import annotations

import re
import unicodedata
from collections import Counter

from dataclasses import dataclass

import regex
from wordfreq import zipf_frequency

from .loaders.base import CODE_END, CODE_START

_SPACES = "\\t\\f\\v\\u00a0\\u2000-\\u200a\\u202f\\u205f\\u3000"
# Runs of inline white space that are not already one plain space: matching every lone space
# tripled the cleaning time of a 10 MB text.
_INLINE_SPACE = re.compile(f"(?:[{_SPACES}]| (?=[ {_SPACES}]))[ {_SPACES}]*")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_MANY_BLANKS = re.compile(r"\n{3,}")
_MARKS = (CODE_START, CODE_END)
_CODE_MARK = re.compile(f"({CODE_START}|{CODE_END})")
# NFC sorts a letter's combining marks, in time quadratic in their number: 250,000 alternating marks on one letter
# (1 MB) took a worker past its 120 s timeout. No script stacks more than a few; the rest of a run is dropped.
MAX_COMBINING_MARKS = 16
_MARK_RUN = regex.compile(r"(\p{M}{%d})\p{M}+" % MAX_COMBINING_MARKS)
# Terminal escape sequences: CSI (colours, bold: ESC [ 1 m), OSC (titles, links: ESC ] ... BEL or ESC \\, or the
# line's end: a stray one takes no more than its line), and the two-character ones.
_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b\n]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
# A character struck over by others with backspaces (N\bN, _\bN, _\bN\bN): a few at most, so that a run of millions
# is read piece by piece rather than split into millions of strings at once.
_OVERSTRUCK = re.compile(r"[^\x08\n](?:\x08[^\x08\n]){1,8}")
# Typographic ligatures of PDFs (ﬁ, ﬂ) as the letters they join: copied or cited, conﬁguration is configuration.
_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
                            "\ufb05": "st", "\ufb06": "st"})
_SOFT_HYPHEN_BREAK = re.compile(r"\u00ad[ \t]*\n[ \t]*")
_HYPHENS = "-\u2010"  # groff writes every hyphen of its UTF-8 output as U+2010
_LAST_LETTERS = re.compile(r"[^\W\d_]*$")
_FIRST_LETTERS = re.compile(r"[^\W\d_]*")
_WORD_OR_COMPOUND = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_LONGEST_WORD = 64
_MAX_LOOKUPS = 5_000
# A hard-wrapped line is this long at least (a short line ends a heading, a list item, a line of code), and ends
# in a letter, a digit or what goes on in the next line.
_MIN_WRAPPED = 30
_GOES_ON = ",;)\"'”’»"
_SENTENCE_ENDS = (".", "!", "?", ":", ";", "…")
# Placeholder text left behind by site builders and templates.
_PLACEHOLDER = re.compile(
    r"^(your (content|text|title|heading) goes here|lorem ipsum.*|click here to edit.*|"
    r"insert (text|content) here|placeholder( text)?|read more|share( this)?( on \w+)?)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Cleaned:
    """A document's cleaned text, and where its blocks of code lie in it ((start, end) offsets, in order)."""

    text: str
    code: tuple[tuple[int, int], ...] = ()


def clean_text(raw: str, wrapped: bool = False) -> str:
    """The text of `clean`, without where its code lies."""
    return clean(raw, wrapped).text


def clean(raw: str, wrapped: bool = False) -> Cleaned:
    """Normalised text: as a terminal shows it, NFC, unified whitespace, placeholder and repeated boilerplate lines
    removed; in a `wrapped` format (plain text, PDF: lines broken at a width), broken lines joined again. A block a
    loader marked as code keeps its lines as written (indentation and inner spaces), each block a paragraph."""
    lines = [(is_code, _normal_lines(piece, is_code)) for is_code, piece in _code_split(raw)]
    repeated = _repeated_short_lines([line for is_code, block in lines if not is_code for line in block])
    blocks: list[tuple[bool, str]] = []
    for is_code, block in lines:
        if is_code:
            text = "\n".join(block).strip("\n")  # blank lines around the code go, its first indentation stays
        else:
            kept = [line for line in block if not _is_boilerplate(line, repeated)]
            text = _MANY_BLANKS.sub("\n\n", "\n".join(_joined(kept) if wrapped else kept)).strip()
        if text.strip():
            blocks.append((is_code, text))
    text, code, at = [], [], 0
    for is_code, block in blocks:
        if text:
            text.append("\n\n")
            at += 2
        if is_code:
            code.append((at, at + len(block)))
        text.append(block)
        at += len(block)
    return Cleaned("".join(text), tuple(code))


def _code_split(raw: str) -> list[tuple[bool, str]]:
    """(is code, text) pieces of the raw text: what lies between a start and an end mark is code; a mark without
    its partner marks nothing."""
    if CODE_START not in raw and CODE_END not in raw:
        return [(False, raw)]
    flat = [piece for piece in _CODE_MARK.split(raw) if piece]
    out: list[tuple[bool, str]] = []
    prose: list[str] = []  # prose a lone mark cut goes on as one piece: no paragraph break where the mark was
    i = 0
    while i < len(flat):
        if flat[i] == CODE_START and i + 2 < len(flat) and flat[i + 2] == CODE_END and flat[i + 1] not in _MARKS:
            out += [(False, "".join(prose)), (True, flat[i + 1])] if prose else [(True, flat[i + 1])]
            prose = []
            i += 3
            continue
        if flat[i] not in _MARKS:
            prose.append(flat[i])
        i += 1
    return out + [(False, "".join(prose))] if prose else out


def _normal_lines(text: str, code: bool) -> list[str]:
    """A piece's lines as a terminal shows them, NFC, line ends unified; prose's white space unified and stripped,
    code's kept but for the ends of its lines."""
    text = _as_shown(text)
    text = unicodedata.normalize("NFC", _MARK_RUN.sub(r"\1", text if code else text.translate(_LIGATURES)))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if code:
        return [line.rstrip() for line in _ZERO_WIDTH.sub("", _CONTROL.sub("", text)).split("\n")]
    text = _SOFT_HYPHEN_BREAK.sub("", text)  # a word the soft hyphen broke across lines is one word
    text = _INLINE_SPACE.sub(" ", _ZERO_WIDTH.sub("", _CONTROL.sub("", text)))
    return [line.strip() for line in text.split("\n")]


def _as_shown(text: str) -> str:
    """Text as a terminal shows it: escape sequences (colours, bold) dropped, and overstrike resolved as `col -b`
    does (man and nroff write bold as N\\bN, underline as _\\bN): otherwise only the control characters went, and
    every emphasised word became a garbage token (NNAAMMEE, [1mkbtool)."""
    if "\x1b" in text:
        text = _ESCAPE.sub("", text)
    return _OVERSTRUCK.sub(_shown_letter, text) if "\b" in text else text


def _shown_letter(match: re.Match) -> str:
    # Of the letters struck over one another, the one that is not the underline (bold: all the same letter).
    letters = match.group().split("\b")
    return next((c for c in reversed(letters) if c != "_"), "_")


def _joined(lines: list[str]) -> list[str]:
    """Lines a hyphen or a hard wrap broke (PDF, man pages, text wrapped at 72 columns) joined again: a line that
    goes on in lower case continues the line before, which otherwise ends a sentence for the chunker and the
    highlighter. A word split at a hyphen loses it unless it is a hyphenated word (see `_Words.hyphenated`)."""
    out: list[list[str]] = []  # the pieces of each joined line: a line of a whole book joined piece by piece
    previous = ""  # the line before, as broken
    words: _Words | None = None  # read once a hyphen broke a word
    for line in lines:
        pieces = out[-1] if out else []
        if previous and line[:1].islower() and " | " not in previous and " | " not in line:
            if previous[-1] in _HYPHENS and previous[-2:-1].isalpha():
                words = words or _Words(lines)
                # A word is never longer than this: a run of letters is cut, not searched from every place in it.
                left = _LAST_LETTERS.search(previous[-_LONGEST_WORD - 1:-1]).group()
                right = _FIRST_LETTERS.match(line, 0, _LONGEST_WORD).group()
                pieces[-1] = pieces[-1][:-1]
                pieces.append(("-" if words.hyphenated(left, right) else "") + line)
            elif len(previous) >= _MIN_WRAPPED and (previous[-1].isalnum() or previous[-1] in _GOES_ON):
                pieces.append(" " + line)
            else:
                out.append([line])
        else:
            out.append([line])
        previous = line
    return ["".join(pieces) for pieces in out]


class _Words:
    """What decides whether a word broken at a line-end hyphen keeps it: the text's own words first."""

    def __init__(self, lines: list[str]) -> None:
        self.seen = {w.casefold() for line in lines for w in _WORD_OR_COMPOUND.findall(line)}
        self.lookups = _MAX_LOOKUPS

    def hyphenated(self, left: str, right: str) -> bool:
        """Whether left-right is a hyphenated word (self-service, e-post) rather than one word a line broke
        (docu-mentation, återbeta-lningar): as the text writes it elsewhere, else as English writes it more often
        (the word lists of English only: a worker holds that one anyway, seven would cost it 230 MB), else not."""
        whole, split = f"{left}{right}".casefold(), f"{left}-{right}".casefold()
        if (whole in self.seen) != (split in self.seen):
            return split in self.seen
        if self.lookups <= 0:  # a text of a million broken words is read in seconds, not minutes
            return False
        self.lookups -= 1
        return zipf_frequency(split, "en") > zipf_frequency(whole, "en")


def _repeated_short_lines(lines: list[str]) -> set[str]:
    # A short line that recurs three or more times is template residue (Dela på Facebook), not prose; a sentence
    # ("None."), a label ("Parameters:") or a table row recurs in real documents and stays.
    counts = Counter(line for line in lines if line and len(line.split()) <= 6 and not line.endswith(_SENTENCE_ENDS)
                     and " | " not in line)
    return {line for line, n in counts.items() if n >= 3}


def _is_boilerplate(line: str, repeated: set[str]) -> bool:
    return bool(line) and (bool(_PLACEHOLDER.match(line)) or line in repeated)


# A word: a run of letters or digits, or one CJK character (those scripts write no spaces).
_WORD = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]|[^\W_]+")
_TITLE_JUNK = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")


def word_count(text: str, at_most: int | None = None) -> int:
    """Words in a text, counting each CJK character as one; stops counting at `at_most`."""
    count = 0
    for _ in _WORD.finditer(text):
        count += 1
        if count == at_most:
            break
    return count


def clean_title(raw: str, limit: int) -> str:
    """A title fit for display and logs: control and bidi characters removed, whitespace collapsed, at most `limit` chars."""
    title = " ".join(_TITLE_JUNK.sub(" ", unicodedata.normalize("NFC", raw)).split())
    if len(title) <= limit:
        return title
    cut = title[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[limit // 2 :] else cut).rstrip(" ,.;:-") + "…"
