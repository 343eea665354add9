"""Glosses for readers of English, German or French: concept terms and FreeDict dictionary words in passages."""
from .freedict import Dictionary, DictionaryError
from .glosser import (READER_LANGUAGES, Gloss, check_reader, content_words, gloss_text, lookup_word, software_languages,
                      split_deadline, typed_term)
from ..config import DEFAULT_DICT_DIR
from .lexicon import Lexicon, WordGloss
from .lexicons import SOURCES, Lexicons, lexicons
from .senses import build_lexicon
from .stopwords import STOPWORDS, is_stopword

__all__ = [
    "DEFAULT_DICT_DIR",
    "Dictionary",
    "DictionaryError",
    "Gloss",
    "Lexicon",
    "Lexicons",
    "READER_LANGUAGES",
    "SOURCES",
    "STOPWORDS",
    "WordGloss",
    "build_lexicon",
    "check_reader",
    "content_words",
    "gloss_text",
    "is_stopword",
    "lexicons",
    "lookup_word",
    "software_languages",
    "split_deadline",
    "typed_term",
]
