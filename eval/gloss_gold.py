"""Gold lists of word senses for dictionary glosses, and their scoring (`python -m eval.glosses --gold`).

A gold list (eval/gloss-gold/<lang>.tsv) holds content words drawn by `python -m eval.gloss_gold --sample <lang>`:
a seeded random sample of the content words of several corpora of the repository, stratified by frequency (equal
shares of each corpus's frequent, middling and rare words), each with a sentence it occurs in, the English senses a
linguist accepts for it there ("|"-separated, written by hand before looking at the glosser's output), and its half
(dev: tune on; test: report only), drawn by a fixed seed.

A second list (eval/gloss-gold-fresh, `--sample <lang> --seed 21`, none of the first list's words) was written the
same way after the first had been tuned on, and is never tuned on: score it with `--folder eval/gloss-gold-fresh`.
A third (eval/gloss-gold-third: `sample(lang, seed=33, exclude=<both lists' words>)`) was written once both had been read.
A fourth (eval/gloss-gold-fourth: seed 47, none of the three lists' words) was written by hand before it was first scored.
A fifth (eval/gloss-gold-fifth) is drawn from another corpus, LibreOffice's help, shipped beside it with how it was
drawn (its README): its test half is the one measure of glosses on text none of this code was tuned on.

Each word is glossed in its sentence and alone as a server holding its corpus glosses it: in software text's register
where that corpus's passages in its language read as software text (`software_languages`; install and handbook
do, the seeds do not).

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

from index.concepts import load_catalogue
from ingest.chunking import chunk_text
from index.config import Config
from index.glosses import Gloss, content_words, gloss_text, lexicons, lookup_word, software_languages

GOLD_DIR = Path(__file__).parent / "gloss-gold"
SEED = 20
# Corpora per passage language: (name, folder, file-name pattern or seeds' metadata).
_ROOT = Path(__file__).parent.parent
CORPORA = {"seeds": _ROOT / "seeds", "install": Path(__file__).parent / "corpus-install" / "docs",
           "handbook": Path(__file__).parent / "corpus-handbook" / "docs"}
BANDS = ("frequent", "middling", "rare")
LANGS = ("sv", "no", "nl", "da")
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


def sample(lang: str, per_language: int = 108, seed: int = SEED, exclude: set[str] = frozenset()) -> list[dict]:
    """Gold rows without senses: per corpus holding `lang`, equal shares of frequent, middling and rare words
    (none of `exclude`: a second list draws words the first does not hold)."""
    corpora = [c for c in CORPORA if corpus_texts(c, lang)]
    rng = random.Random(f"{seed}-{lang}")
    taken: set[str] = set(exclude)
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
                context = _around(min(rng.sample(sentences[word], min(3, len(sentences[word]))), key=len), word)
                rows.append({"word": word, "lang": lang, "corpus": corpus, "band": band, "half": "",
                             "senses": "", "context": context})
    order = list(range(len(rows)))
    rng.shuffle(order)
    for position, index in enumerate(order):
        rows[index]["half"] = "dev" if position % 2 == 0 else "test"
    return rows


def _around(sentence: str, word: str, width: int = 300) -> str:
    """At most `width` characters of a sentence, the word among them (a long sentence is cut around it)."""
    at = max(0, _position(sentence, word))
    start = max(0, min(at - width // 2, len(sentence) - width))
    return sentence[start:start + width]


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


def normal_sense(text: str) -> str:
    """A sense as the matching rule compares it: casefolded, spaced once, without a leading to, a, an or the."""
    text = " ".join(text.casefold().replace(" + ", " ").split()).strip(" .,;:!?\"'()")
    for article in ("to ", "a ", "an ", "the "):
        text = text.removeprefix(article)
    return text


def matches(gloss: str, senses: set[str]) -> bool:
    """Whether one of the gloss's comma-separated translations is an accepted sense (see the matching rule)."""
    return any(normal_sense(part) in senses for part in gloss.split(", "))


def score(rows: list[dict], glossed) -> dict:
    """First-sense accuracy and coverage of gold rows; `glossed(row)` is the Gloss shown, or None.

    Also the share whose right sense is among any the dictionary gives (`any_sense`): the most a better choice
    between listed senses could reach. Rows whose senses are "-" (a name, command or file name the sample drew:
    nothing to gloss) are left out.
    """
    scored = [r for r in rows if r["senses"].strip() != "-"]
    right, listed, covered, misses = 0, 0, 0, []
    for row in scored:
        found = glossed(row)
        gold = {normal_sense(s) for s in row["senses"].split("|")}
        ok = found is not None and matches(found.gloss, gold)
        covered += found is not None
        right += ok
        listed += found is not None and any(matches(sense, gold) for sense in (found.gloss, *found.senses))
        if not ok:
            misses.append(f"{row['word']} -> {found.gloss if found else None!r} (gold: {row['senses']})")
    n = max(1, len(scored))
    return {"words": len(scored), "first_sense_accuracy": round(right / n, 3), "coverage": round(covered / n, 3),
            "any_sense": round(listed / n, 3), "misses": misses}


