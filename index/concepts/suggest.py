"""Suggested concepts for new documents: their characteristic, concept-like terms, grouped across languages,
grounded in sentences.

A term is characteristic of a document when it is frequent there and rare in the rest of the corpus in the
same language: its score is its count in the document times the log of how much likelier it is there than
in the rest (smoothed, so a term the rest never uses is not infinitely likely, and a language the rest of the
corpus lacks ranks by frequency), more for longer terms and for terms other documents use too. Terms are stem keys
(index/lexical.py's Snowball stemmers) of word n-grams bounded by function words (terms.py), labelled as the corpus
most often writes them, a one-word term in its lemma's form (wordforms.py: Installasjonsprogrammet is labelled
Installasjonsprogram). A term mostly seen inside a longer one is a fragment of it and gives way. A term must look
like a concept (termhood.py): not an everyday word of the general language (an inflected form as common as its
lemma), not a lone verb, adjective or modifier, nothing holding an inflected verb (wordforms.py), not a chance
phrase, not a name. A document gets at most 20, fewer when it is short or its other terms score far below its best:
none rather than weak ones. Terms already naming a concept of the catalogue are left out.

Terms of different languages are one suggestion when they mean the same: their label vectors (the embedder's)
are close, and so are the passages they occur in (the mean vector of those passages: what the corpus says
around them), or they are spelt the same. Each term cites its passages with the whole sentence around it, the
sentence that best explains it first: what accepting drafts a definition from.
"""
from __future__ import annotations

import hashlib
import heapq
import logging
import math
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from ..text import CodeBlocks, sentence_spans
from .catalogue import Catalogue
from .termhood import (chance_phrase, is_name, looks_like_noun, name_words, specificity, verb_words,
                       written_cases)
from .terms import function_words, key_of, occurrences
from .text import compact, fold
from .wordforms import base_form, lemmas, verb_form

log = logging.getLogger(__name__)

PER_DOCUMENT = 20
# The contrast corpus a write reads: enough documents for reliable word rates, and bounded, so suggesting
# for one new document costs the same in a corpus of any size.
REFERENCE_DOCUMENTS = 400
MAX_PASSAGES = 5
MIN_COUNT = 2
# A word seen once still counts when it is long: a compound this long is rarely there by chance.
MIN_LETTERS_ONCE = 12
# A document this short (content words in one language) rarely repeats a word: a word seen once counts there.
SHORT_DOCUMENT_WORDS = 400
# A trainer reads at most one suggestion per this many words of a document (and at least a few).
WORDS_PER_SUGGESTION = 20
MIN_PER_DOCUMENT = 3
# Terms scoring below this share of the document's few best (its MIN_PER_DOCUMENT-th) are noise.
RELATIVE_FLOOR = 0.4
# Longer terms are more specific: the score grows with the square root of the letters, relative to this many.
TYPICAL_LETTERS = 8
# A shorter term seen inside one longer term at least this often is that term's fragment.
FRAGMENT_SHARE = 0.7
# A word written before another content word this often is a modifier (an adjective), not a concept on its own.
MODIFIER_SHARE = 0.6
# A term no other document of the corpus (in its language) uses counts this much.
UNREPEATED_WEIGHT = 0.5
# Each extra word of a term makes it likelier a term of art than a chance phrase.
LENGTH_BONUS = 0.35
# Definite and plural endings the Snowball stemmers leave on a term's last word (Swedish -et, -n: programmet,
# detaljhandeln; Norwegian and Danish -et, -ene, -ne), and how long what is left must be to be a word of its own.
_INFLECTIONS = {"sv": ("arna", "erna", "orna", "na", "en", "et", "n", "t"), "no": ("ene", "ne", "en", "et", "a"),
                "da": ("erne", "ene", "ne", "en", "et"), "nl": ("en", "s")}
