"""Cross-language retrieval per query language and per query-language -> document-language pair, by mode.

`python -m eval.bridge --index-dir DIR --queries FILE [--split even|odd]`: dense, lexical, hybrid without the
lexical bridge and hybrid (and variants of the lexical floor and weight), ranked as `KnowledgeBase.search` ranks (same language
detection, encoding, bridge and score floors; each query encoded once for all variants). Per query: MRR of the ungrouped
passages (the first passage containing an answer phrase where the query lists some, else the first passage of a
relevant document), and over `group=true` results MRR@10, recall@10 and,
per relevant document's language, the reciprocal rank of that language's version (the pair table).
`--lang L` filters the grouped results to passages in L: each query language's pair with L alone, without the
crowding of other languages. `--split` keeps the even or odd sections of a translated corpus (qid `t012.de` is section 12), so one half can be
tuned on and the other judged.
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from index.config import Config
from index.embedders.base import fit_query
from index.queryplan import plan_query
from index.ranking import RankingConfig, rank
from index.service import MAX_K, KnowledgeBase

from .harness import _norm, read_jsonl

VARIANTS = {
    "dense": ("dense", {}), "lexical": ("lexical", {}), "lexical, no bridge": ("lexical", {"bridge": False}),
    "hybrid, no bridge": ("hybrid", {"bridge": False}),
    "hybrid": ("hybrid", {}), "hybrid, floor 0.1": ("hybrid", {"lexical_floor": 0.1}),
    "hybrid, floor 0.1 weight 0.5": ("hybrid", {"lexical_floor": 0.1, "lexical_weight": 0.5}),
}
DEFAULT_VARIANTS = ("dense", "lexical", "lexical, no bridge", "hybrid, no bridge", "hybrid")
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


class _Searcher:
    """Ranking as `KnowledgeBase.search` does it (same detection, encoding, bridge and score floors), without the
    concept cards and result texts, each query encoded and its language detected once for all variants."""

    def __init__(self, index_dir: Path) -> None:
        self.kb = KnowledgeBase(Config.from_env().replace(index_dir=index_dir))
        state = self.kb._state
        self.sources = {d.doc_id: d.source for d in state.snapshot.documents()}
        self._seen: dict[str, tuple] = {}

    def search(self, query: str, k: int, mode: str, config: RankingConfig, group: bool = False,
               lang: str | None = None) -> tuple[list[str], list[int]]:
        """Sources of the ranked passages' documents, best first, above the floors."""
        if query not in self._seen:
            self._seen[query] = (self.kb._encode(fit_query(self.kb.embedder, query)), self.kb.query_language(query).lang)
        vector, query_lang = self._seen[query]
        state = self.kb._state
        ranked = rank(state.snapshot, query, vector, query_lang, mode, k, lang, group, config,
                      shown_floor=self.kb.shown_floor(mode), bridge=state.bridge)
        shown = [c for c, s in ranked.passages if s >= ranked.floor]
        passages = state.snapshot.passages(shown)
        return [self.sources[passages[c].doc_id] for c in shown], shown


def score(searcher: _Searcher, q: dict, mode: str, config: RankingConfig, k: int, lang: str | None = None) -> dict:
    """Ungrouped MRR, grouped MRR@k and recall@k, and per relevant document language its reciprocal rank."""
    extra = min(MAX_K, k + 5 * len(q.get("exclude", [])))
    keep = lambda found: [s for s in found if not any(d in s for d in q.get("exclude", []))][:k]  # noqa: E731
    flat, chunk_ids = searcher.search(q["query"], extra, mode, config)
    phrases = [_norm(p) for p in q.get("phrases", [])]
    if phrases:  # with answer phrases (the seeds): the first passage that contains one
        texts = searcher.kb._state.snapshot.chunks_by_id(chunk_ids)
        first = next((i for i, c in enumerate(chunk_ids) if any(p in _norm(texts[c].text) for p in phrases)), None)
    else:  # else the first passage of a relevant document
        first = next((i for i, s in enumerate(keep(flat)) if any(d in s for d in q["docs"])), None)
    grouped = keep(searcher.search(q["query"], extra, mode, config, group=True, lang=lang)[0])
    found = [i for i, s in enumerate(grouped) if any(d in s for d in q["docs"])]
    pairs = {}
    for doc in q["docs"]:
        doc_lang = _LANG_OF_DOC.search(doc)
        at = next((i for i, s in enumerate(grouped) if doc in s), None)
        pairs[doc_lang.group(1) if doc_lang else "?"] = 0.0 if at is None else 1.0 / (at + 1)
    return {"mrr": 0.0 if first is None else 1.0 / (first + 1), "mrr@k": 1.0 / (found[0] + 1) if found else 0.0,
            "recall@k": sum(any(d in s for s in grouped) for d in q["docs"]) / len(q["docs"]), "pairs": pairs}


