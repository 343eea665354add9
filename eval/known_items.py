"""Known-item search: is every document found by what a reader copied from it? (`python -m eval.known_items`)

For a seeded sample of an index's documents (`--n`), two queries each, in the document's own language, through
`KnowledgeBase.search` (the call `GET /api/search` makes), ungrouped as the default page shows (`--group`: a page
of documents, `group=true`):

- `sentence`: one of its sentences of 6 to 40 words, chosen by the document's id;
- `word`: its rarest word of six letters or more (fewest documents of the index hold it; a code, a name or a
  term a reader would search for).

Reported per mode: hit@1, hit@10 (a passage of the document among the first 10) and MRR@10. A translated corpus
holds a word in every version of a document, and a corpus of near-copies holds most sentences in every copy, so
neither measure reaches 1 there; compare modes and versions on the same index.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

from index.choices import MODES
from index.config import Config
from index.service import KnowledgeBase

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_LONG_WORD = re.compile(r"[^\W\d_]{6,}")
KINDS = ("sentence", "word")


def queries(kb: KnowledgeBase, n: int, seed: int) -> list[tuple[str, str, str]]:
    """(kind, query, doc_id) for a seeded sample of `n` documents."""
    documents = {d["doc_id"]: kb.document(d["doc_id"])["text"] for d in kb.documents()}
    holders: dict[str, int] = {}
    for text in documents.values():
        for word in {w.casefold() for w in _LONG_WORD.findall(text)}:
            holders[word] = holders.get(word, 0) + 1
    chosen = sorted(documents)
    random.Random(seed).shuffle(chosen)
    found = []
    for doc_id in chosen[:n]:
        text = documents[doc_id]
        sentences = [s.strip() for s in _SENTENCE.split(text) if 6 <= len(s.split()) <= 40]
        if sentences:
            found.append(("sentence", random.Random(doc_id).choice(sentences)[:1000], doc_id))
        words = sorted(set(_LONG_WORD.findall(text)), key=lambda w: (holders[w.casefold()], w))
        if words:
            found.append(("word", words[0], doc_id))
    return found


def evaluate(kb: KnowledgeBase, modes: list[str], n: int = 100, seed: int = 7, k: int = 10,
             group: bool = False) -> dict:
    """Per mode and kind of query: n, hit@1, hit@k and MRR@k of the document the query was taken from."""
    asked = queries(kb, n, seed)
    report: dict = {}
    for mode in modes:
        for kind in KINDS:
            ranks = []
            for _, query, doc_id in (q for q in asked if q[0] == kind):
                shown = [r.doc_id for r in kb.search(query, k=k, mode=mode, group=group).results]
                ranks.append(shown.index(doc_id) + 1 if doc_id in shown else None)
            total = max(1, len(ranks))
            report[f"{mode}/{kind}"] = {"n": len(ranks), "hit@1": round(sum(r == 1 for r in ranks) / total, 3),
                                        f"hit@{k}": round(sum(r is not None for r in ranks) / total, 3),
                                        f"mrr@{k}": round(sum(1 / r for r in ranks if r) / total, 3)}
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.known_items", description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", default=None, help="index directory (default: $KB_INDEX_DIR or data/index)")
    parser.add_argument("--modes", default="hybrid,dense,lexical", help="comma-separated search modes")
    parser.add_argument("--n", type=int, default=100, help="documents to sample (default 100)")
    parser.add_argument("--seed", type=int, default=7, help="the sample's seed")
    parser.add_argument("--group", action="store_true", help="a page of documents (group=true), not of passages")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    modes = args.modes.split(",")
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        parser.error(f"unknown mode(s): {', '.join(unknown)} (one of {', '.join(MODES)})")
    config = Config.from_env()
    if args.index_dir:
        config = config.replace(index_dir=Path(args.index_dir))
    report = evaluate(KnowledgeBase(config), modes, args.n, args.seed, group=args.group)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print("| mode / query | n | hit@1 | hit@10 | MRR@10 |\n|---|---:|---:|---:|---:|")
    for name, row in report.items():
        print(f"| {name} | {row['n']} | {row['hit@1']:.3f} | {row['hit@10']:.3f} | {row['mrr@10']:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
