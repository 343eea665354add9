"""Do a concept's card and the first passage agree? (`python -m eval.concept_agreement`)

Every label and alias of every concept of an index's catalogue that has grounded passages is searched as a query
(ungrouped, k=10, through `KnowledgeBase.search`, the call `GET /api/search` makes). Where the search's first concept
card is that concept (the query names it), the first passage should be grounded in it. Reported: the share that
is, per wording language, how many passages and documents such a search shows on average, and with `--misses`
the wordings where the first passage is not grounded in it. `--half even|odd` takes every other
concept of the catalogue (the even ones chose `RankingConfig.named_concept_weight`, the odd ones judge it);
`--named-weight` and `--weight` override `named_concept_weight` and `concept_weight`; `--unsteered` turns concept
steering off (the cards stay).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections import Counter
from pathlib import Path

from index.config import Config
from index.ranking import RankingConfig
from index.service import KnowledgeBase


def agreement(kb: KnowledgeBase, half: str | None = None) -> dict:
    """Naming queries per wording language, how many put a passage grounded in the concept first, and the misses."""
    catalogue = kb.catalogue()
    grounded = {c["id"] for c in kb.concepts() if c["passages"]}
    named, agreed, misses, shown, documents = Counter(), Counter(), [], 0, 0
    for n, concept_id in enumerate(catalogue.concepts):
        if (half == "even" and n % 2) or (half == "odd" and not n % 2) or concept_id not in grounded:
            continue
        concept = catalogue.get(concept_id)
        wordings = [*concept.labels.items(), *((lang, text) for lang, texts in concept.aliases.items() for text in texts)]
        for lang, text in wordings:
            found = kb.search(text, k=10)
            if [c.get("id") for c in found.concepts][:1] != [concept_id]:
                continue  # its card names another concept, or none: this wording does not name it
            named[lang] += 1
            shown += len(found.results)
            documents += len({r.doc_id for r in found.results})
            if found.results and concept_id in found.results[0].concepts:
                agreed[lang] += 1
            else:
                misses.append({"lang": lang, "query": text, "concept": concept_id,
                               "first": found.results[0].title if found.results else None})
    return {"named": sum(named.values()), "agreed": sum(agreed.values()),
            "share": round(sum(agreed.values()) / max(1, sum(named.values())), 3),
            "passages_shown": round(shown / max(1, sum(named.values())), 2),
            "documents_shown": round(documents / max(1, sum(named.values())), 2),
            "by_lang": {lang: f"{agreed[lang]}/{named[lang]}" for lang in sorted(named)}, "misses": misses}


def main(argv: list[str] | None = None) -> int:
    """Print the agreement as one JSON object."""
    parser = argparse.ArgumentParser(prog="python -m eval.concept_agreement", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, default=None, help="index directory (default: $KB_INDEX_DIR)")
    parser.add_argument("--half", choices=("even", "odd"), default=None, help="every other concept only")
    parser.add_argument("--named-weight", type=float, default=None, help="RankingConfig.named_concept_weight")
    parser.add_argument("--weight", type=float, default=None, help="RankingConfig.concept_weight")
    parser.add_argument("--unsteered", action="store_true", help="concept steering off (concept_min_score inf)")
    parser.add_argument("--misses", action="store_true", help="list the wordings whose first passage disagrees")
    args = parser.parse_args(argv)
    config = Config.from_env()
    if args.index_dir is not None:
        config = config.replace(index_dir=args.index_dir)
    ranking = RankingConfig()
    if args.named_weight is not None:
        ranking = dataclasses.replace(ranking, named_concept_weight=args.named_weight)
    if args.weight is not None:
        ranking = dataclasses.replace(ranking, concept_weight=args.weight)
    if args.unsteered:
        ranking = dataclasses.replace(ranking, concept_min_score=float("inf"))
    report = agreement(KnowledgeBase(config, ranking=ranking), args.half)
    if not args.misses:
        report.pop("misses")
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
