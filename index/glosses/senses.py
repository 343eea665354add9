"""A word's senses ranked by the evidence of every route through the dictionaries, and the English vocabulary.

Each route weighs each translation it gives (see `_ranked`): the word's own dictionaries read forward or backwards,
routes through a third language only where the word's own dictionaries agree or say nothing, sister languages'
dictionaries as agreement (Swedish "bygga", Danish "bygge", Norwegian "bygge": build); then how common the English
word is.
"""
from __future__ import annotations

import os
import re
from collections import Counter
from typing import Callable, Iterator

from ..concepts.termhood import zipf as zipf_in  # how common a word is in its own language
from ..lexical import stemmer
from .english import PhraseSet, zipf
from .freedict import Dictionary, entries, forward, reverse_entries, senses, translations, word_classes
from .lemmas import lemma_table
from .lexicon import MIN_PART, Lexicon
from .spelling import nordic_key, swedish_spelling

# A gloss is read at a glance: the best sense, in at most three translations; a few other senses on demand.
MAX_TRANSLATIONS = 3
MAX_SENSES = 8
# How a translation is ranked among a word's senses: by evidence, each route that gives it adding its weight (see
# `_Evidence`), then by how common the English word is (Zipf, 0-8, a weaker prior: "get" and "be" are common
# but rarely what a passage's word means), less a penalty for names.
_EVIDENCE = 2.0
_ZIPF = 0.5
# wordfreq rates a phrase as common as its words together allow (delivery man: 4.6, near supplier's 3.8), far above
# how often English writes it: each word beyond the first costs this much of its Zipf frequency, in a hyphenated
# compound too (hard-on).
_PHRASE_ZIPF = 1.0
_HYPHENS = re.compile(r"[\-\u2010]")  # between the words of a hyphenated compound (hard-on: 5.5, like hard)
# Beyond this Zipf frequency, how common a translation is says nothing of whether it is meant: "for", "be" and "get"
# are commoner than "before", "different" or "free", not likelier senses of tidligere, forskjellig or ledig.
_CAP = 6.5
# A common word's main sense is a common word (goed: good, not property; heel: very, not integer; bok: book, not
# beech): a translation much rarer in English than the word in its own language, by more than `_SLACK` Zipf, loses
# `_MATCH` per unit beyond that. A phrase is not discounted here, as a common word often means one (enligt:
# according to); a hyphenated compound is (stå: stand, not hard-on).
_MATCH = 1.0
_SLACK = 0.5
_NAME = -2.0  # a capitalised translation is a name (Larry, Comine): a common word is likelier meant
# A route through a third language or a sister language's spelling brings that language's homographs (sv kund ->
# de Kunde/kund -> lore; da skabe -> no skap): it counts in full only where the word's own dictionaries say
# nothing, else only for translations they give too, and then as agreement.
_PIVOT = 0.5
# An English headword read backwards (truce: bestand) tells less of a word than the word's own entry read forward
# (bestand: file; truce second): where there is one, it counts this much.
_BACKWARD = 0.75
# Among a word's listed translations, the English word it was borrowed from (installera: install, not mount).
_LOOKALIKE = 1.5
_AFFIX = ("-", "\u2010")  # a translation ending so is an affix (co‐ for samen), not a word
_ASIDE = 100.0  # ranks a sense only a disagreeing pivot route gives after every other
# A bridge word with many translations says little of each (deu-eng's Nachfrage: demand, enquiry, need, want...):
# its weight falls with the number of translations beyond this many.
_SPECIFIC = 3
_PHRASE = 0.5  # an English phrase read backwards (rather than: heller) is an idiom the word renders, not its sense
# How deu-eng's index writes a verb's object before it (etw. entwickeln: "etw entwickeln"); not a reflexive one,
# whose entries are the reflexive verb's idioms (sich bieten: present itself), not the verb's senses.
_OBJECT_MARKERS = ("etw", "jdn", "jdm", "jdnetw", "jdm etw")
_LIGHT_VERBS = frozenset({"be", "do", "get", "give", "go", "have", "keep", "let", "make", "put", "set", "take"})
# A word among the first translations of an English headword is what the headword means in that language.
_EARLY = 3
# Word classes the dictionaries tag alike on both sides (swe-nor's Swedish, eng-nor's English headwords).
_CLASSES = frozenset({"n", "v", "adj", "adv", "prep", "pron", "num", "conj", "interj"})