def run(index_dir: Path, records: list[dict], k: int, variants: Sequence[str] = DEFAULT_VARIANTS,
        lang: str | None = None) -> dict:
    """Per variant: per query language the three means, and per language pair the mean reciprocal rank."""
    report = {}
    searcher = _Searcher(index_dir)
    for label in variants:
        mode, changes = VARIANTS[label]
        config = replace(RankingConfig(), **changes)
        by_lang, by_pair = defaultdict(list), defaultdict(list)
        for q in records:
            row = score(searcher, q, mode, config, k, lang)
            by_lang[q["lang"]].append(row)
            by_lang["all"].append(row)
            for doc_lang, rr in row["pairs"].items():
                by_pair[(q["lang"], doc_lang)].append(rr)
        report[label] = {
            "langs": {lang: {m: statistics.fmean(r[m] for r in rows) for m in ("mrr", "mrr@k", "recall@k")} | {"n": len(rows)}
                      for lang, rows in sorted(by_lang.items())},
            "pairs": {f"{a}>{b}": statistics.fmean(v) for (a, b), v in sorted(by_pair.items())}}
        print(f"({label} done)", file=sys.stderr, flush=True)
    return report


def show(report: dict) -> None:
    """Per query language tables (MRR / grouped MRR@k / recall@k) and the pair table, one column per variant."""
    labels = list(report)
    print(f"{'lang':<6} {'n':>4} " + " ".join(f"{label[:26]:>26}" for label in labels))
    for lang, row in report[labels[0]]["langs"].items():
        cells = " ".join("{:>8.3f} {:>8.3f} {:>8.3f}".format(*(report[v]["langs"][lang][m] for m in ("mrr", "mrr@k", "recall@k")))
                         for v in labels)
        print(f"{lang:<6} {row['n']:>4} {cells}")
    print(f"\npair (query>document language), reciprocal rank of that language's version, group=true\n{'pair':<8} "
          + " ".join(f"{label[:12]:>12}" for label in labels))
    for pair in report[labels[0]]["pairs"]:
        print(f"{pair:<8} " + " ".join(f"{report[v]['pairs'][pair]:>12.3f}" for v in labels))


def plan_cost(index_dir: Path, records: list[dict]) -> None:
    """Per query, the time to build its lexical plan without and with the bridge (tables loaded first)."""
    kb = KnowledgeBase(Config.from_env().replace(index_dir=index_dir))
    state = kb._state
    langs = state.snapshot.chunk_languages()
    state.bridge.load(langs)
    for label, bridge in (("plan without bridge", None), ("plan with bridge", state.bridge)):
        times, cpu = [], []
        for q in records:
            started, started_cpu = time.perf_counter(), time.process_time()
            plan_query(q["query"], q["lang"].replace("nb", "no"), langs, bridge)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        times.sort()
        cpu.sort()
        print(f"{label}: {len(times)} queries, wall p50 {statistics.median(times):.2f} ms, p90 {times[int(0.9 * len(times))]:.2f}"
              f" ms; CPU p50 {statistics.median(cpu):.2f} ms, p90 {cpu[int(0.9 * len(cpu))]:.2f} ms")


def main(argv: list[str] | None = None) -> int:
    """Parse options and print the tables."""
    parser = argparse.ArgumentParser(prog="python -m eval.bridge", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--queries", type=Path, nargs="+", required=True)
    parser.add_argument("--split", choices=("all", "even", "odd"), default="all")
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--lang", default=None, help="grouped results in this passage language only (one pair)")
    parser.add_argument("--cost", action="store_true", help="only time building the queries' lexical plans")
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(DEFAULT_VARIANTS))
    args = parser.parse_args(argv)
    records = select([r for path in args.queries for r in read_jsonl(path)], args.split)
    if args.cost:
        plan_cost(args.index_dir, records)
        return 0
    print(f"{len(records)} queries ({args.split}) from {', '.join(map(str, args.queries))}, index {args.index_dir}")
    print("per variant: MRR (ungrouped passages), MRR@k and recall@k (group=true)")
    records = [r for r in records if r["lang"] != args.lang]
    show(run(args.index_dir, records, args.k, args.variants, args.lang))
    return 0


if __name__ == "__main__":
    sys.exit(main())
