"""Text primitives shared by chunking, highlighting and concept matching: sentences, folding, code blocks."""
from __future__ import annotations

import bisect
import functools
import re
import unicodedata

# A sentence ends at . ! ? … (optionally closed by a quote or bracket) before whitespace, or at a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|(?<=[.!?…][\"'”’»)\]])\s+|\n+")
# Letters NFKD leaves alone; folding them lets "Værdi"/"vaerdi" and "Kundenähe"/"kundenahe" meet.
_SPECIAL = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ł": "l", "ı": "i"})


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence or line of a text, whitespace trimmed; none for blank text."""
    spans = []
    start = 0
    for match in [*_SENTENCE_END.finditer(text), None]:
        end = match.start() if match else len(text)
        segment = text[start:end]
        stripped = segment.strip()
        if stripped:
            lead = len(segment) - len(segment.lstrip())
            spans.append((start + lead, start + lead + len(stripped)))
        if match:
            start = match.end()
    return spans


# Words repeat (a corpus of thousands of passages has far fewer distinct words): grounding a catalogue change folds
# every word of every passage, and most of them were folded before. Only words up to this long are remembered, and
# only so many: a client sending made-up words never grows a process by more than about 20 MB.
_REMEMBERED_LETTERS = 32
_REMEMBERED_WORDS = 1 << 16


def fold_token(token: str) -> str:
    """Fold one word for matching: NFKD without combining marks, casefolded, special letters mapped."""
    return _remembered_fold(token) if len(token) <= _REMEMBERED_LETTERS else _fold(token)


def _fold(token: str) -> str:
    decomposed = unicodedata.normalize("NFKD", token.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(_SPECIAL)


_remembered_fold = functools.lru_cache(maxsize=_REMEMBERED_WORDS)(_fold)


_NOT_A_LINE_END = re.compile(r"[^\n]")


class CodeBlocks:
    """Where a document's blocks of code lie ((start, end), in order, apart): which spans of its text they touch."""

    def __init__(self, spans) -> None:
        self.starts = [start for start, _ in spans]
        self.ends = [end for _, end in spans]

    def overlaps(self, start: int, end: int) -> bool:
        """Whether text[start:end] shares a character with a block of code."""
        i = bisect.bisect_left(self.starts, end) - 1  # the last block starting before the span ends
        return i >= 0 and self.ends[i] > start

    def within(self, start: int, end: int) -> list[list[int]]:
        """The blocks in text[start:end], cut to it, as offsets into that slice."""
        first = bisect.bisect_right(self.ends, start)  # the first block ending after the slice starts
        last = bisect.bisect_left(self.starts, end)  # the first block starting at or after its end
        return [[max(a, start) - start, min(b, end) - start]
                for a, b in zip(self.starts[first:last], self.ends[first:last])]

    def blanked(self, text: str, at: int = 0) -> str:
        """`text` (found at offset `at`) with each character of code but line breaks made a space, offsets kept: what
        reads words (glosses, suggested concepts) never reads an identifier or a command as one."""
        pieces, done = [], 0
        for start, end in self.within(at, at + len(text)):
            pieces += [text[done:start], _NOT_A_LINE_END.sub(" ", text[start:end])]
            done = end
        return "".join(pieces) + text[done:]
