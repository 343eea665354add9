"""`python -m eval.common_words`: the forms a linguist judges for index/glosses/common_words/<lang>.tsv.

The candidates are wordfreq's commonest written forms of each passage language (not words of any corpus or gold
list here), less function words, each with the gloss the dictionary routes give it today and their other senses.
A linguist of the language reads every row and writes a line (`word`, `senses` best first, " | " between) for each
form whose first gloss is not the sense a reader most often needs, or that has none; rows judged right are left
out. Run it with the common-word lists emptied to see the dictionary routes alone.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wordfreq import top_n_list

from index.concepts import load_catalogue
from index.config import Config
from index.glosses import lexicons, lookup_word
from index.glosses.stopwords import is_stopword
from index.glosses.wordlists import COMMONEST, WORDFREQ_LANGS, function_word_senses

LANGS = ("sv", "no", "da", "nl")
SHOWN_SENSES = 5


def commonest_forms(lang: str, top: int) -> list[tuple[int, str]]:
    """(frequency rank, form) of the language's commonest written forms that are words, less function words."""
    function = function_word_senses(lang)
    return [(rank, form) for rank, form in enumerate(top_n_list(WORDFREQ_LANGS.get(lang, lang), top), 1)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.common_words", description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=COMMONEST, help="how many of wordfreq's commonest forms to read")
    parser.add_argument("--out", type=Path, required=True, help="folder for one candidates-<lang>.tsv per language")
    parser.add_argument("--lang", choices=LANGS, action="append", help="only these languages")
    args = parser.parse_args(argv)
    config = Config.from_env()
    args.out.mkdir(parents=True, exist_ok=True)
    for lang in args.lang or LANGS:
        rows = candidates(lang, args.top, config)
        with open(args.out / f"candidates-{lang}.tsv", "w", encoding="utf-8") as handle:
            handle.write("rank\tform\tfirst\tothers\n")
            handle.writelines(f"{rank}\t{form}\t{first}\t{others}\n" for rank, form, first, others in rows)
        print(f"{lang}: {len(rows)} candidate forms", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