Weighted = list[list[tuple[str, float]]]  # a word's senses, each its translations with how much a route trusts them


def build_lexicon(lang: str, dictionaries: list[tuple[Dictionary, str]], english: dict[str, int] | None = None,
                  through: Callable[[str], "Lexicon | None"] | None = None) -> Lexicon:
    """Read the dictionaries (most trusted first) into one lexicon for a passage language.

    A direction "reverse" reads an English-to-X dictionary backwards; "bridge:<pair>" reads an X-to-Y dictionary
    and glosses Y through the English-to-Y dictionary <pair> read backwards (swe-nor through eng-nor) or forward
    (swe-deu through deu-eng); "through:<lang>" reads a <lang>-to-X dictionary backwards and glosses X's words
    with the lexicon of <lang> that `through` gives (Norwegian verdi -> Swedish värde -> value); "cognates" marks
    a related language's dictionary, whose words are matched by spelling key only. Bridges, "through", "lexicon"
    and cognates are pivot routes (see `_PIVOT`).
    """
    read: list[tuple[int, str, str, Weighted]] = []  # (position, route: forward, reverse or pivot, form, senses)
    kinds: list[str] = []
    for position, (dictionary, direction) in enumerate(dictionaries):
        direction, _, kind = direction.partition(">")
        kinds.append(kind)
        if direction == "reverse":
            pairs = reversed_senses(dictionary)
        elif direction.startswith("bridge:"):
            pairs = _bridged_senses(dictionary, Dictionary(direction.split(":", 1)[1], dictionary.directory))
        elif direction.startswith("through:"):
            pairs = _through_senses(dictionary, through(direction.split(":", 1)[1]) if through else None)
        elif direction.startswith("lexicon:"):  # another language's lexicon, its words as cognates
            other = through(direction.split(":", 1)[1]) if through else None
            pairs = [(form, _by_sense(sense.split(", ") for sense in found[0][:2]))
                     for form, found in (other.words.items() if other else ()) if " " not in form]
        else:
            pairs = ((form, _by_sense(groups)) for form, groups, _ in forward(dictionary))
        route = "pivot" if kind == "cognates" or direction not in ("reverse", "forward") else direction
        read.extend((position, route, form.casefold(), groups) for form, groups in pairs)
    key = nordic_key if "cognates" in kinds else str
    merged: dict[str, list] = {}  # form -> [[(route, senses) per route, most trusted first], most trusted position]
    cognates: dict[str, list] = {}  # spelling key -> the same, for the sister languages' words
    by_key: dict[str, list[tuple[str, Weighted]]] = {}  # spelling key -> every route, agreement across spellings
    for position, route, form, groups in read:
        by_key.setdefault(key(form), []).append(("pivot", groups))
        if kinds[position] == "cognates":
            cognates.setdefault(key(form), [[], position])[0].append(("pivot", groups))
            if lang == "sv":
                form = swedish_spelling(form)
            elif dictionaries[position][0].name.startswith("swe"):
                continue  # Norwegian and Danish share their spelling, not Swedish's: its words match by key only
        merged.setdefault(form, [[], position])[0].append((route, groups))

    def ranked(table: dict[str, list], cognate: bool) -> dict[str, list]:
        out = {}
        for form, (routes, position) in table.items():
            # A sister language's word spelt alike agrees (bygga, bygge: build) without adding senses of its own.
            agreeing = [] if cognate else [r for r in by_key.get(key(form), []) if all(r[1] is not g for _, g in routes)]
            senses = _ranked(routes, agreeing, form, lang)
            # A form whose only translations are affixes (hunn: female-) or phrase fragments glosses nothing.
            if senses:
                out[form] = [senses, position]
        return out

    words, cognates = ranked(merged, False), ranked(cognates, True)
    snowball = stemmer(lang)
    stems: dict[str, str] = {}
    for form in words:
        if " " in form or snowball is None:
            continue
        stem = snowball.stemWord(form)
        best = stems.get(stem)
        # One form per stem: the form that is the stem itself, else the most trusted, else the shortest.
        if best is None or _rank(form, stem, words) < _rank(best, stem, words):
            stems[stem] = form
    # A lemma no dictionary lists may be an English loan (selecteren: select): probe it with the English words only.
    probe = Lexicon(lang, [], {}, {}, english or {}, {}, {})
    lemmas = lemma_table(lang, lambda lemma: lemma in words or nordic_key(lemma) in cognates
                         or probe._english(lemma, loans=False) is not None)
    return Lexicon(lang, [d.name for d, _ in dictionaries], words, stems, english or {}, cognates, lemmas)


