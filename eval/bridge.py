"""Cross-language retrieval per query language and per query-language -> document-language pair, by mode.

`python -m eval.bridge --index-dir DIR --queries FILE [--split even|odd]`: dense, lexical, hybrid without the
lexical bridge and hybrid, through `KnowledgeBase.search` as the API calls it. Per query: MRR of the ungrouped
passages (the first passage containing an answer phrase where the query lists some, else the first passage of a
relevant document), and over `group=true` results MRR@10, recall@10 and,
per relevant document's language, the reciprocal rank of that language's version (the pair table).
`--split` keeps the even or odd sections of a translated corpus (qid `t012.de` is section 12), so one half can be
tuned on and the other judged.
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from index.config import Config
from index.ranking import RankingConfig
from index.service import MAX_K, KnowledgeBase

from .harness import _doc_key, _norm, _relevant, _without_excluded, read_jsonl

VARIANTS = {
    "dense": ("dense", {}), "lexical": ("lexical", {}), "hybrid, no bridge": ("hybrid", {"bridge": False}),
    "hybrid": ("hybrid", {}), "dense, calibrated": ("dense", {"language_calibration": 1.0}),
    "hybrid, calibrated 0.5": ("hybrid", {"language_calibration": 0.5}),
    "hybrid, calibrated": ("hybrid", {"language_calibration": 1.0}),
}
DEFAULT_VARIANTS = ("dense", "lexical", "hybrid, no bridge", "hybrid")


class _Memo(KnowledgeBase):
    """The knowledge base with each query encoded once over all variants (the variants never change the vector)."""

    def _encode(self, query):
        memo = self.__dict__.setdefault("_vectors", {})
        if query.text not in memo:
            memo[query.text] = super()._encode(query)
        return memo[query.text]
_LANG_OF_DOC = re.compile(r"\.([a-z]{2})\.txt\b")


def _section(qid: str) -> int | None:
    found = re.search(r"(\d+)", qid)
    return int(found.group(1)) if found else None


def select(records: list[dict], split: str) -> list[dict]:
    """The queries of one half (sections of even or odd number), or all."""
    if split == "all":
        return records
    parity = 0 if split == "even" else 1
    return [r for r in records if (_section(r.get("qid", "")) or 0) % 2 == parity]


def score(kb: KnowledgeBase, q: dict, mode: str, k: int) -> dict:
    """Ungrouped doc MRR, grouped MRR@k and recall@k, and per relevant document language its reciprocal rank."""
    extra = min(MAX_K, k + 5 * len(q.get("exclude", [])))
    flat = _without_excluded(kb.search(q["query"], k=extra, mode=mode).to_dict()["results"], q, k)
    phrases = [_norm(p) for p in q.get("phrases", [])]
    # With answer phrases (the seeds), the first passage that contains one; else the first of a relevant document.
    first = next((i for i, r in enumerate(flat)
                  if (any(p in _norm(r["text"]) for p in phrases) if phrases else _relevant(r, q["docs"]))), None)
    grouped = _without_excluded(kb.search(q["query"], k=extra, mode=mode, group=True).to_dict()["results"], q, k)
    found = [i for i, r in enumerate(grouped) if _relevant(r, q["docs"])]
    pairs = {}
    for doc in q["docs"]:
        lang = _LANG_OF_DOC.search(doc)
        at = next((i for i, r in enumerate(grouped) if doc in _doc_key(r)), None)
        pairs[lang.group(1) if lang else "?"] = 0.0 if at is None else 1.0 / (at + 1)
    return {"mrr": 0.0 if first is None else 1.0 / (first + 1), "mrr@k": 1.0 / (found[0] + 1) if found else 0.0,
            "recall@k": sum(any(d in _doc_key(r) for r in grouped) for d in q["docs"]) / len(q["docs"]), "pairs": pairs}


def run(index_dir: Path, records: list[dict], k: int, variants: Sequence[str] = DEFAULT_VARIANTS) -> dict:
    """Per variant: per query language the three means, and per language pair the mean reciprocal rank."""
    report = {}
    kb = _Memo(Config.from_env().replace(index_dir=index_dir))
    kb.search("warm-up", k=1)
    for label in variants:
        mode, changes = VARIANTS[label]
        kb.ranking = replace(RankingConfig(), **changes)
        by_lang, by_pair = defaultdict(list), defaultdict(list)
        for q in records:
            row = score(kb, q, mode, k)
            by_lang[q["lang"]].append(row)
            by_lang["all"].append(row)
            for lang, rr in row["pairs"].items():
                by_pair[(q["lang"], lang)].append(rr)
        report[label] = {
            "langs": {lang: {m: statistics.fmean(r[m] for r in rows) for m in ("mrr", "mrr@k", "recall@k")} | {"n": len(rows)}
                      for lang, rows in sorted(by_lang.items())},
            "pairs": {f"{a}>{b}": statistics.fmean(v) for (a, b), v in sorted(by_pair.items())}}
    return report


def show(report: dict) -> None:
    """Per query language tables (doc MRR / grouped MRR@k / recall@k) and the pair table, one column per variant."""
    labels = list(report)
    print(f"{'lang':<6} {'n':>4} " + " ".join(f"{label:>26}" for label in labels))
    for lang, row in report[labels[0]]["langs"].items():
        cells = " ".join("{:>8.3f} {:>8.3f} {:>8.3f}".format(*(report[v]["langs"][lang][m] for m in ("mrr", "mrr@k", "recall@k")))
                         for v in labels)
        print(f"{lang:<6} {row['n']:>4} {cells}")
    print(f"\npair (query>document language), reciprocal rank of that language's version, group=true\n{'pair':<8} "
          + " ".join(f"{label[:12]:>12}" for label in labels))
    for pair in report[labels[0]]["pairs"]:
        print(f"{pair:<8} " + " ".join(f"{report[v]['pairs'][pair]:>12.3f}" for v in labels))


def main(argv: list[str] | None = None) -> int:
    """Parse options and print the tables."""
    parser = argparse.ArgumentParser(prog="python -m eval.bridge", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--queries", type=Path, nargs="+", required=True)
    parser.add_argument("--split", choices=("all", "even", "odd"), default="all")
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(DEFAULT_VARIANTS))
    args = parser.parse_args(argv)
    records = select([r for path in args.queries for r in read_jsonl(path)], args.split)
    print(f"{len(records)} queries ({args.split}) from {', '.join(map(str, args.queries))}, index {args.index_dir}")
    print("per variant: MRR (ungrouped passages), MRR@k and recall@k (group=true)")
    show(run(args.index_dir, records, args.k, args.variants))
    return 0


if __name__ == "__main__":
    sys.exit(main())
