"""Word lists written for this project, one TSV (`word`, `senses` separated by " | ") per passage language.

FreeDict orders a word's senses by no measure of use and lists few grammatical words, so a dictionary route alone
glosses some common words by a homograph or a rare sense. Three lists put the sense a reader most often needs first:
- `function_words/`: pronouns, determiners, conjunctions, prepositions, grammatical adverbs and auxiliaries
  (Danish nogen: some, any; not nøgen, naked);
- `common_words/`: word forms among the language's commonest (wordfreq's lists) whose dictionary route gave a wrong
  first sense or none (Swedish kom: came, not comma; bygger: builds, not barley);
- `computing_words/`: rarer forms of software text (help pages, manuals) whose main sense is the computing one and
  whose dictionary route gave another or none (Swedish sökväg: path; Dutch sneltoets: keyboard shortcut, not fast
  test). A form among the commonest keeps the sense general prose needs (Swedish kör: drives, not runs).
"""
from __future__ import annotations

import csv
import functools
from pathlib import Path

_HERE = Path(__file__).parent


def function_word_senses(lang: str) -> dict[str, tuple[str, ...]]:
    """A language's function words with their English senses, most needed first ({} without a list)."""
    return read_list("function_words", lang)


def common_word_senses(lang: str) -> dict[str, tuple[str, ...]]:
    """A language's common word forms, and its computing words, with the senses a reader most often needs, first
    first ({} without a list)."""
    return {**read_list("computing_words", lang), **read_list("common_words", lang)}


@functools.cache
def read_list(folder: str, lang: str) -> dict[str, tuple[str, ...]]:
    """One list of a language as written: word -> its senses, first first ({} without the file)."""
    path = list_path(folder, lang)
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8", newline="") as handle:
        return {row["word"].casefold(): tuple(s.strip() for s in row["senses"].split(" | ") if s.strip())
                for row in csv.DictReader(handle, delimiter="\t")}


def list_path(folder: str, lang: str) -> Path:
    """Where a language's list of a kind is kept (for tests and tools that check it)."""
    return _HERE / folder / f"{lang}.tsv"
