"""Free text in any language to ranked concepts: exact, then fuzzy, then embedding similarity."""
from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from ..embedders import Embedder, get_embedder
from ..errors import EmbedderMismatch, IndexCorrupt, InvalidQuery
from ..language import detect_query
from ..progress import Progress
from .catalogue import Catalogue, Term
from .text import Occurrence, TermSpotter, compact, fold

log = logging.getLogger(__name__)

_FORMAT = 1
# Labels are embedded in batches this small, so a fresh catalogue (half a minute) shows its progress.
LABEL_BATCH = 64
# Scores are tiered so the order exact > fuzzy > embedding holds whatever the raw similarities:
# exact is 1.0, fuzzy lies in (0.6, 0.98], embedding in [0, 0.6].
_FUZZY_FLOOR, _FUZZY_TOP, EMBEDDING_TOP = 0.6, 0.98, 0.6
# e5 similarities bunch up: for the blended label/definition score the median over all concepts
# is about 0.84 and a right top hit about 0.87..0.93, so 0.80..0.95 is stretched over the tier.
_COS_FLOOR, _COS_CEIL = 0.80, 0.95
# A query names a concept when a look-up match scores at least this: a concept card is shown and, by default, the
# concept steers the ranking (RankingConfig.concept_min_score). The lowest score whose matches are right at least
# 9 times in 10 (`python -m eval.calibrate_concepts`); fuzzy matches above it, never embedding ones (the tier's top is 0.6).
NAMES_A_CONCEPT = 0.85


@dataclass(frozen=True)
class ConceptMatch:
    """One concept found for a query, best first."""

    id: str
    label: str
    family: str
    score: float
    via: str  # "exact" | "fuzzy" | "embedding"
    term: str | None = None  # the label or alias matched, as the catalogue writes it; none for a neighbour in meaning


