"""Build a labelled translated corpus from the Debian Reference (Debian packages debian-reference-LANG).

The same system-administration guide is published in several languages, HTML generated from one
DocBook source, so a section has the same anchor id in every translation. Each section that is
translated in every language becomes one document per language; a query written in one language
must find the section's versions in the other languages.

    python -m eval.build_corpus OUT_DIR [--langs en,de,fr,es,it,pt] [--sections 60]

writes OUT_DIR/docs/*.txt with OUT_DIR/docs/metadata.json (title, lang), and two query sets in the
harness's format: OUT_DIR/queries-title.jsonl (the section title, a short query) and
OUT_DIR/queries-sentence.jsonl (the section's first sentence, a longer one). `docs` lists the
other languages' versions; `exclude` names the query's own-language version, which the harness
leaves out when scoring (it would find itself). Score with
`make eval EVAL_CORPUS=OUT_DIR/docs EVAL_QUERIES=OUT_DIR/queries-title.jsonl EVAL_CONCEPTS=`.

Packages are fetched with `apt-get download` (no root needed) and unpacked with `dpkg -x` in a
temporary folder; `--debs DIR` reuses .deb files already downloaded there.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

from index.language import detect
from index.text import sentence_spans

DEFAULT_LANGS = ("en", "de", "fr", "es", "it", "pt")
# A section shorter than this (in its English original) is a heading with a table, not a document.
MIN_CHARS = 400
# Long sections are cut at a paragraph boundary: the corpus stays small and quick to embed.
MAX_CHARS = 2500
_NUMBERING = re.compile(r"^\s*(?:[A-Z]?\d+(?:\.\d+)*\.?|[A-Z]\.\d+(?:\.\d+)*\.?)\s+")


class _Sections(HTMLParser):
    """Collects (anchor id, title, paragraphs) for every titled section of one DocBook HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[dict] = []
        self._heading: dict | None = None
        self._block: list[str] | None = None
        self._skip = 0  # depth inside <pre>, data tables and tables of contents

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if self._skip:
            if tag in ("pre", "table", "div", "dl"):
                self._skip += 1
            return
        if tag == "pre" or (tag == "table" and a.get("class") == "table") or (
                tag in ("div", "dl") and a.get("class") in ("toc", "list-of-tables")):
            self._skip = 1
        elif tag in ("h2", "h3", "h4") and a.get("class") == "title":
            self._heading = {"id": None, "title": []}
        elif tag == "a" and self._heading is not None and a.get("id") and not self._heading["id"]:
            self._heading["id"] = a["id"]
        elif tag in ("p", "li", "dt", "dd") and self._heading is None and self.sections:
            self._close_block()
            self._block = []

    def handle_endtag(self, tag: str) -> None:
        if self._skip:
            if tag in ("pre", "table", "div", "dl"):
                self._skip -= 1
            return
        if tag in ("h2", "h3", "h4") and self._heading is not None:
            title = " ".join("".join(self._heading["title"]).split())
            if self._heading["id"]:
                self._close_block()
                self.sections.append({"id": self._heading["id"], "title": _NUMBERING.sub("", title), "paras": []})
            self._heading = None
        elif tag in ("p", "li", "dt", "dd"):
            self._close_block()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._heading is not None:
            self._heading["title"].append(data)
        elif self._block is not None:
            self._block.append(data)

    def _close_block(self) -> None:
        if self._block is not None and self.sections:
            text = " ".join("".join(self._block).split())
            if text:
                self.sections[-1]["paras"].append(text)
        self._block = None


def fetch(langs: list[str], work: Path, debs: Path | None) -> Path:
    """Download (unless `debs` holds them) and unpack the packages; returns the HTML folder."""
    source = debs or work
    if debs is None:
        packages = [f"debian-reference-{lang}" for lang in langs]
        subprocess.run(["apt-get", "download", *packages], cwd=work, check=True,
                       stdout=subprocess.DEVNULL)
    for deb in sorted(source.glob("debian-reference-*.deb")):
        subprocess.run(["dpkg", "-x", str(deb), str(work / "root")], check=True)
    return work / "root" / "usr" / "share" / "debian-reference"


