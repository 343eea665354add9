"""Gold lists of word senses for dictionary glosses, and their scoring (`python -m eval.glosses --gold`).

A gold list (eval/gloss-gold/<lang>.tsv) holds content words drawn by `python -m eval.gloss_gold --sample <lang>`:
a seeded random sample of the content words of several corpora of the repository, stratified by frequency (equal
shares of each corpus's frequent, middling and rare words), each with a sentence it occurs in, the English senses a
linguist accepts for it there ("|"-separated, written by hand before looking at the glosser's output), and its half
(dev: tune on; test: report only), drawn by a fixed seed.

Matching rule: a gloss is right when one of its comma-separated translations, casefolded, without a leading "to "
and surrounding punctuation, equals one of the accepted senses treated the same way. First-sense accuracy scores the
gloss shown first (the `gloss` field); coverage is the share of gold words with any gloss.
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

from index.glosses import content_words

GOLD_DIR = Path(__file__).parent / "gloss-gold"
SEED = 20
# Corpora per passage language: (name, folder, file-name pattern or seeds' metadata).
_ROOT = Path(__file__).parent.parent
CORPORA = {"seeds": _ROOT / "seeds", "install": Path(__file__).parent / "corpus-install" / "docs",
           "handbook": Path(__file__).parent / "corpus-handbook" / "docs"}
BANDS = ("frequent", "middling", "rare")
FIELDS = ("word", "lang", "corpus", "band", "half", "senses", "context")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def corpus_texts(corpus: str, lang: str) -> list[tuple[str, str]]:
    """(file name, text) of the corpus's documents in `lang`."""
    folder = CORPORA[corpus]
    if corpus == "seeds":
        meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
        names = sorted(n for n, m in meta.items() if m.get("lang") == lang)
    else:
        names = sorted(p.name for p in folder.glob(f"*.{lang}.txt"))
    return [(n, (folder / n).read_text(encoding="utf-8")) for n in names]


def sample(lang: str, per_language: int = 108, seed: int = SEED) -> list[dict]:
    """Gold rows without senses: per corpus holding `lang`, equal shares of frequent, middling and rare words."""
    corpora = [c for c in CORPORA if corpus_texts(c, lang)]
    rng = random.Random(f"{seed}-{lang}")
    taken: set[str] = set()
    rows = []
    for corpus in corpora:
        counts: Counter = Counter()
        lowercase: set[str] = set()
        sentences: dict[str, list[str]] = {}
        for _, text in corpus_texts(corpus, lang):
            for sentence in _SENTENCE.split(text):
                for match in content_words(sentence, lang):
                    word = match.group()
                    key = word.casefold()
                    counts[key] += 1
                    if word == key:
                        lowercase.add(key)
                    sentences.setdefault(key, []).append(" ".join(sentence.split()))
        # Content words only: names (never written in lower case) and very short tokens are not glossed.
        ranked = sorted((w for w in counts if w in lowercase and len(w) >= 3), key=lambda w: (-counts[w], w))
        share = per_language // len(corpora) // len(BANDS)
        for band, chunk in zip(BANDS, _thirds(ranked)):
            pool = [w for w in chunk if w not in taken]
            for word in rng.sample(pool, min(share, len(pool))):
                taken.add(word)
                context = min(rng.sample(sentences[word], min(3, len(sentences[word]))), key=len)[:300]
                rows.append({"word": word, "lang": lang, "corpus": corpus, "band": band, "half": "",
                             "senses": "", "context": context})
    order = list(range(len(rows)))
    rng.shuffle(order)
    for position, index in enumerate(order):
        rows[index]["half"] = "dev" if position % 2 == 0 else "test"
    return rows


def _thirds(items: list[str]) -> list[list[str]]:
    n = len(items)
    return [items[: n // 3], items[n // 3: 2 * n // 3], items[2 * n // 3:]]


def read_gold(lang: str, folder: Path = GOLD_DIR) -> list[dict]:
    """The gold rows of a language."""
    with open(folder / f"{lang}.tsv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def write_gold(rows: list[dict], out) -> None:
    """Gold rows as TSV."""
    writer = csv.DictWriter(out, FIELDS, delimiter="\t", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.gloss_gold", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", metavar="LANG", required=True, help="print a new sample (senses to fill in)")
    args = parser.parse_args(argv)
    write_gold(sample(args.sample), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
