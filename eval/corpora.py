"""Cross-language retrieval on the translated corpora of eval/corpus-*/, per query language and per language pair.

    python -m eval.corpora --split dev            # every development corpus (for tuning)
    python -m eval.corpora --split test           # every test corpus (measured, never tuned on)
    python -m eval.corpora --corpus install --queries title --modes hybrid,dense
    python -m eval.corpora --corpus install --without en   # English queries over the other languages' pages

A corpus is a folder with corpus.json (source, languages, split), docs/ (with metadata.json: the
language of every document) and queries-*.jsonl, as `python -m eval.build_corpus` writes them. Each is
ingested into data/eval/NAME (`--index-root`; incrementally, `--fresh` rebuilds it) and every query
runs through `KnowledgeBase.search`, the call `GET /api/search` makes, with the configuration from
the environment and the server's native threads (OMP_NUM_THREADS, default 1), twice: ungrouped
(passages) and `group=true` (documents). The query's own-language version is excluded,
so every relevant document is in another language. Printed per corpus and query set, as Markdown:

- document level (group=true): recall@k and MRR@k;
- passage level (ungrouped): recall@k (share of relevant documents with a passage in the top k),
  hit@3 (a passage of a relevant document in the top 3), distinct documents in the top k;
- own-language share: of the wrong documents in the grouped top k, the share in the query's language
  (against that language's share of the corpus);
- per query language, and per query language -> document language: recall@k and MRR@k of that
  language's version among the documents, and its recall@k among the passages.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
from pathlib import Path

from eval.harness import read_jsonl
from eval.load import native_threads
from index.choices import MODES
from index.config import Config
from index.service import MAX_K, KnowledgeBase
from index.stores import open_store

HERE = Path(__file__).resolve().parent
INDEX_ROOT = Path("data/eval")  # --index-root
HIT_AT = 3


def corpora() -> dict[str, Path]:
    """name -> folder of every corpus under eval/ (eval/corpus-NAME/corpus.json)."""
    return {p.parent.name.removeprefix("corpus-"): p.parent for p in sorted(HERE.glob("corpus-*/corpus.json"))}


def describe(folder: Path) -> dict:
    """corpus.json of a corpus folder."""
    return json.loads((folder / "corpus.json").read_text(encoding="utf-8"))


def doc_langs(folder: Path) -> dict[str, str]:
    """document file name -> its language, from docs/metadata.json."""
    metadata = json.loads((folder / "docs" / "metadata.json").read_text(encoding="utf-8"))
    return {name: entry["lang"] for name, entry in metadata.items()}


def query_sets(folder: Path) -> dict[str, Path]:
    """query set name (title, sentence) -> its file."""
    return {p.stem.removeprefix("queries-"): p for p in sorted(folder.glob("queries-*.jsonl"))}


def index_name(name: str, without: str | None = None) -> str:
    """The name a corpus's index (and its numbers) go by, `without` a language or whole."""
    return f"{name}-without-{without}" if without else name


def open_index(name: str, folder: Path, fresh: bool, root: Path = INDEX_ROOT, without: str | None = None) -> KnowledgeBase:
    """The corpus ingested into ROOT/NAME (unchanged files are skipped) and opened as the API opens it.

    `without` a language: its documents left out, into ROOT/NAME-without-LANG."""
    from ingest.pipeline import ingest  # eval drives ingest; the index package never imports it

    config = Config.from_env().replace(index_dir=root / index_name(name, without))
    if fresh:
        shutil.rmtree(config.index_dir, ignore_errors=True)
    docs = folder / "docs"
    paths = [docs / file for file, lang in sorted(doc_langs(folder).items()) if lang != without] if without else [docs]
    ingest(paths, open_store(config), progress=False)
    return KnowledgeBase(config)


def _names(results: list[dict], excluded: set[str], k: int) -> list[str]:
    # Results are matched to documents by file name; the query's own document is dropped before the cut.
    names = [Path(r["source"]).name for r in results]
    return [n for n in names if n not in excluded][:k]


def score_query(kb: KnowledgeBase, q: dict, mode: str, k: int, langs: dict[str, str], filtered: bool = False) -> dict:
    """Document-level, passage-level and per-document-language numbers of one query; `filtered`, also each
    language's version among that language's documents alone (the search's `lang` filter)."""
    excluded = set(q.get("exclude", []))
    extra = min(MAX_K, k + 5 * len(excluded))
    passages = _names(kb.search(q["query"], k=extra, mode=mode).to_dict()["results"], excluded, k)
    documents = _names(kb.search(q["query"], k=extra, mode=mode, group=True).to_dict()["results"], excluded, k)
    relevant = set(q["docs"])
    ranks = [i for i, name in enumerate(documents) if name in relevant]
    wrong = [name for name in documents if name not in relevant]
    pairs = {}
    for name in q["docs"]:
        rank = documents.index(name) if name in documents else None
        pairs[langs[name]] = {"doc_recall": float(rank is not None), "doc_mrr": 0.0 if rank is None else 1.0 / (rank + 1),
                              "passage_recall": float(name in passages)}
        if filtered:
            # Among one language's documents the versions do not compete: a pair's number is not zero-sum.
            alone = _names(kb.search(q["query"], k=extra, mode=mode, group=True, lang=langs[name]).to_dict()["results"],
                           excluded, k)
            rank = alone.index(name) if name in alone else None
            pairs[langs[name]] |= {"filtered_recall": float(rank is not None),
                                   "filtered_mrr": 0.0 if rank is None else 1.0 / (rank + 1)}
    return {
        "lang": q["lang"],
        "doc_recall": sum(name in documents for name in relevant) / len(relevant),
        "doc_mrr": 1.0 / (ranks[0] + 1) if ranks else 0.0,
        "passage_recall": sum(name in passages for name in relevant) / len(relevant),
        f"hit@{HIT_AT}": float(any(name in relevant for name in passages[:HIT_AT])),
        "distinct_docs": float(len(set(passages))),
        "wrong": len(wrong),
        "wrong_own": sum(langs.get(name) == q["lang"] for name in wrong),
        "pairs": pairs,
    }


