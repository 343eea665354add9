"""`make eval`: retrieval and concept-lookup quality through the same calls the HTTP API makes.

Environment: EVAL_QUERIES (default eval/dev-queries.jsonl), EVAL_CONCEPTS (default
eval/dev-concepts.jsonl, "" to skip), EVAL_SHORT (labelled short queries for language detection,
default eval/short-queries.jsonl, "" to skip), EVAL_CORPUS (a folder to ingest into a temporary index
instead of using KB_INDEX_DIR), EVAL_K (results per query, default 10).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from index import settings
from index.ranking import MODES, RankingConfig
from index.service import KnowledgeBase

HERE = Path(__file__).resolve().parent


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").lower()


def _doc_key(result: dict) -> str:
    return " ".join(str(result.get(f, "")) for f in ("source", "doc_id", "title"))


def read_jsonl(path: Path) -> list[dict]:
    """Records of a JSON-lines file, blank lines skipped."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def score_queries(kb: KnowledgeBase, queries: list[dict], mode: str, k: int) -> dict:
    """hit@1, hit@3 (an expected phrase in a top result), doc MRR and latency percentiles for one mode."""
    hit1, hit3, rr, latency = [], [], [], []
    for q in queries:
        started = time.perf_counter()
        results = kb.search(q["query"], k=k, mode=mode).to_dict()["results"]
        latency.append((time.perf_counter() - started) * 1000)
        phrases = [_norm(p) for p in q["phrases"]]
        hits = [any(p in _norm(r["text"]) for p in phrases) for r in results]
        hit1.append(float(bool(hits[:1] and hits[0])))
        hit3.append(float(any(hits[:3])))
        ranks = [i for i, r in enumerate(results) if any(d in _doc_key(r) for d in q["docs"])]
        rr.append(1.0 / (ranks[0] + 1) if ranks else 0.0)
    mean = statistics.fmean
    return {"hit@1": mean(hit1), "hit@3": mean(hit3), "doc_mrr": mean(rr),
            "p50_ms": statistics.median(latency), "n": len(queries)}


def score_concepts(kb: KnowledgeBase, lookups: list[dict]) -> dict:
    """accuracy@1 and @3 of concept look-ups."""
    at1, at3 = [], []
    for item in lookups:
        ids = [m["id"] for m in kb.lookup(item["q"], k=5)]
        at1.append(float(ids[:1] == [item["expect"]]))
        at3.append(float(item["expect"] in ids[:3]))
    return {"accuracy@1": statistics.fmean(at1), "accuracy@3": statistics.fmean(at3), "n": len(lookups)}


def score_languages(kb: KnowledgeBase, records: list[dict]) -> dict:
    """Short-query language detection as search does it: right (query_lang equals the label; `und`
    counts as wrong), best guess right, uncertain, per language, and the detection's p50."""
    kb.query_language("warm up")
    per_lang: dict[str, dict] = {}
    latency = []
    for r in records:
        started = time.perf_counter()
        found = kb.query_language(r["query"])
        latency.append((time.perf_counter() - started) * 1000)
        row = per_lang.setdefault(r["lang"], {"n": 0, "right": 0, "guess_right": 0, "uncertain": 0})
        row["n"] += 1
        row["right"] += found.lang == r["lang"]
        row["guess_right"] += found.guess == r["lang"]
        row["uncertain"] += found.lang == "und"
    total = {key: sum(row[key] for row in per_lang.values()) for key in ("n", "right", "guess_right", "uncertain")}
    return {"accuracy": total["right"] / total["n"], "guess_accuracy": total["guess_right"] / total["n"],
            "uncertain": total["uncertain"], "n": total["n"], "p50_ms": statistics.median(latency),
            "per_language": per_lang}


