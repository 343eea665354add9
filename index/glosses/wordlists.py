"""Word lists written for this project, one TSV (`word`, `senses` separated by " | ") per passage language.

FreeDict orders a word's senses by no measure of use and lists few grammatical words, so a dictionary route alone
glosses some common words by a homograph or a rare sense. Three lists put the sense a reader most often needs first:
- `function_words/`: pronouns, determiners, conjunctions, prepositions, grammatical adverbs and auxiliaries
  (Danish nogen: some, any; not nøgen, naked);
- `common_words/`: word forms among the language's commonest (wordfreq's `COMMONEST`) whose dictionary route gave a
  wrong first sense or none (Swedish kom: came, not comma; bygger: builds, not barley);
- `computing_words/`: the register of software text (help pages, manuals), each term's sense there. A form outside
  the commonest is glossed so alone (Swedish sökväg: path; Dutch sneltoets: keyboard shortcut, not fast test); a
  form among them keeps the sense general prose needs (Swedish kör: drives, not runs). A compound's parts take their
  computing senses where one of them is a term marked `yes` in a third column, `marks`: one that makes a compound a
  computing term wherever it stands (partition, server; not system, value or security). Danish rod+partition is
  root partition, not disorder partition; Swedish kärn+värden stays core values. A sense ending in "-" is a
  prefix's (under: sub-), joined to the part after it (sub-architecture) and never a word's gloss alone.
"""
from __future__ import annotations

import csv
import functools
from dataclasses import dataclass, field
from pathlib import Path

from wordfreq import top_n_list

_HERE = Path(__file__).parent
# How many of a language's commonest written forms the list of common words was judged on.
COMMONEST = 30_000
WORDFREQ_LANGS = {"no": "nb"}  # the project's language codes wordfreq names otherwise


def function_word_senses(lang: str) -> dict[str, tuple[str, ...]]:
    """A language's function words with their English senses, most needed first ({} without a list)."""
    return read_list("function_words", lang)


def common_word_senses(lang: str) -> dict[str, tuple[str, ...]]:
    """A language's common word forms, and its computing words outside the commonest, with the senses a reader most
    often needs, first first ({} without a list)."""
    commonest = commonest_forms(lang)
    # A prefix's sense (under: sub-) is a compound part's only.
    computing = {form: senses for form, senses in computing_register(lang).senses.items()
                 if form not in commonest and not senses[0].endswith("-")}
    return {**computing, **read_list("common_words", lang)}


@functools.cache
def commonest_forms(lang: str) -> frozenset[str]:
    """The language's `COMMONEST` written forms (wordfreq's list), whose senses the list of common words judged."""
    try:
        return frozenset(top_n_list(WORDFREQ_LANGS.get(lang, lang), COMMONEST))
    except LookupError:  # a language wordfreq has no list for
        return frozenset()


@functools.cache
def read_list(folder: str, lang: str) -> dict[str, tuple[str, ...]]:
    """One list of a language as written: word -> its senses, first first ({} without the file)."""
    return {row["word"].casefold(): tuple(s.strip() for s in row["senses"].split(" | ") if s.strip())
            for row in _rows(folder, lang)}


@functools.cache
def _rows(folder: str, lang: str) -> tuple[dict[str, str], ...]:
    path = list_path(folder, lang)
    if not path.is_file():
        return ()
    with open(path, encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle, delimiter="\t"))


def list_path(folder: str, lang: str) -> Path:
    """Where a language's list of a kind is kept (for tests and tools that check it)."""
    return _HERE / folder / f"{lang}.tsv"


@dataclass(frozen=True)
class Register:
    """A language's computing terms: their senses in software text, and the terms that mark a compound as one of
    software text wherever they stand in it (partition, server; not system, value, security)."""

    senses: dict[str, tuple[str, ...]] = field(default_factory=dict)
    markers: frozenset[str] = frozenset()

    @functools.cached_property
    def english(self) -> frozenset[str]:
        """The one-word English terms its senses use (folder, directory, server)."""
        return frozenset(s for senses in self.senses.values() for s in senses if s.isalpha() and s.islower())


@functools.cache
def computing_register(lang: str) -> Register:
    """A language's computing terms (`computing_words/`; an empty register without the list)."""
    marked = frozenset(row["word"].casefold() for row in _rows("computing_words", lang) if row["marks"] == "yes")
    return Register(read_list("computing_words", lang), marked)
