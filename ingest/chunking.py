"""Sentence- and paragraph-aware chunks sized in model tokens, with modest overlap and exact offsets."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterator

from index.text import sentence_spans

_WORD = re.compile(r"\S+")
# The most headings in a row that move to the passage after them (a chapter's, a section's, a subsection's).
MAX_HEADINGS = 3
# How a sentence ends; a paragraph ending otherwise, between two others, is a heading ("Kundupplevelse").
_SENTENCE_ENDS = (".", "!", "?", "…", ":", ";", ".\"", ".”", ".»", "?”", "!”")


@dataclass(frozen=True)
class Span:
    """A slice of the cleaned document: text == document[start:end]."""

    start: int
    end: int
    text: str
    tokens: int


@dataclass(frozen=True)
class ChunkingConfig:
    """Chunk size and overlap, in the embedder's tokens.

    Small passages (two or three sentences) retrieve markedly better with e5-small across
    languages than 120-word windows: a passage vector then stands for one point, not a topic mix.
    """

    max_tokens: int = 64
    overlap_tokens: int = 12


def _split_long(text: str, start: int, end: int, count: Callable[[str], int], limit: int) -> Iterator[Span]:
    """A sentence longer than a whole chunk, cut between words: each piece the most words that fit (at least one)."""
    words = [(start + m.start(), start + m.end()) for m in _WORD.finditer(text[start:end])]
    first, size = 0, 1
    while first < len(words):
        stop, tokens = _most_that_fit(text, words, first, size, count, limit)
        yield Span(words[first][0], words[stop - 1][1], text[words[first][0]:words[stop - 1][1]], tokens)
        first, size = stop, stop - first


def _most_that_fit(text: str, words: list[tuple[int, int]], first: int, size: int, count: Callable[[str], int],
                   limit: int) -> tuple[int, int]:
    """(stop, tokens): the words from `first` up to `stop` are the most that fit `limit` (one at least), searched
    for from the last piece's `size`: a few counts a piece, not one a word (that took 50 s a megabyte of text
    without full stops)."""
    counted: dict[int, int] = {}

    def fits(stop: int) -> bool:
        counted[stop] = count(text[words[first][0]:words[stop - 1][1]])
        return counted[stop] <= limit

    good, bad = first + 1, len(words) + 1  # one word is a piece whatever it costs; past the end never fits
    if good < (probe := min(first + size, len(words))):
        good, bad = (probe, bad) if fits(probe) else (good, probe)
    step = 1
    while good + step < bad and fits(good + step):  # gallop up from what fits ...
        good, step = good + step, 2 * step
    bad = min(bad, good + step)
    while bad - good > 1:  # ... then halve the gap to what does not
        middle = (good + bad) // 2
        good, bad = (middle, bad) if fits(middle) else (good, middle)
    return good, counted[good] if good in counted else count(text[words[first][0]:words[good - 1][1]])


def units(text: str, count: Callable[[str], int], limit: int,
          progress: Callable[[int], None] | None = None) -> list[Span]:
    """Sentences of the text as spans, each within the token limit; `tokens` excludes the model's fixed overhead.

    `progress`, if given, is called with the offset reached after each sentence.
    """
    overhead = count("")
    spans = []
    for start, end in sentence_spans(text):
        if progress is not None:
            progress(end)
        tokens = count(text[start:end])
        if tokens > limit:
            spans.extend(_split_long(text, start, end, count, limit))
        else:
            spans.append(Span(start, end, text[start:end], tokens))
    return [Span(s.start, s.end, s.text, max(1, s.tokens - overhead)) for s in spans]


def chunk_text(text: str, count: Callable[[str], int], config: ChunkingConfig = ChunkingConfig(),
               progress: Callable[[int], None] | None = None) -> list[Span]:
    """Pack sentences into chunks of at most `max_tokens`, repeating a short tail sentence as overlap.

    Chunks prefer to end at a paragraph break once they are half full, so a passage rarely
    straddles two topics; the overlap is one trailing sentence, only when it fits the budget.
    """
    pieces = units(text, count, config.max_tokens, progress)
    chunks: list[Span] = []
    current: list[Span] = []
    budget = config.max_tokens - count("")  # special tokens and role prefix come once per chunk
    used = 0
    for index, piece in enumerate(pieces):
        paragraph_break = bool(current) and "\n\n" in text[current[-1].end : piece.start]
        full = used + piece.tokens > budget
        if current and (full or (paragraph_break and used >= budget // 2)):
            # Headings ending the chunk (a chapter's, then its first section's) belong to the passage they
            # introduce: they start the next one.
            headings = current[len(current) - _headings_before(text, current, piece, budget):]
            del current[len(current) - len(headings):]
            chunks.append(_join(text, current, count))
            tail = current[-1]
            keep_tail = not paragraph_break and tail.tokens <= config.overlap_tokens and len(current) > 1
            current = headings or ([tail] if keep_tail and tail.tokens + piece.tokens <= budget else [])
            used = sum(s.tokens for s in current)
        current.append(piece)
        used += piece.tokens
    if current:
        chunks.append(_join(text, current, count))
    return chunks


def _headings_before(text: str, current: list[Span], piece: Span, budget: int) -> int:
    """How many of the last sentences of a chunk about to close are headings of what follows (`piece` on): each a
    paragraph of its own, after others of the chunk, that ends without a sentence's punctuation, all of them fitting
    beside `piece`; several (a chapter's, a section's) only after a paragraph of prose, since a run of such lines
    after another is a list (one item each), which moves one line as a single heading does."""
    found, tokens = 0, piece.tokens
    while len(current) - found >= 2 and found < MAX_HEADINGS:
        last, before = current[-1 - found], current[-2 - found]
        after = current[-found].start if found else piece.start
        tokens += last.tokens
        if not ("\n\n" in text[before.end:last.start] and "\n\n" in text[last.end:after]
                and not last.text.rstrip().endswith(_SENTENCE_ENDS) and tokens <= budget):
            break
        found += 1
    prose = current[-1 - found].text.rstrip().endswith(_SENTENCE_ENDS)  # what the headings follow
    return found if found < 2 or prose else 1


def _join(text: str, spans: list[Span], count: Callable[[str], int]) -> Span:
    start, end = spans[0].start, spans[-1].end
    return Span(start, end, text[start:end], count(text[start:end]))
