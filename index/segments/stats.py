"""Corpus statistics kept running from version to version: what BM25 and the language correction need globally.

Counts, lengths and per-language document frequencies histograms live in the manifest; per-language
vector sums in `sums.npz`. A write adds what it adds and subtracts what it deletes; nothing is rescanned.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from ..debias import Centring, subspace_of
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