MIN_INFLECTED_STEM = 5
# Cross-language grouping: label vectors and passage contexts this close mean the same thing.
SAME_LABEL = 0.925
SAME_CONTEXT = 0.80
SAME_SPELLING_LABEL = 0.85
# How much a term counts by the word classes of its words (see index/glosses/wordclass.py): a concept is named
# by a noun or a phrase around one; a lone verb or adjective rarely, a function word or a people's name never.
CLASS_WEIGHT = {"noun": 1.0, "unknown": 1.0, "other": 0.3, "function": 0.0, "name": 0.0}
# Below this concept-likeness (word class weight times specificity, termhood.py) a term is not suggested at all.
MIN_LIKENESS = 0.5
_BLOCK = 512
# Per document, this many more candidates than shown are grouped, so a merge never empties a list.
POOL_FACTOR = 2
# A sentence that grounds a term reads best at this length (words); one saying "TERM is ..." grounds it best.
MIN_SENTENCE_WORDS = 6
MAX_SENTENCE_WORDS = 40
_COPULAS = {"en": ("is", "are", "means", "refers"), "de": ("ist", "sind", "bezeichnet", "bedeutet"),
            "sv": ("är", "betyder", "innebär"), "no": ("er", "betyr", "innebærer"), "da": ("er", "betyder"),
            "nl": ("is", "zijn", "betekent"), "fr": ("est", "sont", "désigne")}


@dataclass(frozen=True)
class Region:
    """A stretch of a document in one language, cited as a chunk: text[start:end] is chunk `chunk_id`'s own."""

    chunk_id: int
    start: int
    end: int
    lang: str


@dataclass(frozen=True)
class SourceDocument:
    """A document as the suggester reads it: its text and its chunks (which may overlap)."""

    doc_id: str
    text: str
    regions: tuple[Region, ...]
    authors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Passage:
    """Where a term occurs: a chunk and offsets into the chunk's text, the words as written there and the
    whole sentence around them (what grounds the term for a trainer)."""

    chunk_id: int
    doc_id: str
    lang: str
    start: int
    end: int
    text: str
    sentence: str = ""

    def to_dict(self) -> dict:
        return {"chunk_id": self.chunk_id, "doc_id": self.doc_id, "lang": self.lang, "start": self.start,
                "end": self.end, "text": self.text, "sentence": self.sentence}


@dataclass
class Term:
    """One language's term: its stem key, label as written, per-document scores and where it occurs."""

    lang: str
    key: tuple[str, ...]
    label: str
    scores: dict[str, float]
    counts: dict[str, int]
    passages: list[Passage]

    @property
    def score(self) -> float:
        return max(self.scores.values())

    @property
    def ref(self) -> str:
        """`lang:stem stem`, the term's identity across index versions."""
        return f"{self.lang}:{' '.join(self.key)}"


@dataclass
class Suggestion:
    """A candidate concept: terms of one meaning (at most one per language), best first."""

    id: str
    terms: list[Term]
    documents: dict[str, float] = field(default_factory=dict)  # doc_id -> score of its best term there

    @property
    def labels(self) -> dict[str, str]:
        return {t.lang: t.label for t in self.terms}

    @property
    def score(self) -> float:
        return max(self.documents.values())

    def to_dict(self) -> dict:
        """The JSON shape stored in a version and served by the API (without a trainer's decision)."""
        passages = [p for t in self.terms for p in t.passages]
        return {
            "id": self.id,
            "labels": self.labels,
            "score": round(self.score, 3),
            "terms": [{"lang": t.lang, "label": t.label, "ref": t.ref, "count": sum(t.counts.values())}
                      for t in self.terms],
            "documents": [{"doc_id": d, "score": round(s, 3)}
                          for d, s in sorted(self.documents.items(), key=lambda x: -x[1])],
            "passages": [p.to_dict() for p in passages],
            # Per language, the best grounding sentence: what accepting drafts the definition from.
            "definitions": {t.lang: t.passages[0].sentence for t in self.terms if t.passages},
        }


