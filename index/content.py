"""How much a passage says: a prior in 0..1 that ranks headings, calls to action, bylines,
copyright lines and navigation below passages of running text.

General signals only, the same in every language written in Latin script: length in words, the
share of words that sit in full statements (several words ending in a full stop; questions, the
form of headings, count half; exclamations, the form of calls to action and advertising, count
against), the share of words that
start in lower case (running text is mostly lower-case function words; headings, names, bylines
and menus are capitalised or upper case), and position: a document's last passage is where
footers live (calls to action, copyright lines, author boxes, links to more).
"""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from .text import sentence_spans

FULL_LENGTH_WORDS = 20  # a passage this long or longer is not penalised for length
SENTENCE_MIN_WORDS = 6
RUNNING_TEXT_LOWER_SHARE = 0.5  # running text has at least this share of lower-case words
FOOTER_FACTOR = 0.8  # a document's last passage, where footers live
_STATEMENT_END = re.compile(r"[.…:;][\"'”’»)\]]*$")
_QUESTION_END = re.compile(r"[?][\"'”’»)\]]*$")
_EXCLAMATION_END = re.compile(r"[!][\"'”’»)\]]*$")
# Expository text almost never exclaims; "Contact me!" does. An exclamation cancels twice its words.
EXCLAMATION_WEIGHT = 2
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _sentence_share(text: str) -> float:
    spans = sentence_spans(text)
    total = len(text.split()) or 1
    inside = 0
    for i, (start, end) in enumerate(spans):
        sentence = text[start:end]
        n = len(sentence.split())
        # A passage may stop mid-sentence at its boundary: a long last span counts as a sentence.
        ended = bool(_STATEMENT_END.search(sentence)) or (i == len(spans) - 1 and n >= 2 * SENTENCE_MIN_WORDS)
        if _EXCLAMATION_END.search(sentence):
            inside -= EXCLAMATION_WEIGHT * n
        elif n >= SENTENCE_MIN_WORDS and ended:
            inside += n
        elif n >= SENTENCE_MIN_WORDS and _QUESTION_END.search(sentence):
            inside += n / 2
    return max(0.0, inside) / total


def _lower_share(text: str) -> float:
    words = _WORD.findall(text)
    return sum(w[0].islower() for w in words) / len(words) if words else 0.0


def content_prior(text: str) -> float:
    """0..1: near 1 for running text, low for headings, calls to action, bylines and menus."""
    words = len(text.split())
    if not words:
        return 0.0
    length = min(1.0, words / FULL_LENGTH_WORDS)
    structure = 0.4 + 0.6 * _sentence_share(text)
    casing = min(1.0, max(0.2, _lower_share(text) / RUNNING_TEXT_LOWER_SHARE))
    return round(length * structure * casing, 4)


def content_priors(texts: Sequence[str], doc_ids: Sequence[str]) -> np.ndarray:
    """`content_prior` of every chunk (in document order), the last of each document damped as a footer."""
    priors = np.asarray([content_prior(t) for t in texts], np.float32)
    docs = np.asarray(doc_ids, dtype=object)
    last = np.r_[docs[1:] != docs[:-1], True] if len(docs) > 1 else np.ones(len(docs), bool)
    # A one-passage document is all body, no footer.
    alone = last & np.r_[True, docs[1:] != docs[:-1]] if len(docs) > 1 else last
    priors[last & ~alone] *= FOOTER_FACTOR
    return priors
