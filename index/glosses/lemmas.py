"""Inflected form -> dictionary lemma per passage language, from simplemma's bundled lemma lists (MIT licence).

A lemma list knows that "heter" is a form of the verb "heta" (be called), where a stemmer only cuts it to "het"
(hot); only the forms whose lemma a dictionary lists are kept, so the table stays small enough to cache.
"""
from __future__ import annotations

import logging
from typing import Callable

from simplemma.strategies.dictionaries.dictionary_factory import DefaultDictionaryFactory

from ..progress import Progress

log = logging.getLogger(__name__)
# This project's language codes where simplemma's differ (Norwegian is Bokmål).
_CODES = {"no": "nb"}
SUPPORTED = ("sv", "no", "da", "nl", "de")


def lemma_table(lang: str, known: Callable[[str], bool]) -> dict[str, str]:
    """Casefolded inflected form -> its lemma, for every form whose lemma differs and satisfies `known`."""
    if lang not in SUPPORTED:
        return {}
    table: dict[str, str] = {}
    checked: dict[str, bool] = {}  # a lemma has many forms: ask about it once
    listed = DefaultDictionaryFactory().get_dictionary(_CODES.get(lang, lang))
    progress = Progress(log, f"matching the {lang} lemma list with the dictionaries (forms)", len(listed))
    for n, (form, lemma) in enumerate(listed.items()):
        if n % 10_000 == 0:
            progress(n)  # a list holds up to a million forms, each lemma checked against the dictionaries
        form, lemma = form.casefold(), lemma.casefold()
        if lemma not in checked:
            checked[lemma] = known(lemma)
        # Capitalised German nouns and their forms casefold alike; the first lemma listed for a form is kept.
        if form != lemma and form not in table and checked[lemma]:
            table[form] = lemma
    log.debug("%d %s forms with a known lemma", len(table), lang)
    return table
