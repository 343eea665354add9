"""Build a labelled translated corpus from a Debian documentation package translated into several languages.

Each guide is HTML generated from one DocBook source, so a section has the same anchor in every
translation. Each section that is translated in every language becomes one document per language; a
query written in one language must find the section's versions in the other languages. Sources:

    debref    the Debian Reference (debian-reference-LANG), en de fr es it pt ...
    handbook  the Debian Administrator's Handbook (debian-handbook), en de da no nl sv fr ...
    install   the Debian installation guide (installation-guide-amd64), en de da nl sv fr ...

    python -m eval.build_corpus OUT_DIR [--source debref] [--langs en,de,...] [--sections 60] [--max-chars 2500]
        [--split dev]

writes OUT_DIR/docs/*.txt with OUT_DIR/docs/metadata.json (title, lang, anchor), OUT_DIR/corpus.json
(source, languages, split, counts) and two query sets in the harness's format:
OUT_DIR/queries-title.jsonl (the section title, a short query) and OUT_DIR/queries-sentence.jsonl
(the section's first sentence of at least MIN_WORDS words, a full question). `docs` lists the other
languages' versions; `exclude` names the query's own-language version, which the harness leaves out
when scoring (it would find itself). Score with `python -m eval.corpora --corpus OUT_DIR`.

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
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable

from index.language import detect
from index.text import sentence_spans

# A section shorter than this (in any language) is a heading with a table, not a document.
MIN_CHARS = 400
# Long sections are cut at a paragraph boundary after this many characters (--max-chars): the corpus
# stays small and quick to embed.
MAX_CHARS = 2500
# A sentence query has at least this many words: a fragment before a code sample is no question.
MIN_WORDS = 6
_NUMBERING = re.compile(r"^\s*(?:[A-Z]?\d+(?:\.\d+)*\.?|[A-Z]\.\d+(?:\.\d+)*\.?)\s+")
_BLOCKS = ("p", "li", "dt", "dd")


@dataclass(frozen=True)
class Source:
    """One translated guide: its packages and where each language's HTML pages are once unpacked."""

    packages: Callable[[list[str]], list[str]]
    pages: Callable[[Path, str], list[Path]]
    default_langs: tuple[str, ...]


def _locale_dir(base: Path, lang: str) -> Path:
    # Folders are named by locale (nb-NO, sv-SE, pt-BR) or bare code (da, zh_CN); Norwegian is nb.
    code = {"no": "nb"}.get(lang, lang)
    named = sorted(p for p in base.iterdir() if p.is_dir() and re.split(r"[-_]", p.name)[0] == code)
    return named[0] if named else base / code


SOURCES = {
    "debref": Source(lambda langs: [f"debian-reference-{lang}" for lang in langs],
                     lambda root, lang: sorted((root / "usr/share/debian-reference").glob(f"*.{lang}.html")),
                     ("en", "de", "fr", "es", "it", "pt")),
    "handbook": Source(lambda langs: ["debian-handbook"],
                       lambda root, lang: sorted(_locale_dir(root / "usr/share/doc/debian-handbook/html", lang).glob("*.html")),
                       ("en", "de", "da", "no", "nl", "sv")),
    "install": Source(lambda langs: ["installation-guide-amd64"],
                      lambda root, lang: sorted(_locale_dir(root / "usr/share/doc/installation-guide-amd64", lang).glob("*.html")),
                      ("en", "de", "da", "nl", "sv")),
}


