"""A published segmented version as the store protocol's `Snapshot`: candidates for ranking, rows for the API."""
from __future__ import annotations

import functools
import threading
from typing import Sequence

import numpy as np

from .. import suggestions as suggested, versions
from ..concepts import Catalogue, ConceptIndex
from ..concepts.storage import stored_catalogue
from ..debias import centre
from ..lexical import B, K1, bm25_bound
from ..queryplan import QueryPlan
from ..ranking import document_centroids
from ..records import Passage
from ..vectors.faiss import default_search_params
from .segment import CONCEPTS_FILE, Deletions, Segment
from .stats import SUMS, Stats, term_df
from .view import SegmentView

_LEXICAL_CACHE = 4
# Document centroids kept per version (a centred and a raw vector, about 3 KB): a search asks for those of a few
# hundred candidates, mostly the same documents query after query. 10,000 is 30 MB per serving process; 50,000
# would be 150 MB in each gunicorn worker of a large corpus.
_CENTROID_CACHE = 10_000


class SegmentSnapshot(SegmentView):
    """One published version: its segments (shared with other versions), deletions and running statistics."""

    def __init__(self, version: versions.Version, parts: Sequence[tuple[Segment, Deletions]],
                 warnings: list[str]) -> None:
        super().__init__(parts)
        manifest = version.manifest
        self.version = version.name
        self.path = version.path
        self.manifest = manifest
        self.embedder = manifest["embedder"]
        self.dim = int(manifest["dim"])
        self.stats = Stats.load(manifest["stats"], version.path / SUMS)
        self.n_documents, self.n_chunks = self.stats.documents, self.stats.chunks
        self.centring = self.stats.centring(self.dim)
        self.basis = self.stats.basis(self.dim)
        self.warnings = warnings
        self.langs = sorted(lang for lang, n in self.stats.lang_chunks.items() if n)
        self._excluded = [segment.ids[deleted.rows] if len(deleted.rows) else None for segment, deleted in self.parts]
        for segment, _ in self.parts:
            segment.dense.set_search_params(manifest.get("search_params") or default_search_params(segment.meta["factory"]))
        self._lexical_lock = threading.Lock()
        self._lexical_cache: dict[QueryPlan, list[tuple[np.ndarray, np.ndarray]]] = {}
        self._centroids: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    @functools.cached_property
    def words_by_lang(self) -> dict[str, frozenset[str]]:
        """Words seen per passage language, over every segment."""
        merged: dict[str, set[str]] = {}
        for segment, _ in self.parts:
            for lang, seen in segment.words_by_lang.items():
                merged.setdefault(lang, set()).update(seen)
        return {lang: frozenset(seen) for lang, seen in merged.items()}

    def chunk_languages(self) -> dict[str, int]:
        """Passages per language."""
        return {lang: self.stats.lang_chunks[lang] for lang in self.langs}

    # -- candidates ----------------------------------------------------------------------------

    def dense(self, q: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Approximate top-k by inner product with the centred passages, over every segment."""
        found: list[tuple[float, int]] = []
        query = np.asarray(q, np.float32)[None, :]
        for (segment, _), excluded in zip(self.parts, self._excluded):
            scores, ids = segment.dense.search(query, min(k, segment.rows), exclude=excluded)
            found += [(float(s), int(i)) for s, i in zip(scores[0], ids[0]) if i >= 0]
        found.sort(key=lambda x: -x[0])
        return [(i, s) for s, i in found[:k]]

    def term_languages(self, terms: Sequence[str]) -> dict[str, dict[str, int]]:
        """Per analysed term, the passage languages holding it and in how many live passages."""
        return term_df(self.parts, list(terms))

    def _lexical(self, plan: QueryPlan) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per part: (rows, 0..1 BM25) of the passages sharing a term of the plan."""
        with self._lexical_lock:
            if plan in self._lexical_cache:
                return self._lexical_cache[plan]
        avgdl = np.float32(self.stats.avgdl)
        postings: list[tuple[list, list]] = [([], []) for _ in self.parts]
        for lang, terms, weights in plan:
            if lang not in self.langs:  # a plan made for other languages scores nothing here
                continue
            dfs = term_df(self.parts, terms)
            known = [t for t in terms if dfs[t]]
            idf_known = self.stats.idf(lang, np.asarray([dfs[t].get(lang, 0) for t in known], np.int64))
            by_term = dict(zip(known, idf_known.tolist()))
            mean_idf = self.stats.mean_idf(lang)
            bound = bm25_bound(weights, [by_term.get(t, mean_idf) for t in terms])
            idf = np.asarray([by_term[t] * w for t, w in zip(terms, weights) if t in by_term], np.float32)
            for pi, (segment, _) in enumerate(self.parts):
                li = segment.lang_index.get(lang)
                if li is None:
                    continue
                for col, weight in zip(segment.columns(known), idf):
                    if col < 0:
                        continue
                    a, b = int(segment.post_ptr[col]), int(segment.post_ptr[col + 1])
                    rows = np.asarray(segment.post_rows[a:b])
                    keep = (segment.lang[rows] == li) & self.live[pi][rows]
                    rows = rows[keep]
                    tf = np.asarray(segment.post_tf[a:b][keep], np.float32)
                    norm = np.float32(K1) * (np.float32(1 - B) + np.float32(B) * segment.length[rows].astype(np.float32) / avgdl)
                    postings[pi][0].append(rows)
                    postings[pi][1].append(tf * np.float32(K1 + 1) / (tf + norm) * weight / np.float32(bound))
        result = []
        for pi, (rows, scores) in enumerate(postings):
            if not rows:
                result.append((np.zeros(0, np.int64), np.zeros(0, np.float32)))
                continue
            rows_all = np.concatenate(rows)
            unique, inverse = np.unique(rows_all, return_inverse=True)
            summed = np.bincount(inverse, weights=np.concatenate(scores), minlength=len(unique)).astype(np.float32)
            result.append((unique, summed))
        with self._lexical_lock:
            if len(self._lexical_cache) >= _LEXICAL_CACHE:
                self._lexical_cache.pop(next(iter(self._lexical_cache)))
            self._lexical_cache[plan] = result
        return result

    def lexical_top(self, plan: QueryPlan, k: int) -> dict[int, float]:
        """The k best chunk ids by BM25 (0..1), only those above 0."""
        ids, scores = [], []
        for (segment, _), (rows, found) in zip(self.parts, self._lexical(plan)):
            keep = found > 0
            ids.append(np.asarray(segment.ids)[rows[keep]])
            scores.append(found[keep])
        ids_all, scores_all = np.concatenate(ids), np.concatenate(scores)
        if len(ids_all) > k:
            top = np.argpartition(-scores_all, k - 1)[:k]
            ids_all, scores_all = ids_all[top], scores_all[top]
        return {int(i): float(s) for i, s in zip(ids_all, scores_all)}

    def lexical_of(self, plan: QueryPlan, chunk_ids: Sequence[int]) -> dict[int, float]:
        """BM25 (0..1) of the given chunks; 0 for those sharing no term."""
        result = {int(c): 0.0 for c in chunk_ids}
        lexical = self._lexical(plan)
        for pi, ids, rows in self._split(chunk_ids):
            hits, scores = lexical[pi]
            if not len(hits):
                continue
            at = np.minimum(np.searchsorted(hits, rows), len(hits) - 1)
            found = hits[at] == rows
            result.update(zip(ids[found].tolist(), scores[at[found]].tolist()))
        return result

    def passages(self, chunk_ids: Sequence[int]) -> dict[int, Passage]:
        """Document, language, content prior and neighbours of live chunks."""
        found: dict[int, Passage] = {}
        for pi, ids, rows in self._split(chunk_ids):
            segment, _ = self.parts[pi]
            # One gather per array: candidates are hundreds, and memory-mapped element reads add up.
            last = segment.rows - 1
            before, after = np.maximum(rows - 1, 0), np.minimum(rows + 1, last)
            doc = np.asarray(segment.doc[rows])
            ids_near = np.asarray(segment.ids[np.concatenate([before, after])])
            doc_near = np.asarray(segment.doc[np.concatenate([before, after])])
            n = len(rows)
            prev = np.where((rows > 0) & (doc_near[:n] == doc), ids_near[:n], ids)
            nxt = np.where((rows < last) & (doc_near[n:] == doc), ids_near[n:], ids)
            langs, content = np.asarray(segment.lang[rows]), np.asarray(segment.content[rows])
            # Plain lists: reading numpy arrays element by element costs more than the passages themselves.
            for chunk_id, d, lang, prior, earlier, later in zip(ids.tolist(), doc.tolist(), langs.tolist(),
                                                                content.tolist(), prev.tolist(), nxt.tolist()):
                found[chunk_id] = Passage(chunk_id, segment.doc_ids[d], segment.langs[lang], prior, earlier, later)
        return found

    def doc_centroids(self, doc_ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(centred, raw) normalised mean passage vectors, centred with this version's centring; kept once computed."""
        known = {d: self._centroids.get(d) for d in set(doc_ids)}
        by_part: dict[int, list[tuple[str, int]]] = {}
        for doc_id in [d for d, pair in known.items() if pair is None]:
            where = self.locate(doc_id)
            if where is not None:
                by_part.setdefault(where[0], []).append((doc_id, where[1]))
        for pi, wanted in by_part.items():
            segment, _ = self.parts[pi]
            docs = np.asarray([d for _, d in wanted])
            starts, ends = segment.doc_start[docs], segment.doc_end[docs]
            rows = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends)])
            group = np.repeat(np.arange(len(docs)), ends - starts)
            raw = np.asarray(segment.raw[rows])
            centre_of = self.centring.rows(segment.langs)[np.asarray(segment.lang[rows])]
            centred = document_centroids(centre(raw, self.centring.table[centre_of]), group, len(docs))
            known.update(zip([doc_id for doc_id, _ in wanted], zip(centred, document_centroids(raw, group, len(docs)))))
        if by_part:
            if len(self._centroids) > _CENTROID_CACHE:
                self._centroids.clear()
            self._centroids.update((d, pair) for d, pair in known.items() if pair is not None)
        zero = np.zeros(self.dim, np.float32)
        pairs = [known[d] or (zero, zero) for d in doc_ids]
        if not pairs:
            return np.zeros((0, self.dim), np.float32), np.zeros((0, self.dim), np.float32)
        return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])

    @functools.cached_property
    def _catalogue(self) -> Catalogue:
        return stored_catalogue(self.path)

    def catalogue(self) -> Catalogue:
        """The concept catalogue this version was published with (`catalogue.json`)."""
        return self._catalogue

    def suggestions(self) -> list[dict]:
        """Suggested concepts of this version's documents, best first (`suggestions.json`)."""
        return suggested.load(self.path)

    def concept_index(self, catalogue: Catalogue) -> ConceptIndex | None:
        """The label vectors the writer published beside this version (`concepts.npz`)."""
        return ConceptIndex.load(self.path / CONCEPTS_FILE, catalogue)

    def close(self) -> None:
        """Nothing to release: segments belong to the store's cache."""
