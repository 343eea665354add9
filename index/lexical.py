"""Per-language analysis (Snowball stemmers) and a BM25 index stored as a sparse matrix."""
from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import Stemmer
from scipy import sparse

_TOKEN = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
_STEMMERS = {
    "da": "danish", "nl": "dutch", "en": "english", "fi": "finnish", "fr": "french", "de": "german",
    "it": "italian", "no": "norwegian", "pt": "portuguese", "es": "spanish", "sv": "swedish",
    "ro": "romanian", "hu": "hungarian", "ru": "russian", "tr": "turkish",
}
K1, B = 1.2, 0.75


@functools.lru_cache(maxsize=None)
def _stemmer(lang: str) -> "Stemmer.Stemmer | None":
    algorithm = _STEMMERS.get(lang)
    return Stemmer.Stemmer(algorithm) if algorithm else None


def words(text: str) -> list[str]:
    """Lower-cased word tokens; hyphenated compounds also yield their parts."""
    text = unicodedata.normalize("NFKC", text).casefold()
    tokens = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        parts = re.split(r"[-'’]", token)
        tokens.append(token.replace("’", "'"))
        if len(parts) > 1:
            tokens.extend(p for p in parts if p)
    return tokens


def analyze(text: str, lang: str) -> list[str]:
    """Index terms of a text in a language: its words, stemmed where a stemmer exists."""
    stemmer = _stemmer(lang)
    tokens = words(text)
    return stemmer.stemWords(tokens) if stemmer else tokens


def analyze_query(text: str, lang: str) -> list[str]:
    """Query terms: stems in the query's language plus the bare words, so names match in any language."""
    tokens = words(text)
    stemmer = _stemmer(lang)
    stems = stemmer.stemWords(tokens) if stemmer else []
    return list(dict.fromkeys(tokens + stems))


@dataclass
class LexicalIndex:
    """BM25 weights of every (chunk, term), rows aligned with `chunk_ids`."""

    chunk_ids: np.ndarray
    weights: sparse.csr_matrix
    vocab: dict[str, int]
    idf: np.ndarray
    words_by_lang: dict[str, frozenset[str]]

    @classmethod
    def build(cls, chunk_ids: Sequence[int], texts: Sequence[str], langs: Sequence[str]) -> "LexicalIndex":
        """Analyse each chunk in its own language and precompute BM25 term weights."""
        vocab: dict[str, int] = {}
        rows, cols, tfs, lengths = [], [], [], []
        words_by_lang: dict[str, set[str]] = {}
        for row, (text, lang) in enumerate(zip(texts, langs)):
            words_by_lang.setdefault(lang, set()).update(words(text))
            counts = Counter(analyze(text, lang))
            lengths.append(sum(counts.values()))
            for term, tf in counts.items():
                rows.append(row)
                cols.append(vocab.setdefault(term, len(vocab)))
                tfs.append(tf)
        n = len(texts)
        tf_matrix = sparse.csr_matrix(
            (np.asarray(tfs, np.float32), (np.asarray(rows, np.int64), np.asarray(cols, np.int64))),
            shape=(n, max(1, len(vocab))),
        )
        df = np.bincount(np.asarray(cols, np.int64), minlength=tf_matrix.shape[1]).astype(np.float32)
        idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        dl = np.asarray(lengths, np.float32)
        norm = K1 * (1 - B + B * dl / max(1.0, float(dl.mean()) if n else 1.0))
        coo = tf_matrix.tocoo()
        data = idf[coo.col] * coo.data * (K1 + 1) / (coo.data + norm[coo.row])
        weights = sparse.csr_matrix((data.astype(np.float32), (coo.row, coo.col)), shape=tf_matrix.shape)
        return cls(np.asarray(chunk_ids, np.int64), weights, vocab, idf,
                   {k: frozenset(v) for k, v in words_by_lang.items()})

    def scores(self, terms: Sequence[str], rows: np.ndarray | None = None) -> tuple[np.ndarray, float]:
        """BM25 score of every chunk for a list of query terms, and the query's best attainable score.

        The bound (each query term saturated, unseen terms at the mean idf) puts BM25 on a 0..1
        scale that means the same for every query, unlike per-query max normalisation.
        `rows` restricts scoring to some chunks (others score 0).
        """
        unique = list(dict.fromkeys(terms))
        cols = [self.vocab[t] for t in unique if t in self.vocab]
        bound = float(self.idf[cols].sum() + self.idf.mean() * (len(unique) - len(cols))) * (K1 + 1)
        result = np.zeros(len(self.chunk_ids), np.float32)
        if cols:
            matrix = self.weights if rows is None else self.weights[rows]
            values = np.asarray(matrix[:, cols].sum(axis=1)).ravel()
            if rows is None:
                result = values
            else:
                result[rows] = values
        return result, max(bound, 1e-6)

    def save(self, directory: Path) -> list[Path]:
        """Write lexical.npz and lexical.json into a version folder."""
        matrix, meta = directory / "lexical.npz", directory / "lexical.json"
        with open(matrix, "wb") as handle:
            np.savez(handle, ids=self.chunk_ids, data=self.weights.data, indices=self.weights.indices,
                     indptr=self.weights.indptr, shape=np.asarray(self.weights.shape), idf=self.idf)
        meta.write_text(json.dumps(
            {"vocab": self.vocab, "words_by_lang": {k: sorted(v) for k, v in self.words_by_lang.items()}},
            ensure_ascii=False,
        ))
        return [matrix, meta]

    @classmethod
    def load(cls, directory: Path) -> "LexicalIndex":
        """Read what `save` wrote."""
        with np.load(directory / "lexical.npz") as data:
            weights = sparse.csr_matrix((data["data"], data["indices"], data["indptr"]), shape=tuple(data["shape"]))
            ids, idf = data["ids"], data["idf"]
        meta = json.loads((directory / "lexical.json").read_text())
        return cls(ids, weights, meta["vocab"], idf, {k: frozenset(v) for k, v in meta["words_by_lang"].items()})
