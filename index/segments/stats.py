"""Corpus statistics kept running from version to version: what BM25 and the language correction need globally.

Counts, lengths and per-language document frequencies histograms live in the manifest; per-language
vector sums in `sums.npz`. A write adds what it adds and subtracts what it deletes; nothing is rescanned.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from ..debias import Centring, subspace_of
from ..records import Chunk
from .segment import Deletions, Segment

SUMS = "sums.npz"


@dataclass
class Stats:
    """Running statistics of one version."""

    documents: int = 0
    chunks: int = 0
    length_sum: int = 0
    lang_chunks: dict[str, int] = field(default_factory=dict)  # passages per passage language
    lang_docs: dict[str, int] = field(default_factory=dict)  # documents with a passage in the language
    doc_langs: dict[str, int] = field(default_factory=dict)  # documents per document language
    vocab_size: int = 0  # terms held by at least one live passage
    df_hist: dict[str, dict[int, int]] = field(default_factory=dict)  # lang -> {df: terms with that df}
    sums: dict[str, np.ndarray] = field(default_factory=dict)  # lang -> sum of raw passage vectors (float64)

    def to_manifest(self) -> dict:
        """The JSON part (sums go to `save_sums`)."""
        return {"documents": self.documents, "chunks": self.chunks, "length_sum": self.length_sum,
                "lang_chunks": self.lang_chunks, "lang_docs": self.lang_docs, "doc_langs": self.doc_langs,
                "vocab_size": self.vocab_size,
                "df_hist": {lang: {str(d): c for d, c in sorted(h.items())} for lang, h in self.df_hist.items()}}

    def save_sums(self, path: Path) -> None:
        """Write the per-language vector sums."""
        langs = sorted(self.sums)
        with open(path, "wb") as handle:
            np.savez(handle, langs=np.asarray(langs, dtype=str),
                     sums=np.stack([self.sums[lang] for lang in langs]) if langs else np.zeros((0, 0)))

    @classmethod
    def load(cls, stats: dict, sums_path: Path) -> "Stats":
        """Read what `to_manifest` and `save_sums` wrote."""
        with np.load(sums_path) as data:
            sums = {str(lang): np.asarray(row, np.float64) for lang, row in zip(data["langs"], data["sums"])}
        return cls(stats["documents"], stats["chunks"], stats["length_sum"], dict(stats["lang_chunks"]),
                   dict(stats["lang_docs"]), dict(stats["doc_langs"]), stats["vocab_size"],
                   {lang: {int(d): c for d, c in h.items()} for lang, h in stats["df_hist"].items()}, sums)

    def centring(self, dim: int) -> Centring:
        """The language correction's centres from the running sums."""
        return Centring.of_sums(self.sums, self.lang_chunks, self.lang_docs, dim)

    def basis(self, dim: int) -> np.ndarray:
        """The language subspace from the running sums."""
        return subspace_of(self.sums, self.lang_chunks, dim)

    @property
    def avgdl(self) -> float:
        """Mean passage length in terms (BM25's length normalisation)."""
        return max(1.0, self.length_sum / self.chunks) if self.chunks else 1.0

    def idf(self, lang: str, df: np.ndarray) -> np.ndarray:
        """BM25 idf among the passages of a language."""
        n = np.float32(self.lang_chunks.get(lang, 0))
        df = np.asarray(df, np.float32)
        return np.log1p((n - df + np.float32(0.5)) / (df + np.float32(0.5))).astype(np.float32)

    def mean_idf(self, lang: str) -> float:
        """Mean idf over the whole vocabulary (the bound's value for query terms it has never seen)."""
        hist = self.df_hist.get(lang, {})
        width = max(1, self.vocab_size)
        seen = sum(hist.values())
        values = self.idf(lang, np.asarray([0, *hist], np.int64))
        counts = np.asarray([width - seen, *hist.values()], np.float64)
        return float((values * counts).sum() / width)


def term_df(parts: Sequence[tuple[Segment, Deletions]], terms: Sequence[str]) -> dict[str, dict[str, int]]:
    """term -> {language: live passages holding it} over the given segments."""
    found: dict[str, dict[str, int]] = {t: {} for t in terms}
    if not terms:
        return found
    for segment, deleted in parts:
        cols = segment.columns(terms)
        for t, col in zip(terms, cols):
            if col < 0:
                continue
            for li, lang in enumerate(segment.langs):
                n = int(segment.df[li, col]) - deleted.df.get((li, int(col)), 0)
                if n:
                    found[t][lang] = found[t].get(lang, 0) + n
    return found


