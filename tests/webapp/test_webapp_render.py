"""Pure template helpers."""
from __future__ import annotations

import pytest

from webapp.concept_forms import EMPTY, shown_languages
from webapp.render import (document_segments, falls_back, gloss_first, gloss_senses, lang_name, languages_first,
                           passage_item, split_highlight)

TEXT = "One. Two three. Four five six. Seven."
# Overlapping chunks, as the chunker makes them.
CHUNKS = [{"ord": 0, "start": 0, "end": 15}, {"ord": 1, "start": 5, "end": 30}, {"ord": 2, "start": 31, "end": 37}]


def test_split_highlight():
    assert split_highlight("ab cd ef", {"start": 3, "end": 5}) == ("ab ", "cd", " ef")
    assert split_highlight("ab", {"start": 1, "end": 9}) == ("ab", "", "")


def test_segments_rebuild_the_text_and_anchor_every_chunk():
    segments = document_segments(TEXT, CHUNKS)
    assert "".join(s.text for s in segments) == TEXT
    anchors = [a for s in segments for a in s.anchors]
    assert anchors == ["chunk-0", "chunk-1", "chunk-2"]
    assert not any(s.passage or s.sentence for s in segments)


def test_segments_mark_the_selected_chunk_and_sentence():
    segments = document_segments(TEXT, CHUNKS, selected=1, sentence=(0, 10))  # chunk 1 text: "Two three. ..."
    assert "".join(s.text for s in segments if s.passage) == TEXT[5:30]
    assert "".join(s.text for s in segments if s.sentence) == "Two three."


def test_segments_ignore_a_sentence_outside_the_chunk():
    segments = document_segments(TEXT, CHUNKS, selected=2, sentence=(0, 99))
    assert not any(s.sentence for s in segments)
    assert "".join(s.text for s in segments if s.passage) == "Seven."


def test_passage_item_carries_its_citation():
    item = passage_item({"doc_id": "d", "ord": 3, "title": "T", "source": "s.txt", "lang": "sv", "text": "a b c",
                         "highlight": {"start": 2, "end": 3}}, "/documents/d?chunk=3#chunk-3",
                        {"text": "Jane Doe (2020). T. Language: Swedish (sv)."})
    assert item["key"] == "passage:d:3" and item["span"] == [2, 3]
    assert item["citation"] == "Jane Doe (2020). T. Language: Swedish (sv)." and "source" not in item
    assert (item["before"], item["sentence"], item["after"]) == ("a ", "b", " c")
    assert item["langName"] == lang_name("sv") == "Swedish"


def test_languages_first_then_the_rest_in_their_order():
    labels = {"de": "Kundennähe", "sv": "Kundnärhet", "en": "Customer intimacy"}
    assert languages_first(labels, ("fr", "en")) == ["en", "de", "sv"]
    assert languages_first(labels, ("de", "en")) == ["de", "en", "sv"]
    assert languages_first(labels, ("en", "en")) == ["en", "de", "sv"]


def test_the_concept_form_shows_english_and_the_languages_with_text():
    shown, more = shown_languages({**EMPTY, "labels": {"en": "x", "de": "y"}, "aliases": {"nl": ["z"]}})
    assert shown == ["en", "nl", "de"] and "sv" in more and not set(shown) & set(more)
    assert shown_languages(EMPTY)[0] == ["en"]


def test_other_senses_and_fallback_glosses():
    gloss = {"gloss": "is called", "lang": "en", "senses": ["is called", "is named", {"gloss": "hot"}, "is named"]}
    assert gloss_senses(gloss) == ["is named", "hot"] and gloss_senses({"gloss": "x"}) == []
    assert falls_back([gloss], "de") and not falls_back([gloss], "en") and not falls_back([], "de")


@pytest.mark.parametrize("gloss, shown", [
    ({"gloss": "client, buyer, purchaser", "source": "freedict:swe-eng"}, ("client", "buyer, purchaser")),
    ({"gloss": "at (someone's place), with, by", "source": "function-words"}, ("at (someone's place)", "with, by")),
    ({"gloss": "keep one's hands off", "source": "freedict:nld-eng"}, ("keep one's hands off", "")),
    ({"gloss": "Customer intimacy, closeness", "source": "concept:customer-intimacy"},
     ("Customer intimacy, closeness", "")),
])
def test_under_the_word_goes_the_first_synonym_of_a_dictionary_gloss_and_a_concepts_whole_label(gloss, shown):
    assert gloss_first(gloss) == shown