METRICS = ("doc_recall", "doc_mrr", "passage_recall", f"hit@{HIT_AT}", "distinct_docs")
PAIR_METRICS = ("doc_recall", "doc_mrr", "passage_recall")
FILTERED_METRICS = ("filtered_recall", "filtered_mrr")


def summarise(rows: list[dict]) -> dict:
    """Means of the metrics, the own-language share of wrong answers (pooled) and the count."""
    wrong = sum(r["wrong"] for r in rows)
    return {**{m: statistics.fmean(r[m] for r in rows) for m in METRICS},
            "own_lang_wrong": sum(r["wrong_own"] for r in rows) / wrong if wrong else 0.0, "n": len(rows)}


def aggregate(rows: list[dict]) -> dict:
    """Overall, per query language, and per query language -> document language."""
    by_lang: dict[str, list[dict]] = {}
    for row in rows:
        by_lang.setdefault(row["lang"], []).append(row)
    pairs: dict[str, dict] = {}
    for lang, group in sorted(by_lang.items()):
        cells: dict[str, list[dict]] = {}
        for row in group:
            for doc_lang, cell in row["pairs"].items():
                cells.setdefault(doc_lang, []).append(cell)
        pairs[lang] = {d: {m: statistics.fmean(c[m] for c in cs) for m in cs[0]} | {"n": len(cs)}
                       for d, cs in sorted(cells.items())}
    return {**summarise(rows), "by_lang": {lang: summarise(g) for lang, g in sorted(by_lang.items())}, "pairs": pairs}


def score_set(kb: KnowledgeBase, queries: list[dict], modes: list[str], k: int, langs: dict[str, str],
              filtered: bool = False) -> dict:
    """mode -> aggregate over the queries."""
    return {mode: aggregate([score_query(kb, q, mode, k, langs, filtered) for q in queries]) for mode in modes}


def _head(k: int) -> list[str]:
    return [f"doc R@{k}", f"doc MRR@{k}", f"psg R@{k}", f"hit@{HIT_AT}", f"docs in top {k}", "own-lang wrong"]


def _cells(row: dict) -> str:
    return " | ".join(f"{row[m]:.3f}" for m in METRICS[:4]) + f" | {row['distinct_docs']:.2f} | {row['own_lang_wrong']:.3f}"


def report(title: str, result: dict, langs: dict[str, str], k: int) -> str:
    """One query set's results as Markdown tables."""
    head, width = " | ".join(_head(k)), len(_head(k))
    share = {lang: sum(v == lang for v in langs.values()) / len(langs) for lang in set(langs.values())}
    lines = [f"### {title}", "", f"| mode | n | {head} |", "|---|---:|" + "---:|" * width]
    lines += [f"| {mode} | {row['n']} | {_cells(row)} |" for mode, row in result.items()]
    lines += ["", "Per query language (own-language share of the corpus in brackets):", "",
              f"| query lang | mode | n | {head} |", "|---|---|---:|" + "---:|" * width]
    for lang in next(iter(result.values()))["by_lang"]:
        lines += [f"| {lang} ({share.get(lang, 0):.2f}) | {mode} | {row['by_lang'][lang]['n']} | {_cells(row['by_lang'][lang])} |"
                  for mode, row in result.items()]
    doc_order = sorted(set(langs.values()))
    lines += ["", f"Per language pair, query language -> document language: doc R@{k} / doc MRR@{k} / passage R@{k}"
              " of that language's version:", "",
              "| query lang | mode | " + " | ".join(f"-> {d}" for d in doc_order) + " |",
              "|---|---|" + "---|" * len(doc_order)]
    lines += _pair_rows(result, doc_order, PAIR_METRICS)
    first = next(iter(result.values()))["pairs"]
    if any(FILTERED_METRICS[0] in cell for cells in first.values() for cell in cells.values()):
        lines += ["", f"Per language pair with the search's language filter (`lang` = the document language): doc R@{k} /"
                  f" doc MRR@{k} of that language's version among that language's documents:", "",
                  "| query lang | mode | " + " | ".join(f"-> {d}" for d in doc_order) + " |",
                  "|---|---|" + "---|" * len(doc_order)]
        lines += _pair_rows(result, doc_order, FILTERED_METRICS)
    return "\n".join(lines) + "\n"


