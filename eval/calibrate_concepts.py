"""`python -m eval.calibrate_concepts`: the concept look-up score above which a concept steers a search.

Every look-up match (top 3) of three labelled sets is judged right or wrong: `eval/dev-concepts.jsonl`
(right: the expected concept), the search queries of `eval/dev-queries.jsonl` and
`eval/translated-queries.jsonl` (right: the concept is grounded in a passage holding one of the query's
answer phrases) and the general-topic queries of `eval/short-queries.jsonl` (every match wrong: weather,
cooking and travel name no concept of the catalogue). Prints, per threshold, how many matches reach it and
the share of those that are right; `RankingConfig.concept_min_score` is the lowest threshold whose
precision is at least 0.9.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from eval.harness import read_jsonl
from index.config import Config
from index.service import KnowledgeBase

HERE = Path(__file__).resolve().parent
THRESHOLDS = (0.3, 0.4, 0.5, 0.55, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0)
PRECISION = 0.9


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).lower()


def judged(kb: KnowledgeBase) -> list[tuple[float, bool, str]]:
    """(look-up score, right, set) of every top-3 match of every labelled query."""
    found = []
    for item in read_jsonl(HERE / "dev-concepts.jsonl"):
        found += [(m["score"], m["id"] == item["expect"], "dev-concepts") for m in kb.lookup(item["q"], k=3)]
    grounded = {c["id"]: [_norm(p["text"]) for p in kb.concept(c["id"])["passages"]] for c in kb.concepts()}
    for name in ("dev-queries.jsonl", "translated-queries.jsonl"):
        for item in read_jsonl(HERE / name):
            phrases = [_norm(p) for p in item["phrases"]]
            for m in kb.lookup(item["query"], k=3):
                right = any(p in text for text in grounded[m["id"]] for p in phrases)
                found.append((m["score"], right, name.removesuffix(".jsonl")))
    for item in read_jsonl(HERE / "short-queries.jsonl"):
        if item["topic"] == "general":
            found += [(m["score"], False, "general short queries") for m in kb.lookup(item["query"], k=3)]
    return found


def main(argv: list[str] | None = None) -> int:
    """Print the precision of steering per threshold over the seed index (KB_INDEX_DIR)."""
    parser = argparse.ArgumentParser(prog="python -m eval.calibrate_concepts", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    config = Config.from_env()
    kb = KnowledgeBase(config.replace(index_dir=args.index_dir or config.index_dir))
    found = judged(kb)
    print(f"{'threshold':>9} {'steer':>6} {'right':>6} {'precision':>9}  wrong by set")
    chosen = None
    for threshold in THRESHOLDS:
        kept = [(right, name) for score, right, name in found if score >= threshold]
        right = sum(r for r, _ in kept)
        precision = right / len(kept) if kept else 1.0
        wrong: dict[str, int] = {}
        for r, name in kept:
            if not r:
                wrong[name] = wrong.get(name, 0) + 1
        if chosen is None and precision >= PRECISION:
            chosen = threshold
        print(f"{threshold:>9.2f} {len(kept):>6} {right:>6} {precision:>9.3f}  {json.dumps(wrong)}")
    print(f"lowest threshold with precision >= {PRECISION}: {chosen}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