@dataclass
class _Counts:
    """One language's counts: per new document, per term, and over the whole corpus."""

    per_doc: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # doc -> key -> n
    words: Counter = field(default_factory=Counter)  # doc -> words in this language
    total: Counter = field(default_factory=Counter)  # key -> n in the whole corpus
    spread: Counter = field(default_factory=Counter)  # key -> reference documents it occurs in
    inside: dict[str, dict] = field(default_factory=lambda: defaultdict(lambda: defaultdict(Counter)))  # doc -> key -> longer -> n
    written: set[str] = field(default_factory=set)  # the new documents' words as written


def suggest(documents: Sequence[SourceDocument], new: Iterable[str], catalogue: Catalogue | None,
            embed: Callable[[list[str]], np.ndarray] | None = None,
            chunk_vectors: Callable[[list[int]], np.ndarray] | None = None,
            classify: Callable[[str, str], str] | None = None,
            per_document: int = PER_DOCUMENT) -> list[Suggestion]:
    """Suggestions for the `new` documents against the whole corpus `documents` (which holds them too).

    `embed` turns labels into unit vectors and `chunk_vectors` fetches passages' unit vectors: with both,
    terms of different languages can be grouped; without, every term is its own suggestion. `classify`
    names a word's class (word, lang) -> noun | other | function | unknown; without it every word is a noun.
    """
    present = {doc.doc_id for doc in documents}
    new = [d for d in dict.fromkeys(new) if d in present]
    if not new:
        return []
    log.info("suggesting concepts for %d document(s) against %d others", len(new), len(documents) - len(new))
    by_lang, stops = _count(documents, set(new))
    # The new documents' words in each language, with their lemmas where they are inflected forms.
    forms = {lang: lemmas(counts.written, lang) for lang, counts in by_lang.items()}
    known = _known_terms(catalogue)
    by_id = {doc.doc_id: doc for doc in documents}
    names = _corpus_names(documents, [by_id[doc_id] for doc_id in new], _known_word(classify))
    terms: dict[tuple[str, tuple], Term] = {}
    for doc_id in new:
        for term in _characteristic(by_id[doc_id], by_lang, stops, forms, known, per_document * POOL_FACTOR,
                                    classify, names):
            found = terms.get((term.lang, term.key))
            if found is None:
                terms[(term.lang, term.key)] = term
            else:
                found.scores.update(term.scores)
                found.counts.update(term.counts)
                seen = set(found.passages)
                found.passages.extend(p for p in term.passages if p not in seen)
    groups = _group(sorted(_inflections_merged(terms.values()), key=lambda t: -t.score), embed, chunk_vectors)
    suggestions = []
    for group in groups:
        documents_scores: dict[str, float] = {}
        for term in group:
            for doc_id, score in term.scores.items():
                documents_scores[doc_id] = max(score, documents_scores.get(doc_id, 0.0))
        for term in group:
            term.passages = _grounding_first(term.passages)[:MAX_PASSAGES]
        suggestions.append(Suggestion(suggestion_id(group), group, documents_scores))
    return _top_per_document(suggestions, new, per_document)


def _known_word(classify) -> Callable[[str, str], bool]:
    """Whether the document's dictionary or English (which business and software texts of every language quote)
    knows a word."""
    if not classify:
        return lambda word, lang: False
    return lambda word, lang: classify(word, lang) != "unknown" or classify(word, "en") != "unknown"


def _corpus_names(documents: Sequence[SourceDocument], new: Sequence[SourceDocument],
                  known: Callable[[str, str], bool]) -> frozenset[str]:
    """The words the `new` documents only write capitalised that a document of the corpus shows to be names (see
    `name_words`): a name a document only writes where a capital is due anyway (at a sentence's start, or in German,
    which capitalises nouns) is still a name there. Only words no dictionary knows: a known word capitalised in one
    document's name (SUSE Software Solutions, Release Manager) is a word in the others."""
    languages = {region.lang for doc in documents for region in doc.regions}
    written: dict[str, str] = {}  # folded -> as written, of words the new documents write capitalised
    lower: set[str] = set()
    for doc in new:
        capitalised, lowered = written_cases(doc.text)
        written |= capitalised
        lower |= lowered
    wanted = {folded: word for folded, word in written.items()
              if folded not in lower and not any(known(word, lang) for lang in languages)}
    found: set[str] = set()
    for doc in documents:  # only the few documents that write one: reading every document's names costs seconds
        if wanted and any(word in doc.text for word in wanted.values()):
            for lang in dict.fromkeys(region.lang for region in doc.regions):
                found |= name_words(doc.text, lang, doc.authors, known) & wanted.keys()
    return frozenset(found)


