"""`make eval`: retrieval and concept-lookup quality through the same calls the HTTP API makes.

Environment: EVAL_QUERIES (default eval/dev-queries.jsonl), EVAL_CONCEPTS (default
eval/dev-concepts.jsonl, "" to skip), EVAL_SHORT (labelled short queries for language detection,
default eval/short-queries.jsonl, "" to skip), EVAL_CORPUS (a folder to ingest into a temporary index
instead of using KB_INDEX_DIR), EVAL_K (results per query, default 10), EVAL_VARIANTS (all, steering or modes).

A query record: {"query", "lang", "docs": [relevant document names], "phrases": [text of an
answering passage], "exclude": [documents left out when scoring]}; `phrases` may be empty
(document-level sets). Passage metrics come from the ranked passages, document metrics from
`group=true`; both through `KnowledgeBase.search`, the call the HTTP API makes.
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

from index.stores import open_store
from index.config import Config
from index.choices import MODES
from index.ranking import RankingConfig
from index.service import MAX_K, KnowledgeBase

HERE = Path(__file__).resolve().parent


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").lower()


def _doc_key(result: dict) -> str:
    return " ".join(str(result.get(f, "")) for f in ("source", "doc_id", "title"))


def read_jsonl(path: Path) -> list[dict]:
    """Records of a JSON-lines file, blank lines skipped."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _relevant(result: dict, docs: list[str]) -> bool:
    return any(d in _doc_key(result) for d in docs)


def _without_excluded(results: list[dict], q: dict, k: int) -> list[dict]:
    # A query derived from one document's own text (a translated corpus) would find that document;
    # `exclude` names it so that only the other versions count.
    return [r for r in results if not _relevant(r, q.get("exclude", []))][:k]


def score_query(kb: KnowledgeBase, q: dict, mode: str, k: int) -> dict:
    """Passage-level (hit@1, hit@3, doc MRR, passage recall) and document-level (group=true) numbers of one query."""
    extra = min(MAX_K, k + 5 * len(q.get("exclude", [])))
    started = time.perf_counter()
    response = kb.search(q["query"], k=extra, mode=mode).to_dict()
    latency = (time.perf_counter() - started) * 1000
    results = _without_excluded(response["results"], q, k)
    row = {"lang": q.get("lang", "?"), "p50_ms": latency, "dropped": response.get("dropped", 0)}
    if q.get("phrases"):
        phrases = [_norm(p) for p in q["phrases"]]
        hits = [any(p in _norm(r["text"]) for p in phrases) for r in results]
        row["hit@1"] = float(bool(hits[:1] and hits[0]))
        row["hit@3"] = float(any(hits[:3]))
    ranks = [i for i, r in enumerate(results) if _relevant(r, q["docs"])]
    row["doc_mrr"] = 1.0 / (ranks[0] + 1) if ranks else 0.0
    row["passage_recall"] = sum(any(d in _doc_key(r) for r in results) for d in q["docs"]) / len(q["docs"])
    row["docs@k"] = float(len({r["doc_id"] for r in results}))
    grouped = _without_excluded(kb.search(q["query"], k=extra, mode=mode, group=True).to_dict()["results"], q, k)
    found = [i for i, r in enumerate(grouped) if _relevant(r, q["docs"])]
    row["doc_recall@k"] = sum(any(d in _doc_key(r) for r in grouped) for d in q["docs"]) / len(q["docs"])
    row["doc_mrr@k"] = 1.0 / (found[0] + 1) if found else 0.0
    return row


METRICS = ("hit@1", "hit@3", "doc_mrr", "passage_recall", "docs@k", "doc_recall@k", "doc_mrr@k")


def summarise(rows: list[dict]) -> dict:
    """Means of every metric (those the queries support), latency p50, dropped results and count."""
    summary = {m: statistics.fmean(r[m] for r in rows if m in r) for m in METRICS if any(m in r for r in rows)}
    summary["p50_ms"] = statistics.median(r["p50_ms"] for r in rows)
    summary["dropped"] = sum(r["dropped"] for r in rows)
    summary["n"] = len(rows)
    return summary


def score_queries(kb: KnowledgeBase, queries: list[dict], mode: str, k: int) -> dict:
    """Summary over all queries plus one per query language (`lang` of each record)."""
    rows = [score_query(kb, q, mode, k) for q in queries]
    by_lang: dict[str, list[dict]] = {}
    for row in rows:
        by_lang.setdefault(row["lang"], []).append(row)
    return {**summarise(rows), "by_lang": {lang: summarise(r) for lang, r in sorted(by_lang.items())}}


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
    # What concept steering and the spread of ungrouped pages (repeat penalty and per-document cap) contribute
    # (both off: ranking v2).
    spread_off = {"per_document": 0, "repeat_share": 0.0}
    rows += [("hybrid v2 (neither)", "hybrid", replace(base, concept_min_score=float("inf"), **spread_off)),
             ("hybrid without concept steering", "hybrid", replace(base, concept_min_score=float("inf"))),
             ("hybrid without the spread of documents", "hybrid", replace(base, **spread_off))]
    # Ablations: what each part of ranking v2 contributes to the default mode.
    off = replace(base, debias=False, centring=False)
    rows += [(f"{m} without language correction", m, off) for m in ("hybrid", "dense")]
    rows += [("hybrid without centring", "hybrid", replace(base, centring=False)),
             ("hybrid without feedback", "hybrid", replace(base, feedback_weight=0.0)),
             ("hybrid, BM25 of each language raw", "hybrid", replace(base, lexical_language_floor=0.0)),
             ("hybrid without filler demotion", "hybrid", replace(base, filler_weight=0.0))]
    return rows