def _by_sense(groups) -> Weighted:
    """Senses listed best first, as most dictionaries order them: the n-th sense weighs 1/n."""
    return [[(t, 1.0 / (1 + n)) for t in group] for n, group in enumerate(groups)]


def _shares_root(word: str, translation: str) -> bool:
    """Whether a translation is the English word a loan was taken from (installera: install, pragmatisk:
    pragmatic): the word begins with the translation's Snowball stem (five letters or more, no longer than the word)
    but for its last two letters (not skab: scabies)."""
    if len(word) < MIN_PART or not translation.isalpha():
        return False
    stem = stemmer("en").stemWord(translation.casefold())
    word = word.replace("k", "c")
    common = len(os.path.commonprefix([word, stem]))
    return len(stem) > MIN_PART and len(word) >= len(stem) and common >= max(MIN_PART, len(stem) - 2)


def _route_evidence(groups: Weighted, only: set[str] | None) -> dict[str, float]:
    """How much one route supports each translation: its weights combined as independent votes (noisy-or)."""
    found: dict[str, float] = {}
    for group in groups:
        for translation, weight in group:
            t = translation.casefold()
            if only is None or t in only:
                found[t] = 1 - (1 - found.get(t, 0.0)) * (1 - weight)
    return found


def _ranked(routes: list[tuple[str, Weighted]], agreeing: list[tuple[str, Weighted]] = (), form: str = "",
            lang: str = "") -> list[str]:
    """A word's senses as gloss texts, best first; a sense lists its translations best first, at most three.

    Each route adds its evidence for a translation; a pivot route in full where the word's own dictionaries say
    nothing, else less (`_PIVOT`), and only for what they say where one of the word's language is read forward (an
    English dictionary read backwards lists a word under a few headwords, often not its main sense: korrigere under
    adjust, not correct); an English dictionary read backwards counts less where one of the word's language is
    read forward (`_BACKWARD`); `agreeing` routes (cognates spelt differently) only add to what is there. How
    common a translation is in English weighs too, against how common the word (`form`) is in `lang` (`_MATCH`).
    """
    direct = ({t.casefold() for route, groups in routes if route != "pivot" for group in groups for t, _ in group}
              or None)
    backward = _BACKWARD if any(route == "forward" for route, _ in routes) else 1.0
    # A pivot route is discounted against the word's own dictionaries only: alone, its evidence counts in full, lest
    # the English frequency prior outweigh it (efterfrågan via Nachfrage, Bedarf: demand twice, not want once).
    weights = {"forward": 1.0, "reverse": backward, "pivot": _PIVOT if direct else 1.0}
    owned = {t.casefold() for route, groups in routes if route == "forward" for group in groups for t, _ in group}
    evidence: Counter = Counter()
    aside: Counter = Counter()  # what pivot routes alone say where the word's own forward entry says otherwise
    for route, groups in routes:
        for t, weight in _route_evidence(groups, None).items():
            (aside if route == "pivot" and owned and t not in owned else evidence)[t] += weight * weights[route]
    known = set(evidence)
    for _, groups in agreeing:
        for t, weight in _route_evidence(groups, known).items():
            evidence[t] += weight * _PIVOT

    common = zipf_in(form, lang) if lang and " " not in form else 0.0

    def score(translation: str) -> float:
        t = translation.casefold()
        # A sense only a pivot route gives stays among the other senses (visa: song; show through swe-nor), last;
        # unless it is the English word the form was borrowed from (mechanisme: mechanism through German, not action).
        base = (_EVIDENCE * evidence[t] if t in evidence
                else _EVIDENCE * aside[t] - (0.0 if _shares_root(form, translation) else _ASIDE))
        joined = zipf(translation) - _PHRASE_ZIPF * len(_HYPHENS.findall(translation))
        frequency = min(joined, _CAP) - _PHRASE_ZIPF * translation.count(" ")
        return (base + _ZIPF * frequency + _NAME * translation[:1].isupper()
                + _LOOKALIKE * _shares_root(form, translation) - _MATCH * max(0.0, common - joined - _SLACK))

    seen: set[str] = set()
    ranked = []
    n = 0
    for _, groups in routes:
        for group in groups:
            # An affix (co‐ for samen) renders part of a compound, not the word alone.
            members = [t for t in dict.fromkeys(t for t, _ in group) if t.casefold() not in seen
                       and not t.endswith(_AFFIX)]
            seen.update(t.casefold() for t in members)
            if members:
                scored = sorted(((score(t), t) for t in members), key=lambda x: -x[0])
                # Evidence chooses a sense's best translations; the reader sees the commonest of them first.
                shown = sorted((t for _, t in scored[:MAX_TRANSLATIONS]), key=lambda t: -zipf(t))
                ranked.append((scored[0][0], n, shown))
                n += 1
    ranked.sort(key=lambda r: (-r[0], r[1]))
    return [", ".join(members) for _, _, members in ranked[:MAX_SENSES]]