def evaluate(config: Config, langs: tuple[str, ...] = LANGS, folder: Path = GOLD_DIR) -> dict:
    """Per language and half: the word glossed in its sentence, and alone as `GET /api/glossary` looks it up."""
    catalogue, lex = load_catalogue(), lexicons(config.dict_dir, config.cache_dir)
    # Whether each corpus reads as software text in a language, as a server holding it judges from its passages
    # (chunked as ingest chunks, tokens counted roughly): the register its words are glossed in, alone too.
    rows = {lang: read_gold(lang, folder) for lang in langs}
    software = {(corpus, lang): lang in software_languages(
        ((lang, span.text) for text in _texts(corpus, lang, folder) for span in chunk_text(text, _tokens)), lex)
        for lang in langs for corpus in {r["corpus"] for r in rows[lang]}}

    def in_context(row: dict) -> Gloss | None:
        start = _position(row["context"], row["word"])
        spans = gloss_text(row["context"], row["lang"], "en", catalogue, lex,
                           software=software[(row["corpus"], row["lang"])])
        return next((g for g in spans if g.start <= start < g.end), None)

    def alone(row: dict) -> Gloss | None:
        found = lookup_word(row["word"], row["lang"], "en", catalogue, lex,
                            software=software[(row["corpus"], row["lang"])])
        return found[0] if found else None

    report = {}
    for lang in langs:
        report[lang] = {f"{half}_{how}": score([r for r in rows[lang] if r["half"] == half], first)
                        for half in ("dev", "test") for how, first in (("context", in_context), ("glossary", alone))}
    return report


def _texts(corpus: str, lang: str, folder: Path) -> list[str]:
    """The texts of a gold list's corpus in `lang`: a corpus of the repository, or one shipped beside the list
    (`<folder>/corpus/<lang>/*.txt`, a list drawn from another corpus)."""
    if corpus in CORPORA:
        return [text for _, text in corpus_texts(corpus, lang)]
    return [path.read_text(encoding="utf-8") for path in sorted((folder / "corpus" / lang).glob("*.txt"))]


def _tokens(text: str) -> int:
    """About as many tokens as the embedder counts in a text (a word and a half a word, and the two it adds)."""
    return 2 + 3 * len(text.split()) // 2


def _position(sentence: str, word: str) -> int:
    match = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", sentence, re.IGNORECASE)
    return match.start() if match else -1


def print_report(report: dict, misses: bool = False, listed: tuple[str, ...] = ("dev", "test")) -> None:
    """A table of the evaluation, one line per language and listed half."""
    print("gold gloss lists: first-sense accuracy / coverage, in context and alone (/api/glossary);"
          " any: right sense among all listed (alone)")
    for lang, halves in report.items():
        for half in listed:
            c, g = halves[f"{half}_context"], halves[f"{half}_glossary"]
            print(f"  {lang} {half:4} {c['words']:3} words: context {c['first_sense_accuracy']:.3f} / {c['coverage']:.3f}"
                  f"   glossary {g['first_sense_accuracy']:.3f} / {g['coverage']:.3f}   any {g['any_sense']:.3f}")
            if misses:
                for miss in c["misses"]:
                    print(f"      {miss}")
                for miss in sorted(set(g["misses"]) - set(c["misses"])):  # wrong alone only: the context helped
                    print(f"      alone: {miss}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.gloss_gold", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", metavar="LANG", help="print a new sample (senses to fill in) instead of scoring")
    parser.add_argument("--misses", action="store_true", help="list the words glossed wrongly in context (and alone, where it differs)")
    parser.add_argument("--half", choices=("dev", "test"), help="this half only (tune on dev, report test)")
    parser.add_argument("--seed", type=int, default=SEED,
                        help="with --sample: the draw's seed; a seed other than the lists' own leaves out their words")
    parser.add_argument("--folder", type=Path, default=GOLD_DIR, help="the gold lists to score (default: %(default)s)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.sample:
        exclude = set() if args.seed == SEED else {row["word"] for row in read_gold(args.sample, args.folder)}
        write_gold(sample(args.sample, seed=args.seed, exclude=exclude), sys.stdout)
        return 0
    report = evaluate(Config.from_env(), folder=args.folder)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print_report(report, args.misses, (args.half,) if args.half else ("dev", "test"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