@dataclass
class ConceptIndex:
    """Vectors of every label, alias and definition of a catalogue, for one embedder."""

    catalogue: Catalogue
    embedder_name: str
    catalogue_digest: str
    terms: list[Term]
    term_vectors: np.ndarray  # (len(terms), dim), query role
    definition_vectors: np.ndarray  # (len(catalogue), dim), query role, catalogue order

    def __post_init__(self) -> None:
        self.concept_ids = list(self.catalogue.concepts)
        position = {cid: i for i, cid in enumerate(self.concept_ids)}
        self.spotter = TermSpotter(self.terms)
        self.compact_terms = [compact(fold(t.text)) for t in self.terms]
        self.term_concept = np.array([position[t.concept_id] for t in self.terms])
        self.exact_forms: dict[str, list[int]] = {}
        for i, form in enumerate(self.compact_terms):
            self.exact_forms.setdefault(form, []).append(i)
        vocab: dict[str, set[str]] = {}
        for t in self.terms:
            vocab.setdefault(t.lang, set()).update(w.lower() for w in t.text.replace("-", " ").split())
        self.vocabularies = {lang: frozenset(words) for lang, words in vocab.items()}

    def is_fresh(self, catalogue: Catalogue, embedder_name: str) -> bool:
        """Whether this index was built from this catalogue content with this embedder."""
        return self.catalogue_digest == catalogue.digest and self.embedder_name == embedder_name

    def vectors(self) -> dict[str, np.ndarray]:
        """Text -> vector of every wording and definition embedded."""
        found = {term.text: vector for term, vector in zip(self.terms, self.term_vectors)}
        found.update(zip(_definition_texts(self.catalogue), self.definition_vectors))
        return found

    def save(self, path: Path) -> None:
        """Write the vectors and their provenance to an .npz file, atomically."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"format": _FORMAT, "embedder": self.embedder_name, "digest": self.catalogue_digest,
                "terms": [[t.concept_id, t.lang, t.text, t.preferred] for t in self.terms],
                "definitions": _definition_texts(self.catalogue)}
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz")
        os.close(fd)
        try:
            with open(tmp, "wb") as fh:
                np.savez(fh, meta=np.array(json.dumps(meta, ensure_ascii=False)),
                         term_vectors=self.term_vectors, definition_vectors=self.definition_vectors)
            os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide it from the other processes (and users) that read it
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    @classmethod
    def load(cls, path: Path, catalogue: Catalogue) -> "ConceptIndex | None":
        """Read an index saved by `save`; None when it was built from other catalogue content."""
        meta, term_vectors, definition_vectors = _read(path)
        if meta.get("format") != _FORMAT or meta.get("digest") != catalogue.digest:
            return None
        terms = [Term(cid, lang, text, bool(pref)) for cid, lang, text, pref in meta["terms"]]
        return cls(catalogue, meta["embedder"], meta["digest"], terms, term_vectors, definition_vectors)


def saved_for(path: Path, catalogue: Catalogue, embedder_name: str) -> bool:
    """Whether a saved index is this catalogue's with this embedder, in this code's format: its description read
    alone, not its vectors (IndexCorrupt where the file cannot be read)."""
    try:
        with np.load(Path(path), allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
    except (OSError, KeyError, ValueError) as exc:
        raise IndexCorrupt(f"cannot read concept index {path}: {exc}") from exc
    return (meta.get("format"), meta.get("digest"), meta.get("embedder")) == (_FORMAT, catalogue.digest, embedder_name)


def _read(path: Path) -> tuple[dict, np.ndarray, np.ndarray]:
    try:
        with np.load(Path(path), allow_pickle=False) as data:
            return json.loads(str(data["meta"])), data["term_vectors"], data["definition_vectors"]
    except (OSError, KeyError, ValueError) as exc:
        raise IndexCorrupt(f"cannot read concept index {path}: {exc}") from exc


def _known_vectors(path: Path, embedder_name: str) -> dict[str, np.ndarray]:
    """Text -> vector of every wording and definition a saved index (of any catalogue) embedded with this embedder."""
    meta, term_vectors, definition_vectors = _read(path)
    if meta.get("format") != _FORMAT or meta.get("embedder") != embedder_name:
        return {}
    known = {term[2]: vector for term, vector in zip(meta["terms"], term_vectors)}
    known.update(zip(meta.get("definitions", []), definition_vectors))
    return known


def _definition_texts(catalogue: Catalogue) -> list[str]:
    return [f"{c.labels['en']}: {c.definition}" for c in catalogue]


def embedded_texts(catalogue: Catalogue) -> set[str]:
    """Every text a concept index embeds: the wordings (labels, aliases) and definitions of the catalogue."""
    return {t.text for t in catalogue.all_terms()} | set(_definition_texts(catalogue))


def build_concept_index(catalogue: Catalogue, embedder: Embedder,
                        known: dict[str, np.ndarray] | None = None) -> ConceptIndex:
    """Embed every label, alias and definition of the catalogue once; texts in `known` reuse their vector."""
    terms = catalogue.all_terms()
    definitions = _definition_texts(catalogue)
    # Query role on both sides: blended with definitions, query-role vectors ranked 0.96 @1 on 72
    # held-out lookups against 0.93 for passage-role ones; lookups compare short text to short text.
    vectors = dict(known or {})
    # Many wordings repeat across languages: embed each once; a trainer's edit embeds only what is new.
    missing = sorted(embedded_texts(catalogue) - set(vectors))
    started, progress = time.monotonic(), Progress(log, "embedding concept labels and definitions", len(missing))
    whole = len(missing) > LABEL_BATCH  # a whole catalogue takes long enough to report; a trainer's edit does not
    if whole:
        log.info("embedding %d concept labels and definitions (once per catalogue and embedder)", len(missing))
    for i in range(0, len(missing), LABEL_BATCH):
        progress(i)
        batch = missing[i:i + LABEL_BATCH]
        vectors.update(zip(batch, np.asarray(embedder.embed_queries(batch), np.float32)))
    if whole:
        log.info("embedded %d concept labels and definitions in %.1f s", len(missing), time.monotonic() - started)
    term_vectors = np.asarray([vectors[t.text] for t in terms], np.float32).reshape(len(terms), -1)
    definition_vectors = np.asarray([vectors[d] for d in definitions], np.float32).reshape(len(definitions), -1)
    return ConceptIndex(catalogue, embedder.name, catalogue.digest, terms, term_vectors, definition_vectors)


def load_or_build_concept_index(catalogue: Catalogue, embedder: Embedder, path: Path | None,
                                reuse: Path | None = None, known: dict[str, np.ndarray] | None = None) -> ConceptIndex:
    """The cached index at `path` when it matches catalogue and embedder; else build it and save it there (if any).

    A build reuses `known` vectors (text -> vector, of this embedder) and those of the saved indexes (of any
    catalogue) at `path` and `reuse` for the texts they share.
    """
    if path is not None and Path(path).exists():
        try:
            index = ConceptIndex.load(path, catalogue)
            if index is not None and index.is_fresh(catalogue, embedder.name):
                return index
        except IndexCorrupt:
            pass  # a broken cache is just rebuilt
    known = dict(known or {})
    for saved in (reuse, path):
        try:
            known.update(_known_vectors(Path(saved), embedder.name) if saved and Path(saved).exists() else {})
        except IndexCorrupt:
            pass  # nothing to reuse from a broken file
    index = build_concept_index(catalogue, embedder, known)
    if path is not None:
        index.save(Path(path))
    return index


def lookup(index: ConceptIndex, text: str, k: int = 5, embedder: Embedder | None = None,
           semantic: bool = True, query_lang: str | None = None,
           query_vector: np.ndarray | None = None) -> list[ConceptMatch]:
    """Rank concepts for a free-text query in any language: exact, then fuzzy, then (if `semantic`) embedding.

    `query_lang`, when the caller has detected it already, picks the language of the returned labels;
    `query_vector`, when the caller has encoded `text` already (query role), spares the embedding tier an encode.
    """
    if k < 1:
        raise InvalidQuery("k must be at least 1")
    folded = fold(text)
    if not folded:
        return []
    hits = _Hits()
    for i in index.exact_forms.get(compact(folded), []):
        hits.add(int(index.term_concept[i]), 1.0, "exact", index.terms[i].lang, index.terms[i].text)
    if len(hits.best) < k:
        for ci, score, lang, term in _fuzzy(index, text, folded, after_exact=bool(hits.best)):
            hits.add(ci, score, "fuzzy", lang, term)
    if semantic and len(hits.best) < k:
        for ci, score, lang in _embedding(index, text, embedder, k, set(hits.best), query_vector):
            hits.add(ci, score, "embedding", lang)

    query_lang = query_lang or detect_query(text, index.vocabularies, index.catalogue.languages())[0]
    ranked = sorted(hits.best.items(), key=lambda kv: (-kv[1][0], index.concept_ids[kv[0]]))[:k]
    matches = []
    for ci, (score, via, langs, term) in ranked:
        cid = index.concept_ids[ci]
        lang = _label_language(query_lang, langs, via)
        matches.append(ConceptMatch(cid, index.catalogue.label(cid, lang), index.catalogue.family(cid),
                                    round(float(score), 4), via, term))
    return matches


class _Hits:
    """Best (score, via, matched-term languages, matched term) per concept; an earlier, stronger tier is kept."""

    def __init__(self) -> None:
        self.best: dict[int, tuple[float, str, set[str], str | None]] = {}

    def add(self, ci: int, score: float, via: str, lang: str, term: str | None = None) -> None:
        current = self.best.get(ci)
        if current is None or score > current[0] + 1e-9:
            self.best[ci] = (score, via, {lang}, term)
        elif abs(score - current[0]) <= 1e-9:
            current[2].add(lang)


def _label_language(query_lang: str, langs: set[str], via: str) -> str:
    if query_lang in langs:
        return query_lang
    # A string match says the query is in one of the matched term's languages even when short-text
    # detection is unsure or guesses otherwise ("Kundeintimitet" is both Norwegian and Danish);
    # a term that is English too ("lock-on") is read in English, the default reading language.
    if via != "embedding" and langs - {"en"} and "en" not in langs:
        return min(langs - {"en"})
    return "en"


def _fuzzy(index: ConceptIndex, text: str, folded: str, after_exact: bool) -> list[tuple[int, float, str, str]]:
    """Typos/inflections of a whole term, terms contained in the query, and compounds containing a term, each with
    the term (concept index, score, term language, term as the catalogue writes it)."""
    out = []
    qc = compact(folded)
    # Whole-query similarity: typos, inflections and compound/space variants ("kunde intimitet").
    # Skipped after an exact hit: one letter apart is a typo only when nothing matched exactly
    # ("lock-on" must not also find "lock-in").
    if not after_exact:
        for _, ratio, i in process.extract(qc, index.compact_terms, scorer=fuzz.ratio, limit=20,
                                           score_cutoff=_min_ratio(len(qc))):
            if len(index.compact_terms[i]) >= 5:
                out.append((int(index.term_concept[i]), _fuzzy_score(ratio / 100, 1.0), index.terms[i].lang,
                            index.terms[i].text))
    # Terms written inside a longer query ("what is customer lock-on?").
    occurrences = index.spotter.find(text)
    position = {cid: i for i, cid in enumerate(index.concept_ids)}
    for occ in occurrences:
        coverage = len(compact(occ.folded)) / len(qc)
        written = _written(index, text[occ.start:occ.end], occ.form)
        out += [(position[cid], _fuzzy_score(0.97, coverage), lang, written.get((cid, lang), text[occ.start:occ.end]))
                for cid, lang in occ.matches]
    # Misspelt terms inside a longer query: compare runs of words not already matched with terms.
    windows = _free_windows(text, occurrences) if " " in folded else []
    if windows:
        scores = process.cdist(windows, index.compact_terms, scorer=fuzz.ratio, score_cutoff=88)
        for wi, ti in zip(*np.nonzero(scores)):
            if len(index.compact_terms[ti]) >= 6:
                coverage = len(windows[wi]) / len(qc)
                out.append((int(index.term_concept[ti]), _fuzzy_score(scores[wi, ti] / 100 * 0.97, coverage),
                            index.terms[ti].lang, index.terms[ti].text))
    # A compound that contains a whole term ("kundelojalitetsprogram" -> kundelojalitet).
    if " " not in folded and len(qc) >= 8:
        for i, tc in enumerate(index.compact_terms):
            if len(tc) >= 7 and tc in qc and tc != qc:
                out.append((int(index.term_concept[i]), _fuzzy_score(0.9, len(tc) / len(qc)), index.terms[i].lang,
                            index.terms[i].text))
    return out


def _written(index: ConceptIndex, span: str, form: str) -> dict[tuple[str, str], str]:
    """(concept id, language) -> the catalogue's spelling of the term `form` (folded) that a query's span matched:
    the one spelt as the span is (lock-on, not the alias lockon), else its label, else an alias."""
    found: dict[tuple[str, str], str] = {}
    folded = fold(span)
    terms = sorted((index.terms[i] for i in index.exact_forms.get(compact(form), [])),
                   key=lambda t: (fold(t.text) != folded, not t.preferred))
    for term in terms:
        found.setdefault((term.concept_id, term.lang), term.text)
    return found


def _free_windows(text: str, occurrences: list[Occurrence]) -> list[str]:
    """Compacted runs of up to six words that avoid spans already matched exactly."""
    segments, pos = [], 0
    for occ in occurrences:
        segments.append(fold(text[pos:occ.start]).split())
        pos = occ.end
    segments.append(fold(text[pos:]).split())
    windows = {compact(" ".join(words[s:s + n])) for words in segments
               for n in range(1, min(len(words), 6) + 1) for s in range(len(words) - n + 1)}
    return sorted(w for w in windows if len(w) >= 6)


def _min_ratio(length: int) -> float:
    # Short strings change a lot per typo, so they need a higher bar to avoid unrelated hits.
    return 90.0 if length <= 7 else 87.0


def _fuzzy_score(similarity: float, coverage: float) -> float:
    """Map string similarity and the share of the query a term covers into the fuzzy tier."""
    quality = max(0.0, min(1.0, similarity)) * (0.7 + 0.3 * min(1.0, coverage))
    return _FUZZY_FLOOR + (_FUZZY_TOP - _FUZZY_FLOOR) * quality


def _embedding(index: ConceptIndex, text: str, embedder: Embedder | None, k: int,
               skip: set[int], q: np.ndarray | None) -> list[tuple[int, float, str]]:
    """The k concepts nearest the query (`q`, its vector, encoded here when None) by blended label and definition similarity."""
    if q is None:
        embedder = embedder or get_embedder(index.embedder_name)
        if embedder.name != index.embedder_name:
            raise EmbedderMismatch(f"concept index built with {index.embedder_name!r}, not {embedder.name!r}")
        q = embedder.embed_queries([text])[0]
    term_sims = index.term_vectors @ q
    best_term = np.full(len(index.concept_ids), -1.0, dtype=np.float32)
    np.maximum.at(best_term, index.term_concept, term_sims)
    # Averaging the best label with the definition beat either alone and their max on held-out
    # descriptive queries: labels pin the name, the definition carries the meaning.
    sims = (best_term + index.definition_vectors @ q) / 2
    out = []
    for ci in np.argsort(-sims):
        if len(out) == k:
            break
        if int(ci) in skip:
            continue
        members = np.flatnonzero(index.term_concept == ci)
        lang = index.terms[members[np.argmax(term_sims[members])]].lang
        scaled = (sims[ci] - _COS_FLOOR) / (_COS_CEIL - _COS_FLOOR)
        out.append((int(ci), EMBEDDING_TOP * float(np.clip(scaled, 0.0, 1.0)), lang))
    return out


def term_languages(index: ConceptIndex, term: str) -> set[str]:
    """The languages whose terms of the catalogue are written as `term` is (folded alike): lock-on is English and
    Swedish."""
    return {index.terms[i].lang for i in index.exact_forms.get(compact(fold(term)), [])}


def concepts_in_text(catalogue: Catalogue, text: str) -> list[str]:
    """Ids of concepts whose labels or aliases occur in a text (word boundaries, folded), in catalogue order."""
    found = {cid for occ in TermSpotter.for_catalogue(catalogue).find(text) for cid in occ.concept_ids}
    return [cid for cid in catalogue.concepts if cid in found]