def build_english(dictionaries: list[tuple[Dictionary, str]]) -> dict[str, int]:
    """Single English words with how often the dictionaries use them: headwords of English-to-X dictionaries and
    translations of X-to-English ones. The count stands in for how common a word is ("building" > "barley")."""
    found: Counter = Counter()
    for dictionary, side in dictionaries:
        found.update(text.casefold() if side != "headwords" else text for text in _english_texts(dictionary, side))
    return {w: n for w, n in found.items() if w.isalpha()}


def build_english_phrases(dictionaries: list[tuple[Dictionary, str]]) -> PhraseSet:
    """English compounds of two words the dictionaries write (cash register, profit margin), casefolded: headwords
    of English-to-X dictionaries and translations of X-to-English ones. A compound's parts are rendered as one of
    them where their first senses make none (see `Lexicon._attested`)."""
    found: set[str] = set()
    for dictionary, side in dictionaries:
        for text in _english_texts(dictionary, side):
            words = text.casefold().split()
            if len(words) == 2 and all(w.isalpha() for w in words):
                found.add(" ".join(words))
    return PhraseSet.of(found)


def _english_texts(dictionary: Dictionary, side: str) -> Iterator[str]:
    """The English a dictionary writes: its headwords (`side` "headwords", English-to-X) or its translations."""
    if side == "headwords":
        return (w for w, _ in entries(dictionary))
    return (t for _, groups, _ in forward(dictionary) for group in groups for t in group)


def _rank(form: str, stem: str, words: dict[str, list]) -> tuple:
    return (form != stem, words[form][1], len(form), form)


def _reverse_weighted(dictionary: Dictionary) -> Iterator[tuple[str, str, frozenset, float]]:
    """(target word, English headword, the classes of its entries that list the word, weight) of an English-to-X
    dictionary read backwards.

    The weight is the share of the headword's senses, over all its entries, that list the word, a sense counting
    less the later the entry lists it and the later it lists the word among its translations: a headword that
    lists the word in most of its senses means it (free: fri in four of five; propose: in one of two); a vague one
    lists it in one sense of many or late among many words (get: krijgen, halen, ... creëren; better <adj>, <adv>,
    <v>); a phrase (used to, look at) is an idiom the word renders.
    """
    read = list(reverse_entries(dictionary))
    total = Counter()
    for headword, _, groups in read:
        total[headword] += sum(1 / (1 + n) for n in range(len(groups)))
    shares: dict[tuple[str, str], list] = {}  # (word, headword) -> [weight, classes]
    for headword, classes, groups in read:
        for n, group in enumerate(groups):
            for place, word in enumerate(dict.fromkeys(t.casefold() for t in group)):
                if " " not in word and word.isalpha():
                    found = shares.setdefault((word, headword), [0.0, frozenset()])
                    found[0] += 1 / (1 + n) / (1 + place) / total[headword]
                    found[1] |= classes
    for (word, headword), (weight, classes) in shares.items():
        yield word, headword, classes, min(1.0, weight) * (_PHRASE if " " in headword else 1.0)


def reversed_senses(dictionary: Dictionary) -> list[tuple[str, Weighted]]:
    """Target word -> its English headwords, each a sense of its own, weighed by `_reverse_weighted`."""
    merged: dict[str, dict[str, float]] = {}
    for word, headword, _, weight in _reverse_weighted(dictionary):
        found = merged.setdefault(word, {})
        found[headword] = max(weight, found.get(headword, 0.0))
    return [(word, [[(h, w)] for h, w in sorted(found.items(), key=lambda x: -x[1])]) for word, found in merged.items()]