def _pair_rows(result: dict, doc_order: list[str], metrics: tuple[str, ...]) -> list[str]:
    lines = []
    for lang in next(iter(result.values()))["pairs"]:
        for mode, row in result.items():
            cells = [row["pairs"][lang].get(d) for d in doc_order]
            lines.append(f"| {lang} | {mode} | " + " | ".join(
                "-" if c is None else " / ".join(f"{c[m]:.2f}" for m in metrics) for c in cells) + " |")
    return lines


def compare(numbers: dict, baseline: dict) -> str:
    """Changes against an earlier --json file: overall per mode, and every language pair that got worse."""
    lines = ["### Changes against the baseline", "", "| corpus / queries | mode | " + " | ".join(METRICS) + " |",
             "|---|---|" + "---:|" * len(METRICS)]
    worse = []
    for name, sets in numbers.items():
        for set_name, result in sets.items():
            for mode, row in result.items():
                before = baseline.get(name, {}).get(set_name, {}).get(mode)
                if before is None:
                    continue
                lines.append(f"| {name} / {set_name} | {mode} | " + " | ".join(f"{row[m] - before[m]:+.3f}" for m in METRICS) + " |")
                for lang, cells in row["pairs"].items():
                    for doc_lang, cell in cells.items():
                        old = before["pairs"].get(lang, {}).get(doc_lang)
                        drops = [f"{m} {cell[m] - old[m]:+.3f}" for m in (*PAIR_METRICS, *FILTERED_METRICS)
                                 if old and m in cell and m in old and cell[m] < old[m] - 1e-9]
                        if drops:
                            worse.append(f"- {name} / {set_name} / {mode}: {lang} -> {doc_lang}: {', '.join(drops)}")
    return "\n".join(lines + ["", "Language pairs worse than the baseline:" if worse else "No language pair is worse than the baseline.", *worse]) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Parse options, ingest and score each chosen corpus, print Markdown (and JSON with --json)."""
    parser = argparse.ArgumentParser(prog="python -m eval.corpora", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    known = corpora()
    parser.add_argument("--corpus", action="append", choices=sorted(known), help="a corpus by name (repeatable)")
    parser.add_argument("--split", choices=("dev", "test"), help="every corpus of this split")
    parser.add_argument("--queries", default=None, help="comma-separated query sets (default all: sentence,title)")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated modes")
    parser.add_argument("--query-langs", default=None, help="only queries in these languages (comma-separated)")
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--index-root", type=Path, default=INDEX_ROOT, help="folder of the corpora's indexes")
    parser.add_argument("--fresh", action="store_true", help="rebuild the corpus's index from scratch")
    parser.add_argument("--without", metavar="LANG", default=None,
                        help="index the corpus without its LANG documents and ask only the LANG queries (a reader "
                             "of LANG over pages in other languages)")
    parser.add_argument("--json", type=Path, default=None, help="also write every number to this file")
    parser.add_argument("--compare", type=Path, default=None, help="an earlier --json file: print the changes against it")
    parser.add_argument("--filtered", action="store_true",
                        help="also rank each language's version among that language's documents alone (per pair)")
    args = parser.parse_args(argv)
    # As the server's workers run the encoder (before it loads): more native threads than cores
    # spin against each other on a shared machine and make every encode many times slower.
    os.environ["OMP_NUM_THREADS"] = native_threads()
    names = list(args.corpus or [n for n, f in known.items() if args.split is None or describe(f)["split"] == args.split])
    modes = [m for m in args.modes.split(",") if m]
    wanted_langs = {args.without} if args.without else set(args.query_langs.split(",")) if args.query_langs else None
    numbers: dict = {}
    for name in names:
        folder = known[name]
        about, langs = describe(folder), doc_langs(folder)
        kb = open_index(name, folder, args.fresh, args.index_root, args.without)
        kb.search("warm-up", k=1)
        kept = [lang for lang in about["langs"] if lang != args.without]
        print(f"## {name} ({about['split']}): {about['source']}, {about['sections']} sections in "
              f"{', '.join(kept)}, {sum(lang in kept for lang in langs.values())} documents"
              f"{f'; {args.without} queries only' if args.without else ''}\n", flush=True)
        for set_name, path in query_sets(folder).items():
            if args.queries and set_name not in args.queries.split(","):
                continue
            queries = [q for q in read_jsonl(path) if wanted_langs is None or q["lang"] in wanted_langs]
            result = score_set(kb, queries, modes, args.k, langs, args.filtered)
            numbers.setdefault(index_name(name, args.without), {})[set_name] = result
            print(report(f"{name} / {set_name} queries", result, langs, args.k), flush=True)
    if args.compare:
        print(compare(numbers, json.loads(args.compare.read_text(encoding="utf-8"))))
    if args.json:
        args.json.write_text(json.dumps(numbers, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
