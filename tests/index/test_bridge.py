"""The lexical bridge: query words translated into other passage languages with the real FreeDict dictionaries.

A corpus is stood in for by the analysed terms of a few sentences per language (what `Snapshot.term_languages`
reports); the search test embeds a few translated sections with the real model.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from index.bridge import NATIVE_SHARED_WEIGHT, Bridge, build_inverse, inverse_pairs
from index.concepts import load_catalogue
from index.glosses import DEFAULT_DICT_DIR, Lexicons, lexicons
from index.lexical import analyze
from index.queryplan import plan_query
from index.ranking import RankingConfig
from index.service import KnowledgeBase
from tests.configs import config_for, store_for

CORPUS = {
    "nl": "De klant is tevreden met de dienst. Het bestand staat in de map. Een hond liep door de kamer met een Kindle.",
    "no": "Kunden er fornøyd med tjenesten. Filen ligger i mappen. En hund gikk gjennom rommet med en Kindle.",
    "en": "The customer is happy with the service. The file is in the folder. A dog walked through the room. "
          "Her gift to him was a poison.",
    "de": "Der Kunde ist zufrieden. Die Datei liegt im Ordner. Ein Hund lief durch das Zimmer mit einem Kindle.",
}
DEBREF = Path(__file__).resolve().parents[2] / "eval" / "corpus-debref"


def held(corpus: dict[str, str]):
    """`term_languages` of a corpus made of these texts."""
    vocabulary = {lang: set(analyze(text, lang)) for lang, text in corpus.items()}
    return lambda terms: {t: {lang: 1 for lang, seen in vocabulary.items() if t in seen} for t in terms}


@pytest.fixture(scope="module")
def bridge() -> Bridge:
    return Bridge(lexicons(DEFAULT_DICT_DIR, Path(os.environ["KB_CACHE_DIR"])), load_catalogue(), held(CORPUS))


def test_a_swedish_word_reaches_dutch_and_norwegian_through_english(bridge):
    found = bridge.translate("kunderna", "sv", ["nl", "no", "en"])
    assert max(found["nl"], key=found["nl"].get) == "klant"
    assert max(found["no"], key=found["no"].get) == analyze("kunde", "no")[0]
    assert {"custom", "client"} >= set(found["en"])  # customer, client: the glosses share the word's unit
    assert sum(found["en"].values()) == pytest.approx(1.0)
    assert all(0 < w <= 1 for terms in found.values() for w in terms.values())


def test_an_english_word_the_targets_own_dictionaries_lack_is_rendered_through_its_gloss_lexicon():
    found = lexicons(DEFAULT_DICT_DIR, Path(os.environ["KB_CACHE_DIR"]))
    assert "troubleshooting" not in build_inverse(inverse_pairs(found, "sv"))  # swe-eng and eng-swe lack it
    corpus = {"sv": "Felsökning av nätverket tar tid. Skärmen visar en stövel."}
    plan = Bridge(found, load_catalogue(), held(corpus)).translate("troubleshooting the screen boot", "en", ["sv"])
    # Felsökning only through swe-nor and eng-nor; a word the dictionaries render keeps their rendering (boot: stövel).
    assert set(plan["sv"]) == {analyze(w, "sv")[0] for w in ("felsökning", "skärm", "stövel")}


def test_a_query_splits_words_within_a_budget_and_remembers_only_what_it_split(monkeypatch):
    """A query of long made-up words once cost 0.7 s in compound splitting: past the query's budget its words count
    as written only, and a later query splits them."""
    # Lexicons of its own: the process's shared ones may have split the word for another test already.
    fresh = Bridge(Lexicons(DEFAULT_DICT_DIR, Path(os.environ["KB_CACHE_DIR"])), None,
                   held({"en": "The customer loyalty program of the file server."}))
    monkeypatch.setattr("index.bridge._SPLIT_BUDGET_S", -1.0)
    unsplit = fresh.translate("kundlojalitetsprogrammet", "sv", ["en"])
    assert not set(unsplit.get("en", {})) & {"custom", "loyalti", "program"}
    monkeypatch.undo()
    found = fresh.translate("kundlojalitetsprogrammet", "sv", ["en"])["en"]
    assert {"custom", "loyalti", "program"} <= set(found)


def test_words_longer_than_any_word_are_not_remembered(bridge):
    # A query may hold 900-letter made-up words: remembered, each took kilobytes for as long as the version served.
    long_word, word = "kundlojalitet" * 8, "kundlojalitet"
    found = bridge.translate(f"{long_word} {word}", "sv", ["en"])
    assert found["en"] and {key[0] for key in bridge._memo} >= {word} and long_word not in {k[0] for k in bridge._memo}


def test_an_ambiguous_word_spreads_its_weight(bridge):
    everything = Bridge(bridge.lexicons, None, lambda terms: {t: {"nl": 1, "no": 1, "de": 1} for t in terms})
    plain, ambiguous = everything.translate("dog", "en", ["nl"])["nl"], everything.translate("set", "en", ["nl"])["nl"]
    assert max(plain.values()) == 1.0
    assert max(ambiguous.values()) <= 0.25 and sum(ambiguous.values()) <= 1.0 + 1e-9


def test_renderings_the_corpus_holds_take_the_share_of_those_it_does_not(bridge):
    # English "dog" has a dozen German renderings (technical hooks and clamps); the corpus holds only Hund.
    assert bridge.translate("dog", "en", ["de"])["de"] == {"hund": 1.0}


def test_shared_words_count_where_the_corpus_holds_them_false_friends_little(bridge):
    # A name the corpus holds in every language; the dictionaries' renderings (to kindle a fire) it does not hold.
    found = bridge.translate("Kindle", "en", ["nl", "no", "de"])
    assert all(found[lang][analyze("kindle", lang)[0]] == 1.0 for lang in ("nl", "no", "de"))
    # German "Gift" is poison: the dictionary's rendering is held, so the English spelling counts little.
    gift = bridge.translate("Gift", "de", ["en"])["en"]
    assert gift["poison"] == 1.0 and gift["gift"] == NATIVE_SHARED_WEIGHT


def test_a_code_with_digits_is_shared_as_written():
    codes = Bridge(lexicons(DEFAULT_DICT_DIR, Path(os.environ["KB_CACHE_DIR"])), None,
                   held({"no": "Modellen x200e er ny.", "nl": "Het model is nieuw."}))
    # Norwegian passages hold it; in Dutch nothing renders it, so it stays in the plan there, matching nothing.
    assert codes.translate("x200e", "sv", ["no", "nl"]) == {"no": {"x200e": 1.0}, "nl": {"x200e": 1.0}}


def test_words_nothing_renders_keep_a_shared_word_to_its_part_of_the_query():
    # Italian has no dictionary here: "Kindle" is shared with Dutch, "venduti" and "prezzo" nothing renders. All
    # three stay in the Dutch plan, so a passage saying only "Kindle" matches a third of the query, not all of it.
    found = Bridge(lexicons(DEFAULT_DICT_DIR, Path(os.environ["KB_CACHE_DIR"])), None, held(CORPUS)).translate(
        "Kindle venduti prezzo", "it", ["nl"])["nl"]
    assert found == {term: 1.0 for word in ("Kindle", "venduti", "prezzo") for term in analyze(word, "nl")}


def test_concept_labels_bridge_languages_without_a_dictionary(bridge):
    # French has no FreeDict dictionary here: the catalogue's labels carry "intimité client" to Dutch.
    found = bridge.translate("l'intimité client", "fr", ["nl"])["nl"]
    assert found and all(0 < w <= 1 for w in found.values())


def test_the_plan_keeps_same_language_terms_as_they_were(bridge):
    langs = {"nl": 10, "no": 10, "en": 10}
    bridged, plain = plan_query("kunderna i filen", "no", langs, bridge), plan_query("kunderna i filen", "no", langs)
    assert dict((lang, (t, w)) for lang, t, w in bridged)["no"] == dict((lang, (t, w)) for lang, t, w in plain)["no"]
    assert plan_query("kunderna", "und", langs, bridge) == plan_query("kunderna", "und", langs)


def test_german_titles_find_english_sections_through_the_bridge(tmp_path):
    """The Debian Reference sections on files, archives and disks in English (close neighbours), searched with their
    German titles: lexical search finds more sections first with the bridge than without, and hybrid never loses a
    first place that dense alone has."""
    from ingest.pipeline import ingest

    corpus = tmp_path / "docs"
    corpus.mkdir()
    sections = ["s001", "s002", "s003", "s013", "s015", "s016", "s024", "s026"]
    for section in sections:
        shutil.copy(DEBREF / "docs" / f"{section}.en.txt", corpus)
    ingest([corpus], store_for(tmp_path / "index"), progress=False)
    titles = [q for q in (json.loads(line) for line in (DEBREF / "queries-title.jsonl").read_text().splitlines())
              if q["lang"] == "de" and q["qid"][:4] in {"t" + s[1:] for s in sections}]
    first = {}
    for bridge in (True, False):
        kb = KnowledgeBase(config_for(tmp_path / "index"), ranking=RankingConfig(bridge=bridge))
        for q in titles:
            for mode in ("dense", "hybrid", "lexical"):
                found = [r.source for r in kb.search(q["query"], k=10, mode=mode, group=True).results]
                first[q["qid"], mode, bridge] = bool(found) and found[0].startswith(f"s{q['qid'][1:4]}.")
    count = lambda mode, bridge: sum(first[q["qid"], mode, bridge] for q in titles)  # noqa: E731
    assert count("lexical", True) > count("lexical", False)
    assert not [q["qid"] for q in titles if first[q["qid"], "dense", True] and not first[q["qid"], "hybrid", True]]