def sections(html_dir: Path, lang: str) -> dict[str, dict]:
    """anchor id -> {title, text} of every section in one language's pages."""
    found: dict[str, dict] = {}
    for page in sorted(html_dir.glob(f"*.{lang}.html")):
        parser = _Sections()
        parser.feed(page.read_text(encoding="utf-8"))
        for s in parser.sections:
            text, paras = "", s["paras"]
            for para in paras:
                if text and len(text) + len(para) > MAX_CHARS:
                    break
                text = f"{text}\n\n{para}" if text else para
            found.setdefault(s["id"], {"title": s["title"], "text": text})
    return found


def _first_sentence(text: str) -> str:
    spans = sentence_spans(text)
    start, end = spans[0] if spans else (0, len(text))
    return text[start:end]


def build(out: Path, langs: list[str], wanted: int, debs: Path | None) -> dict:
    """Write the corpus and its query sets; returns counts."""
    with tempfile.TemporaryDirectory(prefix="debref-") as tmp:
        html_dir = fetch(langs, Path(tmp), debs)
        by_lang = {lang: sections(html_dir, lang) for lang in langs}
    # A section qualifies when every language has it, long enough, and really translated
    # (an untranslated paragraph left in English would make the task same-language).
    eligible = [
        anchor for anchor in sorted(by_lang[langs[0]])
        if all(anchor in by_lang[lang] and by_lang[lang][anchor]["title"] for lang in langs)
        and all(len(by_lang[lang][anchor]["text"]) >= MIN_CHARS for lang in langs)
        and all(detect(by_lang[lang][anchor]["text"]) == lang for lang in langs)
    ]
    step = max(1, len(eligible) / max(1, wanted))
    chosen = [eligible[int(i * step)] for i in range(min(wanted, len(eligible)))]
    docs = out / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    metadata, title_queries, sentence_queries = {}, [], []
    for number, anchor in enumerate(chosen):
        names = {lang: f"s{number:03d}.{lang}.txt" for lang in langs}
        for lang in langs:
            section = by_lang[lang][anchor]
            (docs / names[lang]).write_text(f"{section['title']}\n\n{section['text']}\n", encoding="utf-8")
            metadata[names[lang]] = {"title": section["title"], "lang": lang, "anchor": anchor}
            others = [names[o] for o in langs if o != lang]
            base = {"lang": lang, "docs": others, "exclude": [names[lang]], "phrases": []}
            title_queries.append({"qid": f"t{number:03d}.{lang}", "query": section["title"], **base})
            sentence_queries.append({"qid": f"f{number:03d}.{lang}", "query": _first_sentence(section["text"]), **base})
    (docs / "metadata.json").write_text(json.dumps(metadata, ensure_ascii=False, indent=1), encoding="utf-8")
    for name, records in (("queries-title.jsonl", title_queries), ("queries-sentence.jsonl", sentence_queries)):
        (out / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return {"eligible": len(eligible), "sections": len(chosen), "documents": len(metadata),
            "queries": len(title_queries) + len(sentence_queries)}


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and build."""
    parser = argparse.ArgumentParser(prog="python -m eval.build_corpus", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="folder to write docs/ and the query files into")
    parser.add_argument("--langs", default=",".join(DEFAULT_LANGS), help="comma-separated languages, first is the reference")
    parser.add_argument("--sections", type=int, default=60, help="sections to keep (evenly spread over the guide)")
    parser.add_argument("--debs", type=Path, default=None, help="folder with debian-reference-*.deb already downloaded")
    args = parser.parse_args(argv)
    try:
        counts = build(args.out, [x.strip() for x in args.langs.split(",") if x.strip()], args.sections, args.debs)
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"build_corpus: {error}", file=sys.stderr)
        return 1
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