def _line(label: str, row: dict) -> str:
    cells = " ".join(f"{row[m]:>7.3f}" if m in row else f"{'-':>7}" for m in METRICS)
    return f"{label:<32} {cells} {row['p50_ms']:>7.1f} {row['dropped']:>4} {row['n']:>4}"


def run(index_dir: Path, queries: Path, concepts: Path | None, k: int, variants: str = "all",
        short: Path | None = None) -> dict:
    """Every mode and ablation side by side, per query language for the default; returns the numbers printed."""
    records = read_jsonl(queries)
    report: dict = {"queries": str(queries), "modes": {}}
    print(f"{len(records)} queries from {queries}, index {index_dir}, k={k}")
    print("hit@1/hit@3: an expected phrase in the top 1/3 passages; doc_mrr: first passage of a relevant document;")
    print("passage_recall: share of relevant documents among the top-k passages; docs@k: distinct documents among them;")
    print("doc_recall@k, doc_mrr@k: group=true.\n")
    header = f"{'':<32} " + " ".join(f"{m[:7]:>7}" for m in METRICS) + f" {'p50 ms':>7} {'drop':>4} {'n':>4}"
    print(header)
    chosen = _variants(RankingConfig())
    if variants != "all":
        chosen = chosen[: len(MODES) + (3 if variants == "steering" else 0)]
    for label, mode, config in chosen:
        kb = KnowledgeBase(Config.from_env().replace(index_dir=index_dir), ranking=config)
        kb.search("warm-up", k=1)
        row = score_queries(kb, records, mode, k)
        report["modes"][label] = row
        print(_line(label, row), flush=True)
    for label in ("hybrid", "dense"):
        print(f"\n{label}, per query language\n{header}")
        for lang, row in report["modes"][label]["by_lang"].items():
            print(_line(lang, row))
    if concepts:
        result = score_concepts(KnowledgeBase(Config.from_env().replace(index_dir=index_dir)), read_jsonl(concepts))
        report["concepts"] = result
        print(f"\nconcept look-ups ({result['n']}): accuracy@1 {result['accuracy@1']:.2f}  accuracy@3 {result['accuracy@3']:.2f}")
    if short:
        report["languages"] = score_languages(KnowledgeBase(Config.from_env().replace(index_dir=index_dir)), read_jsonl(short))
        _print_languages(report["languages"], short)
    return report


def _optional_path(text: str) -> Path | None:
    """A path, or None for an empty one (skip that part), from an option or the environment alike."""
    return Path(text) if text else None


def main(argv: list[str] | None = None) -> int:
    """Parse options (environment variables are the defaults) and run."""
    parser = argparse.ArgumentParser(prog="python -m eval.harness", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=Path, default=Path(os.environ.get("EVAL_QUERIES") or HERE / "dev-queries.jsonl"))
    concepts_default = os.environ.get("EVAL_CONCEPTS", str(HERE / "dev-concepts.jsonl"))
    parser.add_argument("--concepts", type=_optional_path, default=_optional_path(concepts_default),
                        help='concept look-up queries ("" skips them)')
    short_default = os.environ.get("EVAL_SHORT", str(HERE / "short-queries.jsonl"))
    parser.add_argument("--short", type=_optional_path, default=_optional_path(short_default),
                        help='labelled short queries for language detection ("" skips them)')
    parser.add_argument("--corpus", type=Path, default=Path(os.environ["EVAL_CORPUS"]) if os.environ.get("EVAL_CORPUS") else None)
    parser.add_argument("--index-dir", type=Path, default=None)
    parser.add_argument("-k", type=int, default=int(os.environ.get("EVAL_K") or 10))
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers to this file")
    parser.add_argument("--variants", choices=("all", "steering", "modes"), default=os.environ.get("EVAL_VARIANTS") or "all",
                        help="all: modes and ablations (default); steering: the modes and hybrid without concept steering,"
                             " without the per-document cap and without both; modes: the three modes only")
    args = parser.parse_args(argv)
    if args.corpus:
        from ingest.pipeline import ingest

        with tempfile.TemporaryDirectory(prefix="kb-eval-") as tmp:
            report = ingest([args.corpus], open_store(Config.from_env().replace(index_dir=Path(tmp))), progress=True)
            print(f"ingested {report.total_documents} documents, {report.total_chunks} chunks from {args.corpus}")
            result = run(Path(tmp), args.queries, args.concepts, args.k, args.variants, args.short)
    else:
        result = run(args.index_dir or Config.from_env().index_dir, args.queries, args.concepts, args.k, args.variants, args.short)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