def _inflections_merged(terms: Iterable[Term]) -> list[Term]:
    """Terms with a definite or plural form of another term of their language joined to it (lojalitetsprogrammet,
    lojalitetsprogrammen: lojalitetsprogram; detaljhandeln: detaljhandel), which the Snowball stemmers leave apart:
    one suggestion, the base form's, with both forms' evidence."""
    by_key = {(t.lang, t.key): t for t in terms}
    merged = []
    for term in by_key.values():
        base = next((by_key[(term.lang, key)] for key in _bases(term.key, term.lang) if (term.lang, key) in by_key), None)
        if base is None:
            merged.append(term)
            continue
        for doc_id, score in term.scores.items():
            base.scores[doc_id] = max(score, base.scores.get(doc_id, 0.0))
        for doc_id, n in term.counts.items():
            base.counts[doc_id] = base.counts.get(doc_id, 0) + n
        seen = set(base.passages)
        base.passages.extend(p for p in term.passages if p not in seen)
    return merged


def _bases(key: tuple[str, ...], lang: str) -> Iterator[tuple[str, ...]]:
    """The keys a term's key may be an inflected form of: its last word without a definite or plural ending, and
    without the consonant doubled before it (program-m-et)."""
    *head, last = key
    for ending in _INFLECTIONS.get(lang, ()):
        stem = last[:-len(ending)]
        if last.endswith(ending) and len(stem) >= MIN_INFLECTED_STEM:
            yield (*head, stem)
            if stem[-1] == stem[-2:-1] and stem[-1] not in "aeiouyåäöæø":
                yield (*head, stem[:-1])


def suggestion_id(terms: Sequence[Term]) -> str:
    """A stable id from the terms' identities."""
    digest = hashlib.sha256("|".join(sorted(t.ref for t in terms)).encode()).hexdigest()
    return f"s-{digest[:12]}"


def _count(documents: Sequence[SourceDocument], new: set[str]) -> tuple[dict[str, _Counts], dict[str, frozenset]]:
    texts: dict[str, list[str]] = defaultdict(list)
    for doc in documents:
        for region in doc.regions:
            texts[region.lang].append(doc.text[region.start:region.end])
    stops = {lang: function_words(lang, passages) for lang, passages in texts.items()}
    by_lang: dict[str, _Counts] = defaultdict(_Counts)
    reference = tuple(doc for doc in documents if doc.doc_id not in new)
    for lang, (total, words, spread) in _reference_counts(reference, tuple(sorted(stops.items()))).items():
        by_lang[lang].total, by_lang[lang].words, by_lang[lang].spread = total, words, spread
    for doc in documents:
        if doc.doc_id not in new:
            continue
        for region, begin in _stretches(doc):
            counts = by_lang[region.lang]
            for occ in occurrences(doc.text, region.lang, stops[region.lang], begin, region.end):
                counts.total[occ.key] += 1
                if len(occ.key) == 1:
                    counts.words[doc.doc_id] += 1
                    counts.written.add(occ.surface)
                counts.per_doc[doc.doc_id][occ.key] += 1
                if len(occ.key) > 1:  # the two one-word-shorter terms sit inside this one
                    counts.inside[doc.doc_id][occ.key[:-1]][occ.key] += 1
                    counts.inside[doc.doc_id][occ.key[1:]][occ.key] += 1
    return by_lang, stops


