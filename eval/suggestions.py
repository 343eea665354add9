"""Precision of suggested concepts per document (`python -m eval.suggestions [--index-dir D] [--judged F]`).

The documents a judged file names (or every document, with `--new all`) are treated as new material against the
rest of the corpus, with an empty catalogue (the shipped catalogue was written for the seeds: excluding its terms
would hide exactly the suggestions that prove the method finds concepts).

The rule every judgement follows: a good suggestion is a term a trainer of the document's subject would put in
its glossary: a domain concept, a method, framework, stage, or a named piece of software, format or standard the
document discusses. Not good: a generic word (tid, products, following, good idea), a verb, adjective or adverb on
its own, a person's name or an organisation cited in passing, a fragment of a phrase that means nothing alone.

A top-k suggestion's verdict comes from its term's label in that document, first found of:

- the judged file's per-suggestion verdicts for the document (`good`, `bad`: labels as suggested, judged one by
  one by reading each suggestion in its document);
- a concept of the shipped catalogue (index/concepts/catalogue.yaml): same Snowball stem key as one of its labels
  or aliases in that language, or the same folded spelling in any language;
- the seeds' true terms, written before any ranking (`terms`: good; `names`: a name, not good), matched by stem
  key in the article's language or folded spelling.

A label none of them judges is reported as unjudged ("?") and counted as not good. precision@k is the share of good
ones among the top k, or among all of a document's suggestions when it has fewer than k (a short document is not
padded with wrong ones). Also checked: every suggestion cites at least one passage, each cited span is the term as
written there, and each cited passage carries the whole sentence around it.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import re
import statistics
import sys
from pathlib import Path
from typing import Callable

from index.config import Config
from index.concepts import Catalogue, load_catalogue
from index.concepts.suggest import documents_as_sources, suggest
from index.concepts.terms import key_of
from index.concepts.text import compact, fold
from index.concepts.wordforms import base_form
from index.embedders import get_embedder
from index.glosses import lexicons
from index.stores import open_store
from index.glosses.wordclass import word_classes

DEFAULT_JUDGED = Path(__file__).with_name("suggestions-judged.json")


def _forms(texts: list[str], lang: str, base: Callable[[str, str], str] = lambda term, lang: term) -> tuple[set, set]:
    texts = [*texts, *(base(t, lang) for t in texts)]
    return {key_of(t, lang) for t in texts}, {compact(fold(t)) for t in texts}


def judge(label: str, lang: str, catalogue_forms: dict, judged: dict | None,
          base: Callable[[str, str], str] = lambda term, lang: term) -> str | None:
    """'good', 'bad', 'concept', 'term', 'name' or None (unjudged): what a suggested label is. `base` gives a judged
    label the form suggestions are labelled in (see `base_form`): a verdict on "finansieringskampanjen" is one on
    the term the label finansieringskampanj names."""
    key, form = key_of(label, lang), compact(fold(label))
    if judged:
        for verdict in ("good", "bad"):
            if form in {compact(fold(f)) for t in judged.get(verdict, []) for f in (t, base(t, lang))}:
                return verdict
    keys, forms = catalogue_forms.get(lang, (set(), set()))
    if key in keys or form in catalogue_forms["*"]:
        return "concept"
    if judged:
        for kind in ("terms", "names"):
            keys, forms = _forms(judged.get(kind, []), judged.get("lang", lang), base)
            if key in keys or form in forms:
                return kind[:-1]
    return None


GOOD = ("good", "concept", "term")


def catalogue_forms(catalogue: Catalogue) -> dict:
    """Per language (stem keys, folded forms) of every label and alias; '*' holds all folded forms."""
    out: dict = {"*": set()}
    for term in catalogue.all_terms():
        keys, forms = out.setdefault(term.lang, (set(), set()))
        keys.add(key_of(term.text, term.lang))
        forms.add(compact(fold(term.text)))
        out["*"].add(compact(fold(term.text)))
    return out


def evaluate(index_dir: Path, judged: dict, catalogue: Catalogue, ks=(10, 20), new: str | None = None) -> dict:
    """Per document: its top suggestions with verdicts and precision@k; overall: means and the passage check.

    `new` is a file-name pattern of the documents suggested for (default: those `judged` names, else all)."""
    config = Config.from_env().replace(index_dir=index_dir)
    snapshot = open_store(config).snapshot()
    embedder = get_embedder(snapshot.embedder)
    stored = snapshot.documents()
    documents = documents_as_sources(stored, [c for d in stored for c in snapshot.chunks_of(d.doc_id)])
    classes = word_classes(lexicons(config.dict_dir, config.cache_dir))

    def base(term: str, lang: str) -> str:
        return base_form(term, lang, lambda lemma: classes.classify(lemma, lang) == "noun")
    names = {d.doc_id: Path(d.source).name for d in stored}
    chosen = [d.doc_id for d in documents
              if (fnmatch.fnmatch(names[d.doc_id], new) if new else not judged or names[d.doc_id] in judged)]
    suggestions = suggest(documents, chosen, None, embed=embedder.embed_queries,
                          chunk_vectors=snapshot.vectors, classify=classes.classify,
                          per_document=max(ks))
    chunks = snapshot.chunks_by_id(sorted({p.chunk_id for s in suggestions for t in s.terms for p in t.passages}))
    uncited = [s.id for s in suggestions if not any(t.passages for t in s.terms)
               or not all(p.sentence and p.text in p.sentence for t in s.terms for p in t.passages)]
    misplaced = [s.id for s in suggestions for t in s.terms for p in t.passages
                 if chunks[p.chunk_id].text[p.start:p.end] != p.text]
    forms = catalogue_forms(catalogue)
    titles = {d.doc_id: d.source for d in stored}
    report: dict = {"documents": {}, "suggestions": len(suggestions), "uncited": uncited, "misplaced": misplaced}
    for doc in documents:
        if doc.doc_id not in chosen:
            continue
        mine = sorted((s for s in suggestions if doc.doc_id in s.documents), key=lambda s: -s.documents[doc.doc_id])
        name = Path(titles[doc.doc_id]).name
        truth = judged.get(name)
        rows = []
        for s in mine[:max(ks)]:
            term = next(t for t in s.terms if doc.doc_id in t.scores)
            verdict = judge(term.label, term.lang, forms, truth, base)
            rows.append({"label": term.label, "lang": term.lang, "verdict": verdict, "score": round(s.documents[doc.doc_id], 2),
                         "labels": s.labels, "passages": len([p for t in s.terms for p in t.passages])})
        entry = {"rows": rows}
        for k in ks:
            top = rows[:k]
            entry[f"p@{k}"] = round(sum(r["verdict"] in GOOD for r in top) / len(top), 3) if top else 0.0
        entry["shown"] = len(rows)
        entry["unjudged"] = sum(r["verdict"] is None for r in rows[:min(ks)])
        report["documents"][name] = entry
    # A translated corpus (files NAME.LANG.txt) shows whether a document's suggestions are found again, grouped
    # across languages, in its translations: a term the other versions also yield is no accident of one text.
    versions_of = {}
    for doc in documents:
        match = re.match(r"^(.+)\.([a-z]{2})\.txt$", Path(titles[doc.doc_id]).name)
        if match:
            versions_of.setdefault(match.group(1), set()).add(doc.doc_id)
    if versions_of:
        shares = []
        for doc in documents:
            match = re.match(r"^(.+)\.([a-z]{2})\.txt$", Path(titles[doc.doc_id]).name)
            others = versions_of.get(match.group(1), set()) - {doc.doc_id} if match else set()
            mine = sorted((s for s in suggestions if doc.doc_id in s.documents), key=lambda s: -s.documents[doc.doc_id])[:10]
            if others and mine:
                shares.append(sum(bool(others & set(s.documents)) for s in mine) / len(mine))
        report["translations_agree_at_10"] = round(statistics.mean(shares), 3) if shares else None
    judged_docs = list(report["documents"].values())
    for k in ks:
        report[f"mean_p@{k}"] = round(statistics.mean(e[f"p@{k}"] for e in judged_docs), 3) if judged_docs else None
        report[f"min_p@{k}"] = min((e[f"p@{k}"] for e in judged_docs), default=None)
    report["groups_across_languages"] = [s.labels for s in suggestions if len(s.terms) > 1]
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.suggestions", description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", default=None, help="index directory (default: $KB_INDEX_DIR or data/index)")
    parser.add_argument("--judged", default=str(DEFAULT_JUDGED), help="judged true terms per document (JSON)")
    parser.add_argument("--json", action="store_true", help="print the whole report as JSON")
    parser.add_argument("--show", action="store_true", help="list every document's top suggestions with verdicts")
    parser.add_argument("--new", default=None, help="file-name pattern of the documents to suggest for "
                                                     "(default: those the judged file names, else all)")
    args = parser.parse_args(argv)
    judged = json.loads(Path(args.judged).read_text(encoding="utf-8"))["documents"] if args.judged else {}
    report = evaluate(Path(args.index_dir or Config.from_env().index_dir), judged, load_catalogue(), new=args.new)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    print("| document | shown | p@10 | p@20 | unjudged in top 10 |\n|---|---|---|---|---|")
    for name, entry in report["documents"].items():
        print(f"| {name} | {entry['shown']} | {entry['p@10']:.2f} | {entry['p@20']:.2f} | {entry['unjudged']} |")
        if args.show:
            for i, row in enumerate(entry["rows"], 1):
                print(f"   {i:2d}. {row['label']} [{row['lang']}] {row['score']} {row['verdict'] or '?'}"
                      + (f"  = {row['labels']}" if len(row["labels"]) > 1 else ""))
    print(f"mean p@10 {report['mean_p@10']}, min p@10 {report['min_p@10']}; mean p@20 {report['mean_p@20']},"
          f" min p@20 {report['min_p@20']} over {len(report['documents'])} documents")
    print(f"{report['suggestions']} suggestions; without a cited passage: {len(report['uncited'])};"
          f" cited spans not matching the passage: {len(report['misplaced'])} (uncited counts a passage without"
          f" its sentence too);"
          f" grouped across languages: {len(report['groups_across_languages'])}")
    if report.get("translations_agree_at_10") is not None:
        print(f"top-10 suggestions also suggested for a translation of the document: {report['translations_agree_at_10']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
