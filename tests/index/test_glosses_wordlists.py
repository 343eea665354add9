"""Words the project's lists gloss (function words, which FreeDict lists few of, and common word forms whose
dictionary route gives a rare first sense or none): the list's senses first, the dictionary's after them, and every
list well formed."""
from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from index.concepts import load_catalogue
from index.glosses import DEFAULT_DICT_DIR, gloss_text, lexicons, lookup_word
from index.glosses.stopwords import is_stopword
from index.glosses.wordlists import (common_word_senses, commonest_forms, computing_register, function_word_senses,
                                     list_path, read_list)

LANGS = ("sv", "no", "da", "nl")


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="module")
def lex():
    return lexicons(DEFAULT_DICT_DIR, Path(os.environ["KB_CACHE_DIR"]))


@pytest.mark.parametrize("folder, least", [("function_words", 100), ("common_words", 200), ("computing_words", 1000)])
@pytest.mark.parametrize("lang", LANGS)
def test_each_passage_language_has_well_formed_lists(folder, least, lang):
    with open(list_path(folder, lang), encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    words = [row["word"] for row in rows]
    assert len(rows) >= least and len(words) == len(set(words))
    assert all(word == word.casefold() and word.strip() == word and word for word in words)
    senses = read_list(folder, lang)
    assert len(senses) == len(rows) and all(senses.values())
    assert all(sense and sense == sense.strip() and "|" not in sense for found in senses.values() for sense in found)


@pytest.mark.parametrize("lang", LANGS)
def test_common_and_computing_word_lists_hold_single_words_a_few_senses_each_and_no_function_word(lang):
    senses = common_word_senses(lang)
    # Words as the glosser reads them: letters, and hyphens inside (e-post, plug-ins).
    assert all(word.replace("-", "").isalpha() and 1 <= len(found) <= 4 for word, found in senses.items())
    assert not set(senses) & set(function_word_senses(lang))  # a function word is its own list's
    # A form both lists give keeps the sense general prose needs.
    assert all(senses[word] == found for word, found in read_list("common_words", lang).items())


@pytest.mark.parametrize("lang, word, sense, homograph", [
    ("da", "nogen", "some", "naked"),     # not nøgen: FreeDict reached the word only through a sister language
    ("sv", "eftersom", "because", None),  # FreeDict split it: after + who
    ("nl", "zodat", "so that", None),     # no dictionary lists it
])
def test_a_function_word_is_glossed_from_its_languages_list_first(lex, catalogue, lang, word, sense, homograph):
    assert not is_stopword(word, lang)  # a content word to the Snowball list: it is glossed in passages
    found = lookup_word(word, lang, "en", catalogue, lex)[0]
    assert found.source == "function-words" and sense in found.gloss.split(", ")
    if homograph is not None:
        assert homograph not in found.gloss


def test_a_function_word_in_a_passage_keeps_its_lists_sense_whatever_its_neighbours(lex, catalogue):
    # After a determiner and before a noun, a cue would read a listed word's noun or adjective sense.
    text = "Der er ikke nogen kunder, som vil betale for det."
    glosses = gloss_text(text, "da", "en", catalogue, lex)
    found = next(g for g in glosses if g.term == "nogen")
    assert found.source == "function-words" and "some" in found.gloss.split(", ")


def test_the_dictionarys_senses_follow_the_lists(lex):
    found = lex.get("nl").lookup("zeer")
    listed = function_word_senses("nl")["zeer"]  # very; also the noun "pain", which nld-eng lists first
    assert found.gloss == listed[0] and "very" in found.gloss.split(", ")
    assert any("pain" in sense for sense in found.senses)


@pytest.mark.parametrize("lang, word, sense, homograph", [
    ("sv", "kom", "came", "comma"),  # swe-eng lists the noun kom (comma) as the word's first entry
])
def test_a_common_word_is_glossed_from_its_languages_list_first(lex, catalogue, lang, word, sense, homograph):
    found = lookup_word(word, lang, "en", catalogue, lex)[0]
    assert found.source == "common-words" and found.gloss == sense
    assert homograph in found.senses  # the dictionary's senses follow the list's, on demand


@pytest.mark.parametrize("lang, word, sense", [
    ("sv", "sökväg", "path"),                    # no dictionary lists it; as a compound: search way
    ("nl", "sneltoets", "keyboard shortcut"),    # as a compound: fast test
])
def test_a_computing_word_is_glossed_from_its_languages_list(lex, catalogue, lang, word, sense):
    found = lookup_word(word, lang, "en", catalogue, lex)[0]
    assert found.source == "common-words" and found.gloss == sense


@pytest.mark.parametrize("lang", LANGS)
def test_the_computing_list_marks_some_of_its_terms_and_glosses_alone_only_forms_outside_the_commonest(lang):
    with open(list_path("computing_words", lang), encoding="utf-8", newline="") as handle:
        marks = [row["marks"] for row in csv.DictReader(handle, delimiter="\t")]
    register = computing_register(lang)
    assert set(marks) == {"yes", ""} and len(register.markers) == marks.count("yes")
    assert register.markers < set(register.senses)
    alone = set(register.senses) - set(read_list("common_words", lang))
    assert {form for form in alone if form in common_word_senses(lang)} == alone - commonest_forms(lang)


@pytest.mark.parametrize("lang, word, sense", [
    ("no", "rotpartisjonen", "root partition"),  # rot alone: root of a plant, or disorder (Danish rod)
    ("nl", "wortelpartitie", "root partition"),  # wortel alone: carrot, root
])
def test_a_compound_part_takes_its_computing_sense_beside_a_term_that_marks_software_text(lex, catalogue, lang,
                                                                                          word, sense):
    assert lookup_word(word, lang, "en", catalogue, lex)[0].gloss == sense


@pytest.mark.parametrize("lang, word, sense", [
    ("no", "underpartisjon", "sub-partition"),        # under, beside a computing term: the prefix sub-
    ("nl", "onderarchitectuur", "sub-architecture"),  # ... both listed, and general text has no use for it
    ("sv", "förhandsinstallerad", "pre-installed"),   # förhand(s): pre-, not "in advance install"
])
def test_a_listed_prefix_joins_the_part_after_it(lex, catalogue, lang, word, sense):
    assert lookup_word(word, lang, "en", catalogue, lex)[0].gloss == sense
    assert not any(found[0].endswith("-") for found in common_word_senses(lang).values())  # never a word alone


def test_a_compound_of_listed_computing_terms_general_text_seldom_writes_reads_as_software_text(lex, catalogue):
    # uitvoer is export in general text, output in software; the compound is written about once in 10^8 words.
    assert lookup_word("uitvoerbestand", "nl", "en", catalogue, lex, software=True)[0].gloss == "output file"


@pytest.mark.parametrize("lang, word, not_sense", [
    ("sv", "kärnvärden", "kernel"),     # core values: kärna and värde are both listed, neither marks software text
    ("nl", "kerntaken", "kernel"),      # core tasks
    ("no", "sikkerhetsnett", "network"),  # a safety net
])
def test_a_compound_of_general_words_keeps_their_everyday_senses(lex, catalogue, lang, word, not_sense):
    assert not_sense not in lookup_word(word, lang, "en", catalogue, lex)[0].gloss


def test_a_form_among_the_commonest_keeps_the_sense_general_prose_needs(lex, catalogue):
    # Swedish kör is "run" in software text and "drives" in general prose, which the list of common words decides.
    assert lookup_word("kör", "sv", "en", catalogue, lex)[0].gloss == "drives"


def test_a_common_word_in_a_passage_keeps_its_lists_sense(lex, catalogue):
    glosses = gloss_text("Hon kom till mötet i går.", "sv", "en", catalogue, lex)
    found = next(g for g in glosses if g.term == "kom")
    assert found.source == "common-words" and found.gloss == "came"


def test_a_compound_of_two_computing_terms_reads_as_one_alone_or_in_software_text_not_in_a_business_article(
        lex, catalogue):
    # kärna (core; kernel) and element are both listed, neither marks software text: general text decides.
    def gloss(text: str) -> str:
        return next(g.gloss for g in gloss_text(text, "sv", "en", catalogue, lex) if g.term.startswith("Kärnelement"))

    assert gloss("Kärnelementen i strategin är kundens behov och företagets förmåga.").startswith("core ")
    assert gloss("Kärnelementen i installationen är servern och dess partitionstabell.") == "kernel elements"
    assert lookup_word("kärnelementen", "sv", "en", catalogue, lex)[0].gloss == "kernel elements"
