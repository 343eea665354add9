"""Text normalisation: Unicode NFC, whitespace, repeated placeholder and boilerplate lines."""
from __future__ import annotations

import re
import unicodedata
from collections import Counter

_SPACES = r"\t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000"
# Runs of inline whitespace, except a lone ASCII space (the common case: leaving it alone is much faster).
_INLINE_SPACE = re.compile(rf"(?:[{_SPACES}]| (?=[ {_SPACES}]))[ {_SPACES}]*")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_MANY_BLANKS = re.compile(r"\n{3,}")
# Placeholder text left behind by site builders and templates.
_PLACEHOLDER = re.compile(
    r"^(your (content|text|title|heading) goes here|lorem ipsum.*|click here to edit.*|"
    r"insert (text|content) here|placeholder( text)?|read more|share( this)?( on \w+)?)$",
    re.IGNORECASE,
)


def clean_text(raw: str) -> str:
    """Return normalised text: NFC, unified whitespace, placeholder and repeated boilerplate lines removed."""
    text = unicodedata.normalize("NFC", raw)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ZERO_WIDTH.sub("", _CONTROL.sub("", text))
    # One pass over the whole text (the pattern never spans a newline): per-line calls cost seconds on 10 MB.
    lines = [line.strip() for line in _INLINE_SPACE.sub(" ", text).split("\n")]
    repeated = _repeated_short_lines(lines)
    kept = [line for line in lines if not _is_boilerplate(line, repeated)]
    return _MANY_BLANKS.sub("\n\n", "\n".join(kept)).strip()


def _repeated_short_lines(lines: list[str]) -> set[str]:
    # A short line that recurs three or more times is template residue, not prose.
    counts = Counter(line for line in lines if line and len(line.split()) <= 6)
    return {line for line, n in counts.items() if n >= 3}


def _is_boilerplate(line: str, repeated: set[str]) -> bool:
    return bool(line) and (bool(_PLACEHOLDER.match(line)) or line in repeated)