def _reference_counts(reference: tuple[SourceDocument, ...], stops: tuple[tuple[str, frozenset], ...]
                      ) -> dict[str, tuple[Counter, Counter, Counter]]:
    """lang -> (term counts, words per document, documents per term) of the reference documents: copies the
    caller may keep.

    A job runner writes one upload after another, and each write's reference sample differs from the last by the
    few documents that joined or left it: the counts are kept between writes and updated by those, so a write
    reads the documents that changed, not the whole sample again."""
    global _TALLY
    stop_of, current = dict(stops), set(reference)
    with _TALLY_LOCK:
        tally = _TALLY if _TALLY is not None and _TALLY.stops == stop_of else None
        if tally is None or len(current ^ tally.documents) > len(current):
            tally = _TALLY = _Tally(stop_of)  # one kept: a language without a stop list takes the corpus's
        tally.become(current)
        return {lang: (Counter(total), Counter(words), Counter(spread))
                for lang, (total, words, spread) in tally.counted.items() if total}


class _Tally:
    """Term counts of a set of documents, updated by the documents that join or leave it (see
    `_reference_counts`): per language, occurrences per term, words per document, documents per term."""

    def __init__(self, stops: dict[str, frozenset]) -> None:
        self.stops = stops
        self.documents: set[SourceDocument] = set()
        self.counted: dict[str, tuple[Counter, Counter, Counter]] = defaultdict(
            lambda: (Counter(), Counter(), Counter()))

    def become(self, current: set[SourceDocument]) -> None:
        """Count exactly the `current` documents: add those new to the tally, take away those gone."""
        for doc in self.documents - current:
            self._add(doc, -1)
        for doc in current - self.documents:
            self._add(doc, 1)
        self.documents = current

    def _add(self, doc: SourceDocument, sign: int) -> None:
        for lang, (counts, words) in _document_counts(doc, self.stops).items():
            total, per_doc, spread = self.counted[lang]
            for key, n in counts.items():
                _bump(total, key, sign * n)
                _bump(spread, key, sign)
            if words:
                _bump(per_doc, doc.doc_id, sign * words)


def _bump(counter: Counter, key, by: int) -> None:
    """Add to a count, dropping it at zero: a tally that loses a document holds no trace of it."""
    value = counter[key] + by
    if value:
        counter[key] = value
    else:
        del counter[key]


def _document_counts(doc: SourceDocument, stops: dict[str, frozenset]) -> dict[str, tuple[Counter, int]]:
    """lang -> (occurrences per term, words) of one document."""
    found: dict[str, tuple[Counter, list[int]]] = {}
    for region, begin in _stretches(doc):
        counts, words = found.setdefault(region.lang, (Counter(), [0]))
        for occ in occurrences(doc.text, region.lang, stops[region.lang], begin, region.end):
            counts[occ.key] += 1
            words[0] += len(occ.key) == 1
    return {lang: (counts, words[0]) for lang, (counts, words) in found.items()}


# What the last write's sample counted, with the function words it was counted with.
_TALLY: _Tally | None = None
_TALLY_LOCK = threading.Lock()


def _stretches(doc: SourceDocument):
    """(region, where to begin in it): chunks overlap, and each stretch of text is read once."""
    covered = 0
    for region in doc.regions:
        begin = max(covered, region.start)
        if begin < region.end:
            yield region, begin
        covered = max(covered, region.end)


