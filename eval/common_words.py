"""`python -m eval.common_words`: the forms a linguist judges for index/glosses/common_words/<lang>.tsv.

The candidates are wordfreq's commonest written forms of each passage language (not words of any corpus or gold
list here), less function words, each with the gloss the dictionary routes give it today and their other senses.
A linguist of the language reads every row and writes a line (`word`, `senses` best first, " | " between) for each
form whose first gloss is not the sense a reader most often needs, or that has none; rows judged right are left
out. Run it with the common-word lists emptied to see the dictionary routes alone.

`--computing FILE --lang L` filters a terminologist's list of computing words (same columns) for
index/glosses/computing_words/L.tsv: a form among the candidates keeps the sense general prose needs, and a form
whose gloss today is already one of the listed senses needs no line. Run it with index/glosses/computing_words/
removed (every language's: a sister language's list reaches a word too), so that "today" means the other routes.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wordfreq import top_n_list

from eval.gloss_gold import normal_sense
from index.concepts import load_catalogue
from index.config import Config
from index.glosses import lexicons, lookup_word
from index.glosses.stopwords import is_stopword
from index.glosses.wordlists import function_word_senses

LANGS = {"sv": "sv", "no": "nb", "da": "da", "nl": "nl"}  # the project's codes -> wordfreq's
SHOWN_SENSES = 5


def commonest_forms(lang: str, top: int) -> list[tuple[int, str]]:
    """(frequency rank, form) of the language's commonest written forms that are words, less function words."""
    function = function_word_senses(lang)
    return [(rank, form) for rank, form in enumerate(top_n_list(LANGS[lang], top), 1)
            if form.isalpha() and len(form) >= 2 and form not in function and not is_stopword(form, lang)]


def candidates(lang: str, top: int, config: Config) -> list[tuple[int, str, str, str]]:
    """(frequency rank, form, today's first gloss or "(none)", its other senses) for the language's commonest forms."""
    catalogue, lex = load_catalogue(), lexicons(config.dict_dir, config.cache_dir)
    rows = []
    for rank, form in commonest_forms(lang, top):
        found = [g for g in lookup_word(form, lang, "en", catalogue, lex) if not g.source.startswith("concept:")]
        first = found[0].gloss if found else "(none)"
        rows.append((rank, form, first, " | ".join(found[0].senses[:SHOWN_SENSES]) if found else ""))
    return rows


def computing_lines(path: Path, lang: str, top: int, config: Config) -> list[str]:
    """The lines of a computing-word list that the list of common words and the dictionary routes leave to it."""
    judged = {form for _, form in commonest_forms(lang, top)}
    catalogue, lex = load_catalogue(), lexicons(config.dict_dir, config.cache_dir)
    kept = []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        form, _, listed = line.partition("\t")
        senses = {normal_sense(s) for s in listed.split(" | ")}
        if form in judged or form in function_word_senses(lang) or is_stopword(form, lang):
            continue
        found = [g for g in lookup_word(form, lang, "en", catalogue, lex) if not g.source.startswith("concept:")]
        if not found or normal_sense(found[0].gloss.split(", ")[0]) not in senses:
            kept.append(line)
    return kept


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.common_words", description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=30_000, help="how many of wordfreq's commonest forms to read")
    parser.add_argument("--out", type=Path, help="folder for one candidates-<lang>.tsv per language")
    parser.add_argument("--lang", choices=sorted(LANGS), action="append", help="only these languages")
    parser.add_argument("--computing", type=Path, help="filter this computing-word list (one --lang) to stdout")
    args = parser.parse_args(argv)
    config = Config.from_env()
    if args.computing is not None:
        if not args.lang or len(args.lang) != 1:
            parser.error("--computing needs exactly one --lang")
        print("word\tsenses", *computing_lines(args.computing, args.lang[0], args.top, config), sep="\n")
        return 0
    if args.out is None:
        parser.error("--out is required")
    args.out.mkdir(parents=True, exist_ok=True)
    for lang in args.lang or sorted(LANGS):
        rows = candidates(lang, args.top, config)
        with open(args.out / f"candidates-{lang}.tsv", "w", encoding="utf-8") as handle:
            handle.write("rank\tform\tfirst\tothers\n")
            handle.writelines(f"{rank}\t{form}\t{first}\t{others}\n" for rank, form, first, others in rows)
        print(f"{lang}: {len(rows)} candidate forms", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
