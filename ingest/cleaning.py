"""Text normalisation: Unicode NFC, whitespace, repeated placeholder and boilerplate lines."""
from __future__ import annotations

import re
import unicodedata
from collections import Counter

import regex

_SPACES = "\\t\\f\\v\\u00a0\\u2000-\\u200a\\u202f\\u205f\\u3000"
# Runs of inline white space that are not already one plain space: matching every lone space
# tripled the cleaning time of a 10 MB text.
_INLINE_SPACE = re.compile(f"(?:[{_SPACES}]| (?=[ {_SPACES}]))[ {_SPACES}]*")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_MANY_BLANKS = re.compile(r"\n{3,}")
# NFC sorts a letter's combining marks, in time quadratic in their number: 250,000 alternating marks on one letter
# (1 MB) took a worker past its 120 s timeout. No script stacks more than a few; the rest of a run is dropped.
MAX_COMBINING_MARKS = 16
_MARK_RUN = regex.compile(r"(\p{M}{%d})\p{M}+" % MAX_COMBINING_MARKS)
# Placeholder text left behind by site builders and templates.
_PLACEHOLDER = re.compile(
    r"^(your (content|text|title|heading) goes here|lorem ipsum.*|click here to edit.*|"
    r"insert (text|content) here|placeholder( text)?|read more|share( this)?( on \w+)?)$",
    re.IGNORECASE,
)


def clean_text(raw: str) -> str:
    """Return normalised text: NFC, unified whitespace, placeholder and repeated boilerplate lines removed."""
    text = unicodedata.normalize("NFC", _MARK_RUN.sub(r"\1", raw))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INLINE_SPACE.sub(" ", _ZERO_WIDTH.sub("", _CONTROL.sub("", text)))
    lines = [line.strip() for line in text.split("\n")]
    repeated = _repeated_short_lines(lines)
    kept = [line for line in lines if not _is_boilerplate(line, repeated)]
    return _MANY_BLANKS.sub("\n\n", "\n".join(kept)).strip()


def _repeated_short_lines(lines: list[str]) -> set[str]:
    # A short line that recurs three or more times is template residue, not prose.
    counts = Counter(line for line in lines if line and len(line.split()) <= 6)
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
