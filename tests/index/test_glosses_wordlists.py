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
from index.glosses.wordlists import common_word_senses, function_word_senses, list_path, read_list

LANGS = ("sv", "no", "da", "nl")


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="module")
def lex():
    return lexicons(DEFAULT_DICT_DIR, Path(os.environ["KB_CACHE_DIR"]))


@pytest.mark.parametrize("folder, least", [("function_words", 100), ("common_words", 200), ("computing_words", 100)])
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
    assert all(word.isalpha() and 1 <= len(found) <= 4 for word, found in senses.items())
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


def test_a_form_among_the_commonest_keeps_the_sense_general_prose_needs(lex, catalogue):
    # Swedish kör is "run" in software text and "drives" in general prose, which the list of common words decides.
    assert lookup_word("kör", "sv", "en", catalogue, lex)[0].gloss == "drives"


def test_a_common_word_in_a_passage_keeps_its_lists_sense(lex, catalogue):
    glosses = gloss_text("Hon kom till mötet i går.", "sv", "en", catalogue, lex)
    found = next(g for g in glosses if g.term == "kom")
    assert found.source == "common-words" and found.gloss == "came"