def _through_senses(dictionary: Dictionary, lexicon: "Lexicon | None") -> list[tuple[str, Weighted]]:
    """Target word -> the first senses the source language's lexicon gives each source headword that lists the word
    among its first translations (swe-nor read backwards: verdi <- värde -> value), the k-th weighing 1/k: a later
    sense the word's other routes also give then wins on agreement (stadig <- stadig -> fixed, constant; Danish
    stadig: constant)."""
    if lexicon is None:
        return []
    merged: dict[str, Weighted] = {}
    for headword, groups, _ in forward(dictionary, into_english=False):
        found = lexicon.words.get(headword.casefold())
        if found is None:
            continue
        early = [t.casefold() for t in dict.fromkeys(t for group in groups for t in group)][:_EARLY]
        for place, word in enumerate(early):
            if " " not in word and word.isalpha():
                merged.setdefault(word, []).extend([(t, 1.0 / (1 + place) / (1 + n)) for t in sense.split(", ")]
                                                   for n, sense in enumerate(found[0][:_EARLY]))
    return list(merged.items())


def _bridge_table(bridge: Dictionary, wanted: set[str]) -> dict[str, list[tuple[list[tuple[str, float]], frozenset]]]:
    """Bridge-language word -> [(English translations with their weights, word classes)] per entry, read forward
    (deu-eng: its first few translations, plurals of another of them left out) or backwards (eng-nor, see
    `_specific`)."""
    table: dict[str, list[tuple[list[tuple[str, float]], frozenset]]] = {}
    if bridge.name.startswith("eng-"):
        for word, headword, classes, weight in _reverse_weighted(bridge):
            if word in wanted:
                table.setdefault(word, []).append(([(headword, weight)], classes))
        return table
    # deu-eng lists a verb's transitive uses under "etw. entwickeln" (develop), often its main sense, and the bare
    # "entwickeln" under narrower ones (draw up, frame, develop a concept).
    # An English light verb among such an entry's translations stands for a phrase whose noun it leaves out
    # ("etw. anbieten": make, i.e. make an offer), not for what the verb means.
    marked = {f"{marker} {word}": word for word in wanted for marker in _OBJECT_MARKERS}
    for headword, entry in entries(bridge, wanted | set(marked)):
        found = list(dict.fromkeys(t for sense in senses(entry) for t in translations(sense)))
        found = [t for t in found if not (t.endswith("s") and t[:-1] in found)]
        if headword.casefold() in marked:
            found = [t for t in found if t.casefold() not in _LIGHT_VERBS]
        if found:
            table.setdefault(marked.get(headword.casefold(), headword.casefold()), []).append(
                ([(t, 1.0 / (1 + n)) for n, t in enumerate(found[:MAX_TRANSLATIONS])], word_classes(entry)))
    # A bridge word with many entries (deu-eng's Nachfrage: demand, enquiry, need, want...) says less of each.
    for found in table.values():
        share = min(1.0, _SPECIFIC / len({t for english, _ in found for t, _ in english}))
        found[:] = [([(t, w * share) for t, w in english], classes) for english, classes in found]
    return table


def _bridged_senses(dictionary: Dictionary, bridge: Dictionary) -> Iterator[tuple[str, Weighted]]:
    """Source word -> the English translations of its translations in the bridge language, each a sense of its own,
    weighed by the product of both places (företag -> Unternehmen, Betrieb: company twice, see `_route_evidence`);
    a bridge word's place in its sense counts too, as the dictionaries list the commonest first (användbar:
    nützlich, brauchbar, anwendbar; useful before applicable).

    A bridge word of another word class than the source word is passed over where the dictionaries say both
    (välja <v> -> velge -> choose <v>, not choice <n>).
    """
    if not bridge.exists():
        return
    read = list(forward(dictionary, into_english=False))
    table = _bridge_table(bridge, {t.casefold() for _, groups, _ in read for g in groups for t in g})
    for form, groups, classes in read:
        found: Weighted = []
        for n, group in enumerate(groups):
            for place, translation in enumerate(dict.fromkeys(t.casefold() for t in group)):
                candidates = table.get(translation, [])
                same_class = [english for english, c in candidates if classes & c & _CLASSES]
                for english in same_class or [e for e, _ in candidates]:
                    found.extend([(e, w / (1 + n) / (1 + place))] for e, w in english)
        if found:
            yield form, sorted(found, key=lambda sense: -sense[0][1])