def centring_with(stats: Stats, chunks: Sequence[Chunk], vectors: np.ndarray, dim: int) -> Centring:
    """The centring of a new segment's time: the published sums plus its rows (deletions aside)."""
    stats = copy.deepcopy(stats)
    docs_by_lang: dict[str, set[str]] = {}
    for chunk, vector in zip(chunks, vectors):
        stats.sums[chunk.lang] = stats.sums.get(chunk.lang, 0) + vector.astype(np.float64)
        stats.lang_chunks[chunk.lang] = stats.lang_chunks.get(chunk.lang, 0) + 1
        docs_by_lang.setdefault(chunk.lang, set()).add(chunk.doc_id)
    for lang, docs in docs_by_lang.items():
        stats.lang_docs[lang] = stats.lang_docs.get(lang, 0) + len(docs)
    return stats.centring(dim)


def next_stats(stats: Stats, base_parts: Sequence[tuple[Segment, Deletions]],
               parts: Sequence[tuple[Segment, Deletions]]) -> Stats:
    """The statistics of `base_parts` (the published version's) moved by the deletions and new segments of `parts`."""
    stats = copy.deepcopy(stats)
    base = {s.name: d for s, d in base_parts}
    delta: dict[tuple[str, str], int] = {}
    for segment, deleted in parts:
        before = base.get(segment.name)
        if before is None:  # a new segment: add its live rows
            docs = set(range(len(segment.doc_ids))) - deleted.doc_set
            _count_rows(stats, segment, deleted.live(segment.rows), docs, +1)
            _df_delta(delta, segment, {k: -v for k, v in deleted.df.items()}, include_all=True)
        elif deleted is not before:  # new deletions in a published segment: subtract them
            gone = np.zeros(segment.rows, bool)
            gone[np.setdiff1d(deleted.rows, before.rows)] = True
            _count_rows(stats, segment, gone, deleted.doc_set - before.doc_set, -1)
            _df_delta(delta, segment, {k: -(v - before.df.get(k, 0)) for k, v in deleted.df.items()})
    _move_df(stats, delta, term_df(base_parts, sorted({t for _, t in delta})))
    return stats


def _count_rows(stats: Stats, segment: Segment, rows: np.ndarray, docs: set[int], sign: int) -> None:
    """Move counts, lengths, vector sums and document counts by some rows and documents of a segment."""
    lang = np.asarray(segment.lang)
    stats.chunks += sign * int(rows.sum())
    stats.documents += sign * len(docs)
    stats.length_sum += sign * int(np.asarray(segment.length)[rows].sum())
    for li, name in enumerate(segment.langs):
        mask = rows & (lang == li)
        n = int(mask.sum())
        if n:
            stats.lang_chunks[name] = stats.lang_chunks.get(name, 0) + sign * n
            stats.sums[name] = stats.sums.get(name, np.zeros(segment.raw.shape[1])) + sign * np.asarray(
                segment.raw[mask], np.float64).sum(axis=0)
    for d in docs:
        doc_lang = segment.meta["doc_langs"][d]
        stats.doc_langs[doc_lang] = stats.doc_langs.get(doc_lang, 0) + sign
        for li in set(int(x) for x in lang[segment.doc_start[d]:segment.doc_end[d]]):
            name = segment.langs[li]
            stats.lang_docs[name] = stats.lang_docs.get(name, 0) + sign
    for table in (stats.lang_chunks, stats.lang_docs, stats.doc_langs):
        for key in [k for k, v in table.items() if v <= 0]:
            del table[key]
    for key in [k for k in stats.sums if k not in stats.lang_chunks]:
        del stats.sums[key]


def _df_delta(delta: dict[tuple[str, str], int], segment: Segment, adjust: dict[tuple[int, int], int],
              include_all: bool = False) -> None:
    """Add a segment's document frequencies (all of them with `include_all`) plus `adjust` to `delta`."""
    counts: dict[tuple[int, int], int] = dict(adjust)
    if include_all:
        df = np.asarray(segment.df)
        for li, col in zip(*np.nonzero(df)):
            counts[(int(li), int(col))] = counts.get((int(li), int(col)), 0) + int(df[li, col])
    for (li, col), n in counts.items():
        if n:
            key = (segment.langs[li], str(segment.vocab[col]))
            delta[key] = delta.get(key, 0) + n


def _move_df(stats: Stats, delta: dict[tuple[str, str], int], before: dict[str, dict[str, int]]) -> None:
    """Update the per-language df histograms and the vocabulary size by a df delta."""
    by_term: dict[str, dict[str, int]] = {}
    for (lang, term), n in delta.items():
        by_term.setdefault(term, {})[lang] = n
    for term, changes in by_term.items():
        old = before.get(term, {})
        new = dict(old)
        for lang, n in changes.items():
            new[lang] = new.get(lang, 0) + n
            o, m = old.get(lang, 0), new[lang]
            if o == m:
                continue
            hist = stats.df_hist.setdefault(lang, {})
            if o > 0:
                hist[o] -= 1
                if not hist[o]:
                    del hist[o]
            if m > 0:
                hist[m] = hist.get(m, 0) + 1
        stats.vocab_size += (sum(new.values()) > 0) - (sum(old.values()) > 0)
    for lang in [k for k, h in stats.df_hist.items() if not h]:
        del stats.df_hist[lang]