def _characteristic(doc: SourceDocument, by_lang: dict[str, _Counts], stops: dict[str, frozenset],
                    forms: dict[str, dict[str, str]], known: tuple[set, set], limit: int, classify,
                    names: frozenset[str] = frozenset()) -> list[Term]:
    known_keys, known_forms = known
    chosen: dict[str, dict[tuple, float]] = {}
    for lang, counts in by_lang.items():
        mine = counts.per_doc.get(doc.doc_id)
        if not mine:
            continue
        words = counts.words[doc.doc_id]
        rest_words = sum(counts.words.values()) - words
        inside = counts.inside[doc.doc_id]
        scored = {}
        for key, n in mine.items():
            letters = sum(map(len, key))
            once_ok = len(key) == 1 and (letters >= MIN_LETTERS_ONCE or words < SHORT_DOCUMENT_WORDS)
            if (n < MIN_COUNT and not once_ok) or (lang, key) in known_keys:
                continue
            rest = counts.total[key] - n
            likelier = (n / words) / ((rest + 1) / (rest_words + words))
            if likelier > 1:
                specific = (1 + LENGTH_BONUS * (len(key) - 1)) * math.sqrt(letters / TYPICAL_LETTERS)
                # A term other documents use too is the corpus's vocabulary, not one text's turn of phrase.
                repeated = 1.0 if counts.spread[key] else UNREPEATED_WEIGHT
                scored[key] = n * math.log(likelier) * specific * repeated
        _weigh(doc, lang, scored, stops[lang], forms[lang], classify, names)
        for key in list(scored):
            if any(m >= FRAGMENT_SHARE * mine[key] and longer in scored for longer, m in inside[key].items()):
                del scored[key]
            elif len(key) == 1 and sum(m for longer, m in inside[key].items()
                                       if longer[0] == key[0]) >= MODIFIER_SHARE * mine[key]:
                scored[key] *= CLASS_WEIGHT["other"]  # mostly written before another word: an adjective, a modifier
        shown = min(limit, max(MIN_PER_DOCUMENT, words // WORDS_PER_SUGGESTION))
        ranked = sorted(scored.items(), key=lambda x: -x[1])[:shown]
        # Far below the document's few best terms is noise, however few terms the document has.
        floor = RELATIVE_FLOOR * ranked[min(len(ranked), MIN_PER_DOCUMENT) - 1][1] if ranked else 0.0
        chosen[lang] = {k: v for k, v in ranked if v >= floor}
    found = []
    for lang, scored in chosen.items():
        surfaces, passages = _locate(doc, lang, set(scored), stops[lang])
        is_noun = (lambda lemma, lang=lang: classify(lemma, lang) == "noun") if classify else None
        for key, score in scored.items():
            written = _label(surfaces[key])
            # Labelled as a glossary writes a term (Installasjonsprogrammet: Installasjonsprogram), the form a
            # trainer accepting it is offered.
            label = base_form(written, lang, is_noun)
            if compact(fold(written)) in known_forms or compact(fold(label)) in known_forms:
                continue
            found.append(Term(lang, key, label, {doc.doc_id: score}, {doc.doc_id: by_lang[lang].per_doc[doc.doc_id][key]},
                              passages[key]))
    return sorted(found, key=lambda t: -t.score)[:limit]


def _weigh(doc: SourceDocument, lang: str, scored: dict[tuple, float], stops: frozenset,
           lemmas: dict[str, str], classify, corpus_names: frozenset[str] = frozenset()) -> None:
    """Weigh scored terms by how concept-like they are (their words' classes, their rarity in the general
    language, `lemmas` mapping inflected forms to theirs); drop those a function word begins or ends, those holding
    an inflected verb and those naming a person: one the document shows, or one the corpus shows (`corpus_names`,
    words no new document writes in lower case)."""
    surfaces, _ = _locate(doc, lang, set(scored), stops)
    names = name_words(doc.text, lang, doc.authors, _known_word(classify)) | corpus_names
    verbs = verb_words(doc.text, lang)

    def verb(word: str, first: bool) -> bool:
        """An inflected verb; a participle only counts where it cannot modify the noun after it."""
        folded = word.casefold()
        kind = folded in lemmas and verb_form(folded, lemmas[folded], lang,
                                              lambda lemma: bool(classify) and classify(lemma, lang) == "noun")
        return kind == "finite" or kind == "participle" and not first

    for key in list(scored):
        words = _label(surfaces[key]).split()
        classes = [classify(w, lang) for w in words] if classify else ["noun"] * len(words)
        if len(words) == 1 and (words[0].casefold() in verbs
                                or classes[0] == "unknown" and not looks_like_noun(words[0], lang)):
            classes = ["other"]
        # A concept is named by a noun or a noun phrase: an inflected verb makes it a verb or a piece of a clause.
        clause = any(verb(w, first=i == 0 and len(words) > 1) for i, w in enumerate(words))
        named = "name" in classes or any(is_name(w, names) for w in words)
        if clause or named or "function" in (classes[0], classes[-1]) or chance_phrase(words, lang):
            del scored[key]
        else:
            likeness = max(CLASS_WEIGHT[c] for c in classes) * specificity(words, lang, lemmas)
            if likeness < MIN_LIKENESS:  # an everyday word, a lone verb or adjective: not worth a trainer's time
                del scored[key]
            else:
                scored[key] *= likeness


def _locate(doc: SourceDocument, lang: str, keys: set, stops: frozenset) -> tuple[dict, dict]:
    """How a document writes some terms (surface -> count) and where (passages, each with its sentence)."""
    surfaces: dict[tuple, Counter] = defaultdict(Counter)
    passages: dict[tuple, list[Passage]] = defaultdict(list)
    for region, begin in _stretches(doc):
        if region.lang != lang:
            continue
        chunk = doc.text[region.start:region.end]
        spans = None
        for occ in occurrences(doc.text, lang, stops, begin, region.end):
            if occ.key in keys:
                spans = spans if spans is not None else sentence_spans(chunk)
                start, end = occ.start - region.start, occ.end - region.start
                sentence = next((chunk[a:b] for a, b in spans if a <= start and end <= b), occ.surface)
                surfaces[occ.key][occ.surface] += 1
                passages[occ.key].append(Passage(region.chunk_id, doc.doc_id, lang, start, end, occ.surface,
                                                 " ".join(sentence.split())))
    return surfaces, passages


def _grounding_first(passages: list[Passage]) -> list[Passage]:
    """A term's passages, the sentence that best explains it first, one per sentence: a sentence of readable
    length that says what the term is ("X is ...") beats one that only mentions it; earlier beats later."""
    def rank(item: tuple[int, Passage]) -> tuple:
        order, p = item
        words = len(p.sentence.split())
        rest = p.sentence.casefold().split(p.text.casefold(), 1)[-1].split()
        defines = bool(rest) and rest[0] in _COPULAS.get(p.lang, ())
        return (not defines, not MIN_SENTENCE_WORDS <= words <= MAX_SENTENCE_WORDS, order)

    seen: set[str] = set()
    distinct = []
    for order, p in sorted(enumerate(passages), key=rank):
        if p.sentence not in seen:
            seen.add(p.sentence)
            distinct.append(p)
    return distinct


def _label(surfaces: Counter) -> str:
    """The form the corpus writes most often; lower-case unless the corpus never writes it so (names)."""
    folded: Counter = Counter()
    for surface, n in surfaces.items():
        folded[surface.casefold()] += n
    best = max(folded, key=lambda f: (folded[f], -len(f)))
    written = [s for s in surfaces if s.casefold() == best]
    if best in written:
        return best
    return max(written, key=lambda s: surfaces[s])


def _known_terms(catalogue: Catalogue | None) -> tuple[set, set]:
    if catalogue is None:
        return set(), set()
    if catalogue.digest not in _KNOWN:
        keys, forms = set(), set()
        for term in catalogue.all_terms():
            keys.add((term.lang, key_of(term.text, term.lang)))
            forms.add(compact(fold(term.text)))
        if len(_KNOWN) >= 4:
            _KNOWN.clear()
        _KNOWN[catalogue.digest] = (frozenset(keys), frozenset(forms))
    return _KNOWN[catalogue.digest]


_KNOWN: dict[str, tuple[frozenset, frozenset]] = {}  # catalogue digest -> its terms' keys and forms


def named_refs(catalogue: Catalogue) -> frozenset[str]:
    """The term refs (`Term.ref`: `lang:stem stem`) of every label and alias of a catalogue."""
    keys, _ = _known_terms(catalogue)
    return frozenset(f"{lang}:{' '.join(key)}" for lang, key in keys)


def _group(terms: list[Term], embed, chunk_vectors) -> list[list[Term]]:
    """Best terms first: each joins the group of the best earlier term of another language that means the same
    (and has no term of its language yet), else starts its own."""
    if embed is None or chunk_vectors is None or len({t.lang for t in terms}) < 2:
        return [[t] for t in terms]
    log.info("suggesting concepts: embedding %d candidate terms", len(terms))
    labels = np.asarray(embed([t.label for t in terms]), np.float32)
    contexts = np.stack([_mean(chunk_vectors(sorted({p.chunk_id for p in t.passages}))) for t in terms])
    folded = [fold(t.label) for t in terms]
    group_of: list[int] = []
    members: list[list[int]] = []
    for block in range(0, len(terms), _BLOCK):
        rows = range(block, min(block + _BLOCK, len(terms)))
        label_sim = labels[rows.start:rows.stop] @ labels[:rows.stop].T
        for i in rows:
            sims = label_sim[i - block, :i]
            near = np.flatnonzero(sims >= SAME_SPELLING_LABEL)
            chosen = None
            for j in near[np.argsort(-sims[near])]:
                g = group_of[j]
                if any(terms[m].lang == terms[i].lang for m in members[g]):
                    continue
                same = sims[j] >= SAME_LABEL and float(contexts[i] @ contexts[j]) >= SAME_CONTEXT
                if same or folded[i] == folded[j]:
                    chosen = g
                    break
            if chosen is None:
                chosen = len(members)
                members.append([])
            members[chosen].append(i)
            group_of.append(chosen)
    return [[terms[m] for m in group] for group in members]


def _mean(vectors: np.ndarray) -> np.ndarray:
    mean = vectors.mean(axis=0) if len(vectors) else vectors.sum(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm else mean


def _top_per_document(suggestions: list[Suggestion], new: list[str], per_document: int) -> list[Suggestion]:
    keep: dict[str, Suggestion] = {}
    for doc_id in new:
        mine = sorted((s for s in suggestions if doc_id in s.documents), key=lambda s: -s.documents[doc_id])
        for s in mine[:per_document]:
            keep[s.id] = s
    return sorted(keep.values(), key=lambda s: -s.score)


def reference_sample(doc_ids: Iterable[str], new: Iterable[str], size: int = REFERENCE_DOCUMENTS) -> list[str]:
    """The new documents plus at most `size` others, chosen by a hash of their ids (the same ones write after write)."""
    fresh = set(new)
    return sorted(fresh) + heapq.nsmallest(size, (d for d in doc_ids if d not in fresh), key=_sample_key)


def sample_order(doc_ids: Iterable[str], keep: int = 2 * REFERENCE_DOCUMENTS) -> list[str]:
    """The first `keep` ids in the order reference samples are drawn (a segment stores its own, so a write
    draws from a few hundred ids per segment instead of hashing every id in the corpus)."""
    return heapq.nsmallest(keep, doc_ids, key=_sample_key)


def _sample_key(doc_id: str) -> bytes:
    return hashlib.sha256(doc_id.encode()).digest()


def documents_as_sources(docs: Iterable, chunks: Iterable) -> list[SourceDocument]:
    """Stored documents and their chunks (`index.records`, from any store) as the suggester reads them."""
    regions: dict[str, list[tuple[int, Region]]] = defaultdict(list)
    for chunk in chunks:
        regions[chunk.doc_id].append((chunk.ord, Region(chunk.chunk_id, chunk.start, chunk.end, chunk.lang)))
    return [SourceDocument(d.doc_id, CodeBlocks(d.code).blanked(d.text),
                           tuple(r for _, r in sorted(regions[d.doc_id], key=lambda x: x[0])), tuple(d.authors))
            for d in docs]