class _Sections(HTMLParser):
    """Collects (anchor id, title, paragraphs) for every titled section of one DocBook HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[dict] = []
        self._heading: dict | None = None
        self._block: list[str] | None = None
        self._skip = 0  # depth inside <pre>, data tables and tables of contents
        self._divs: list[bool] = []  # open <div>s, True for a paragraph (<div class="para">)

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
        elif tag == "a" and self._heading is not None and (a.get("id") or a.get("name")) and not self._heading["id"]:
            self._heading["id"] = a.get("id") or a.get("name")
        elif tag == "div":
            self._divs.append(a.get("class") == "para")
            if self._divs[-1]:
                self._open_block()
        elif tag in _BLOCKS:
            self._open_block()

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
        elif tag == "div":
            if self._divs and self._divs.pop():
                self._close_block()
        elif tag in _BLOCKS:
            self._close_block()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._heading is not None:
            self._heading["title"].append(data)
        elif self._block is not None:
            self._block.append(data)

    def _open_block(self) -> None:
        if self._heading is None and self.sections:
            self._close_block()
            self._block = []

    def _close_block(self) -> None:
        if self._block is not None and self.sections:
            text = " ".join("".join(self._block).split())
            if text:
                self.sections[-1]["paras"].append(text)
        self._block = None


def fetch(source: Source, langs: list[str], work: Path, debs: Path | None) -> Path:
    """Download (unless `debs` holds them) and unpack the source's packages; returns the unpacked root."""
    packages = source.packages(langs)
    if debs is None:
        subprocess.run(["apt-get", "download", *packages], cwd=work, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for package in packages:
        for deb in sorted((debs or work).glob(f"{package}_*.deb")):
            subprocess.run(["dpkg", "-x", str(deb), str(work / "root")], check=True)
    return work / "root"


def sections(pages: list[Path], max_chars: int = MAX_CHARS) -> dict[str, dict]:
    """anchor id -> {title, text, paras} of every section in one language's pages."""
    found: dict[str, dict] = {}
    for page in pages:
        parser = _Sections()
        parser.feed(page.read_text(encoding="utf-8"))
        for s in parser.sections:
            text = ""
            for para in s["paras"]:
                if text and len(text) + len(para) > max_chars:
                    break
                text = f"{text}\n\n{para}" if text else para
            found.setdefault(s["id"], {"title": s["title"], "text": text})
    return found


def question(text: str) -> str:
    """The first sentence of at least MIN_WORDS words (else the first sentence)."""
    spans = sentence_spans(text) or [(0, len(text))]
    sentences = [text[start:end] for start, end in spans]
    return next((s for s in sentences if len(s.split()) >= MIN_WORDS), sentences[0])


def build(out: Path, source: str, langs: list[str], wanted: int, debs: Path | None, split: str,
          max_chars: int = MAX_CHARS) -> dict:
    """Write the corpus and its query sets; returns counts."""
    guide = SOURCES[source]
    with tempfile.TemporaryDirectory(prefix=f"{source}-") as tmp:
        root = fetch(guide, langs, Path(tmp), debs)
        by_lang = {lang: sections(guide.pages(root, lang), max_chars) for lang in langs}
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
            sentence_queries.append({"qid": f"f{number:03d}.{lang}", "query": question(section["text"]), **base})
    (docs / "metadata.json").write_text(json.dumps(metadata, ensure_ascii=False, indent=1), encoding="utf-8")
    for name, records in (("queries-title.jsonl", title_queries), ("queries-sentence.jsonl", sentence_queries)):
        (out / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    counts = {"eligible": len(eligible), "sections": len(chosen), "documents": len(metadata),
              "queries": len(title_queries) + len(sentence_queries)}
    description = {"source": source, "packages": guide.packages(langs), "langs": langs, "split": split,
                   "max_chars": max_chars, **counts}
    (out / "corpus.json").write_text(json.dumps(description, indent=1) + "\n", encoding="utf-8")
    return counts


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and build."""
    parser = argparse.ArgumentParser(prog="python -m eval.build_corpus", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="folder to write docs/ and the query files into")
    parser.add_argument("--source", choices=sorted(SOURCES), default="debref", help="the translated guide")
    parser.add_argument("--langs", default=None, help="comma-separated languages, first is the reference (default: the source's)")
    parser.add_argument("--sections", type=int, default=60, help="sections to keep (evenly spread over the guide)")
    parser.add_argument("--split", choices=("dev", "test"), default="dev",
                        help="dev: for tuning; test: measured, never tuned on (recorded in corpus.json)")
    parser.add_argument("--max-chars", type=int, default=MAX_CHARS, help="cut each section after this many characters")
    parser.add_argument("--debs", type=Path, default=None, help="folder with the source's .deb files already downloaded")
    args = parser.parse_args(argv)
    langs = [x.strip() for x in args.langs.split(",") if x.strip()] if args.langs else list(SOURCES[args.source].default_langs)
    try:
        counts = build(args.out, args.source, langs, args.sections, args.debs, args.split, args.max_chars)
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"build_corpus: {error}", file=sys.stderr)
        return 1
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
