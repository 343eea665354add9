"""Gloss coverage and cost (part of `make eval`): share of content words glossed per passage language, and
what glossing adds to a search.

Content words are alphabetic tokens of two or more letters that are not in the Snowball stop word list of
the passage language (index/glosses/stopwords.py); a word counts as glossed when a gloss span covers it.
Every passage of the index counts (`python -m eval.glosses [--reader en] [--json]`); `--gold` scores the gold
sense lists of eval/gloss-gold instead (see eval/gloss_gold.py).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter

from index.config import Config
from index.glosses import content_words
from index.service import KnowledgeBase

QUERIES = ("What are the three value disciplines?", "customer lock-on", "Kundennähe", "kundereise",
           "how did the pandemic change customers", "loyalty programs", "fidélisation des clients",
           "personalisation on the internet")


def _names(kb: KnowledgeBase) -> dict[str, set[str]]:
    """Per language, words the corpus only ever writes capitalised (names: Treacy, Disney, Westerman)."""
    seen: dict[str, Counter] = {}
    for doc in kb.documents():
        full = kb.document(doc["doc_id"])
        for chunk in full["chunks"]:
            counts = seen.setdefault(chunk["lang"], Counter())
            for match in content_words(full["text"][chunk["start"]:chunk["end"]], chunk["lang"]):
                word = match.group()
                counts[(word.casefold(), word[:1].isupper())] += 1
    return {lang: {w for (w, upper) in counts if upper and (w, False) not in counts} for lang, counts in seen.items()}


def coverage(kb: KnowledgeBase, reader: str = "en") -> dict[str, dict]:
    """Per passage language: content words, how many are glossed, and by which kind of source."""
    names = _names(kb)
    out: dict[str, dict] = {}
    for doc in kb.documents():
        full = kb.document(doc["doc_id"])
        for chunk in full["chunks"]:
            lang, text = chunk["lang"], full["text"][chunk["start"]:chunk["end"]]
            row = out.setdefault(lang, {"passages": 0, "content_words": 0, "glossed": 0, "names": 0,
                                        "glossed_names": 0, "by_source": Counter()})
            spans = kb.glosses(text, lang, reader)
            row["passages"] += 1
            for match in content_words(text, lang):
                gloss = next((g for g in spans if g["start"] <= match.start() < g["end"]), None)
                is_name = match.group().casefold() in names.get(lang, set())
                row["content_words"] += 1
                row["names"] += is_name
                if gloss is not None:
                    row["glossed"] += 1
                    row["glossed_names"] += is_name
                    row["by_source"][gloss["source"].split(":")[0] if gloss["source"].startswith("concept")
                                     else gloss["source"]] += 1
    for row in out.values():
        row["share"] = round(row["glossed"] / max(1, row["content_words"]), 3)
        others = row["content_words"] - row["names"]
        row["share_without_names"] = round((row["glossed"] - row["glossed_names"]) / max(1, others), 3)
        row["by_source"] = dict(row["by_source"].most_common())
    return out


def latency(kb: KnowledgeBase, reader: str = "en", rounds: int = 5) -> dict[str, float]:
    """p50 of a search (k=10) alone and of the same search plus glossing its results, in ms."""
    for query in QUERIES:  # load the encoder, the lexicons and the caches before timing
        for r in kb.search(query).results:
            kb.glosses(r.text, r.lang, reader)
    plain, glossed, gloss_only = [], [], []
    for _ in range(rounds):
        for query in QUERIES:
            started = time.perf_counter()
            response = kb.search(query)
            searched = time.perf_counter()
            for r in response.results:
                kb.glosses(r.text, r.lang, reader)
            done = time.perf_counter()
            plain.append((searched - started) * 1000)
            gloss_only.append((done - searched) * 1000)
            glossed.append((done - started) * 1000)
    return {"search_p50_ms": round(statistics.median(plain), 2),
            "search_with_glosses_p50_ms": round(statistics.median(glossed), 2),
            "glossing_p50_ms": round(statistics.median(gloss_only), 2),
            "glossing_max_ms": round(max(gloss_only), 2)}


def api_latency(index_dir, reader: str = "en", rounds: int = 5) -> dict[str, float]:
    """p50 of `GET /api/search?q=...` and of the same request with `&glosses=<reader>`, through the Flask app."""
    from urllib.parse import quote

    from webapp import create_app

    client = create_app({"KB_INDEX_DIR": str(index_dir), "TESTING": True}).test_client()
    timings: dict[str, list[float]] = {"plain": [], "glossed": []}
    for warm in (True, False):
        for _ in range(1 if warm else rounds):
            for query in QUERIES:
                for kind, extra in (("plain", ""), ("glossed", f"&glosses={reader}")):
                    started = time.perf_counter()
                    response = client.get(f"/api/search?q={quote(query)}{extra}")
                    elapsed = (time.perf_counter() - started) * 1000
                    assert response.status_code == 200, response.get_json()
                    if not warm:
                        timings[kind].append(elapsed)
    plain, glossed = statistics.median(timings["plain"]), statistics.median(timings["glossed"])
    # Each glossed request follows the same plain one: their difference is glossing's cost, whatever the load.
    added = statistics.median(g - p for p, g in zip(timings["plain"], timings["glossed"]))
    return {"api_search_p50_ms": round(plain, 2), "api_search_glosses_p50_ms": round(glossed, 2),
            "api_glossing_adds_p50_ms": round(added, 2)}


def cold_start(kb: KnowledgeBase) -> dict[str, float]:
    """Time to load every installed lexicon in a fresh process's registry (from the disk cache when warm)."""
    from index.glosses import Lexicons

    fresh = Lexicons(kb.config.dict_dir, kb.config.cache_dir)
    started = time.perf_counter()
    for lang in kb.languages():
        fresh.get(lang)
    return {"lexicons_load_ms": round((time.perf_counter() - started) * 1000, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.glosses", description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", default=None, help="index directory (default: $KB_INDEX_DIR or data/index)")
    parser.add_argument("--reader", default="en", choices=("en", "de", "fr"))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--gold", action="store_true",
                        help="score the gold sense lists instead (eval/gloss_gold.py: first-sense accuracy, coverage)")
    args = parser.parse_args(argv)
    if args.gold:
        from eval.gloss_gold import main as gold

        return gold(["--json"] if args.json else [])
    kb = KnowledgeBase(Config.from_env().replace(index_dir=args.index_dir or Config.from_env().index_dir))
    report = {"dictionaries": kb.gloss_languages(), "coverage": coverage(kb, args.reader),
              "latency": latency(kb, args.reader), "api": api_latency(kb.index_dir, args.reader),
              "cold_start": cold_start(kb)}
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    print(f"gloss coverage for a reader of {args.reader} (content words: alphabetic, 2+ letters, not Snowball stop words)")
    print(f"dictionaries: {report['dictionaries'] or 'none installed: concept glosses only'}")
    for lang, row in sorted(report["coverage"].items()):
        print(f"  {lang}: {row['share']:.3f} of {row['content_words']} content words in {row['passages']} passages"
              f" ({row['share_without_names']:.3f} without {row['names']} names); {row['by_source']}")
    lat = report["latency"]
    print(f"search p50 {lat['search_p50_ms']} ms, with glosses {lat['search_with_glosses_p50_ms']} ms"
          f" (glossing 10 results: p50 {lat['glossing_p50_ms']} ms, max {lat['glossing_max_ms']} ms);"
          f" lexicons load {report['cold_start']['lexicons_load_ms']} ms per process")
    api = report["api"]
    print(f"GET /api/search p50 {api['api_search_p50_ms']} ms, with &glosses={args.reader}"
          f" {api['api_search_glosses_p50_ms']} ms: glossing adds {api['api_glossing_adds_p50_ms']} ms"
          " (median of paired differences)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
