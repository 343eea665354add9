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
    """BM25 over chunks, with inverse document frequencies computed per language.

    A word's rarity is judged among passages of the same language: in a corpus where one
    language has many passages, its function words ("av", "och") are otherwise rare enough
    overall to lift every passage of that language for any query written in it, which is the
    same-language bias all over again.
    """

    chunk_ids: np.ndarray
    tf: sparse.csr_matrix  # saturated BM25 term frequencies, without idf
    vocab: dict[str, int]
    langs: list[str]
    chunk_lang: np.ndarray  # index into `langs` per chunk
    idf: np.ndarray  # (len(langs), len(vocab))
    words_by_lang: dict[str, frozenset[str]]

    def __post_init__(self) -> None:
        # Column-major copy: a query reads a few terms' columns, never rows (slicing rows of a CSR
        # matrix per language and query cost more than the rest of lexical scoring).
        self._by_term = self.tf.tocsc()

    @classmethod
    def build(cls, chunk_ids: Sequence[int], texts: Sequence[str], langs: Sequence[str]) -> "LexicalIndex":
        """Analyse each chunk in its own language and precompute BM25 weights."""
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
        n, width = len(texts), max(1, len(vocab))
        rows_a, cols_a = np.asarray(rows, np.int64), np.asarray(cols, np.int64)
        tf_raw = np.asarray(tfs, np.float32)
        dl = np.asarray(lengths, np.float32)
        norm = K1 * (1 - B + B * dl / max(1.0, float(dl.mean()) if n else 1.0))
        saturated = tf_raw * (K1 + 1) / (tf_raw + norm[rows_a]) if n else tf_raw
        tf = sparse.csr_matrix((saturated, (rows_a, cols_a)), shape=(n, width))
        lang_names = sorted(set(langs))
        chunk_lang = np.asarray([lang_names.index(lang) for lang in langs], np.int64)
        idf = np.zeros((len(lang_names), width), np.float32)
        for li in range(len(lang_names)):
            members = chunk_lang == li
            df = np.bincount(cols_a[members[rows_a]], minlength=width).astype(np.float32)
            idf[li] = np.log1p((members.sum() - df + 0.5) / (df + 0.5))
        return cls(np.asarray(chunk_ids, np.int64), tf, vocab, lang_names, chunk_lang, idf,
                   {k: frozenset(v) for k, v in words_by_lang.items()})

    def scores(self, terms: Sequence[str], lang: str) -> tuple[np.ndarray, float]:
        """BM25 of every chunk in `lang` (others score 0) for query terms, and the best attainable score.

        The bound (each query term saturated, unseen terms at the mean idf) puts BM25 on a 0..1
        scale that means the same for every query, unlike per-query max normalisation.
        """
        result = np.zeros(len(self.chunk_ids), np.float32)
        if lang not in self.langs:
            return result, 1.0
        li = self.langs.index(lang)
        unique = list(dict.fromkeys(terms))
        cols = [self.vocab[t] for t in unique if t in self.vocab]
        idf = self.idf[li]
        bound = float(idf[cols].sum() + idf.mean() * (len(unique) - len(cols))) * (K1 + 1)
        if cols:
            in_lang = self.chunk_lang == li
            result[in_lang] = (self._by_term[:, cols] @ idf[cols])[in_lang]
        return result, max(bound, 1e-6)

    def save(self, directory: Path) -> list[Path]:
        """Write lexical.npz and lexical.json into a version folder."""
        matrix, meta = directory / "lexical.npz", directory / "lexical.json"
        with open(matrix, "wb") as handle:
            np.savez(handle, ids=self.chunk_ids, data=self.tf.data, indices=self.tf.indices,
                     indptr=self.tf.indptr, shape=np.asarray(self.tf.shape), idf=self.idf, chunk_lang=self.chunk_lang)
        meta.write_text(json.dumps(
            {"vocab": self.vocab, "langs": self.langs,
             "words_by_lang": {k: sorted(v) for k, v in self.words_by_lang.items()}},
            ensure_ascii=False,
        ))
        return [matrix, meta]

    @classmethod
    def load(cls, directory: Path) -> "LexicalIndex":
        """Read what `save` wrote."""
        with np.load(directory / "lexical.npz") as data:
            tf = sparse.csr_matrix((data["data"], data["indices"], data["indptr"]), shape=tuple(data["shape"]))
            ids, idf, chunk_lang = data["ids"], data["idf"], data["chunk_lang"]
        meta = json.loads((directory / "lexical.json").read_text())
        return cls(ids, tf, meta["vocab"], meta["langs"], chunk_lang, idf,
                   {k: frozenset(v) for k, v in meta["words_by_lang"].items()})


def stemmer(lang: str) -> "Stemmer.Stemmer | None":
    """The Snowball stemmer of a language (one per process), or None where Snowball has none."""
    return _stemmer(lang)