def _print_languages(result: dict, path: Path) -> None:
    print(f"\nshort-query language ({result['n']} queries from {path}): query_lang right {result['accuracy']:.3f}"
          f" (und counts as wrong), best guess right {result['guess_accuracy']:.3f}, uncertain {result['uncertain']},"
          f" p50 {result['p50_ms']:.2f} ms")
    print(f"{'lang':<6} {'n':>3} {'right':>6} {'guess':>6} {'und':>4}")
    for lang, row in sorted(result["per_language"].items()):
        print(f"{lang:<6} {row['n']:>3} {row['right'] / row['n']:>6.2f} {row['guess_right'] / row['n']:>6.2f} {row['uncertain']:>4}")


def _variants(base: RankingConfig) -> list[tuple[str, str, RankingConfig]]:
    rows = [(mode, mode, base) for mode in MODES]
    # Ablation rows show what the language-bias correction contributes.
    rows += [(f"{m} (no language correction)", m, replace(base, debias=False)) for m in ("hybrid", "dense")]
    return rows


def run(index_dir: Path, queries: Path, concepts: Path | None, k: int, short: Path | None = None) -> dict:
    """Every mode side by side, plus concept accuracy; returns the numbers it printed."""
    records = read_jsonl(queries)
    report: dict = {"queries": str(queries), "modes": {}}
    print(f"{len(records)} queries from {queries}, index {index_dir}, k={k}\n")
    print(f"{'mode':<34} {'hit@1':>6} {'hit@3':>6} {'docMRR':>7} {'p50 ms':>7}")
    for label, mode, config in _variants(RankingConfig()):
        kb = KnowledgeBase(index_dir, ranking=config)
        kb.search("warm-up", k=1)
        row = score_queries(kb, records, mode, k)
        report["modes"][label] = row
        print(f"{label:<34} {row['hit@1']:>6.2f} {row['hit@3']:>6.2f} {row['doc_mrr']:>7.2f} {row['p50_ms']:>7.1f}")
    if concepts:
        result = score_concepts(KnowledgeBase(index_dir), read_jsonl(concepts))
        report["concepts"] = result
        print(f"\nconcept look-ups ({result['n']}): accuracy@1 {result['accuracy@1']:.2f}  accuracy@3 {result['accuracy@3']:.2f}")
    if short:
        report["languages"] = score_languages(KnowledgeBase(index_dir), read_jsonl(short))
        _print_languages(report["languages"], short)
    return report


def main(argv: list[str] | None = None) -> int:
    """Parse options (environment variables are the defaults) and run."""
    parser = argparse.ArgumentParser(prog="python -m eval.harness", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=Path, default=Path(os.environ.get("EVAL_QUERIES") or HERE / "dev-queries.jsonl"))
    concepts_default = os.environ.get("EVAL_CONCEPTS", str(HERE / "dev-concepts.jsonl"))
    parser.add_argument("--concepts", type=Path, default=Path(concepts_default) if concepts_default else None)
    short_default = os.environ.get("EVAL_SHORT", str(HERE / "short-queries.jsonl"))
    parser.add_argument("--short", type=Path, default=Path(short_default) if short_default else None,
                        help="labelled short queries for language detection")
    parser.add_argument("--corpus", type=Path, default=Path(os.environ["EVAL_CORPUS"]) if os.environ.get("EVAL_CORPUS") else None)
    parser.add_argument("--index-dir", type=Path, default=None)
    parser.add_argument("-k", type=int, default=int(os.environ.get("EVAL_K") or 10))
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers to this file")
    args = parser.parse_args(argv)
    if args.corpus:
        from ingest.pipeline import ingest

        with tempfile.TemporaryDirectory(prefix="kb-eval-") as tmp:
            report = ingest([args.corpus], Path(tmp), progress=True)
            print(f"ingested {report.total_documents} documents, {report.total_chunks} chunks from {args.corpus}")
            result = run(Path(tmp), args.queries, args.concepts, args.k, args.short)
    else:
        result = run(args.index_dir or settings.index_dir(), args.queries, args.concepts, args.k, args.short)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
