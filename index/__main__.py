"""python -m index : search, verify, inspect and export the knowledge base from the command line."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from . import settings, uploads, versions
from .cliargs import index_dir_option
from .concepts.skos import FORMATS as SKOS_FORMATS, MAX_SKOS_BYTES
from .errors import IndexBusy, IndexCorrupt, IndexNotFound, InvalidSetting, KBError
from .ranking import MODES

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_NO_INDEX = 0, 1, 2, 3
UPLOADS_LOCK_WAIT_S = 10.0

EPILOG = """\
exit codes: 0 ok; 1 a check failed (verify: a damaged current version, orphaned or missing stored
uploads; concepts check; concepts import: an invalid vocabulary) or a bad query; 2 bad command line;
3 no index found or it cannot be opened (nothing is created then). A bad KB_* setting is a 2.
environment: KB_INDEX_DIR (default data/index), KB_EMBEDDER (default e5-small),
KB_KEEP_VERSIONS (versions gc keeps, default 3).
"""


class OneLineParser(argparse.ArgumentParser):
    """argparse, with a bad command line reported on one line (exit 2)."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def _positive(value: str) -> int:
    if not value.strip().isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"need a whole number, at least 1, not {value!r}")
    return int(value)


def build_parser() -> argparse.ArgumentParser:
    """The command line of `python -m index`."""
    common = index_dir_option()
    parser = OneLineParser(
        prog="python -m index", description="Query and check the knowledge base index.", epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter, parents=[common],
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    search = commands.add_parser("search", help="rank passages for a query in any language", parents=[common])
    search.add_argument("query", metavar="QUERY", type=_text, help="the question or keywords, in any language")
    search.add_argument("-k", "--k", type=_count, default=10, help="number of results, 1-50 (default 10)")
    search.add_argument("--lang", default=None, help="only passages in this language (ISO 639-1, e.g. sv)")
    search.add_argument("--mode", choices=MODES, default="hybrid", help="ranking mode (default hybrid)")
    search.add_argument("--group", action="store_true", help="one best passage per document")
    search.add_argument("--json", action="store_true", help="print the API's JSON instead of text")

    commands.add_parser("verify", help="check every version's checksums and database, and the stored uploads;"
                        " non-zero when the current version is damaged or uploads are orphaned or missing",
                        parents=[common])
    commands.add_parser("stats", help="counts, languages and embedder of the served version (JSON)", parents=[common])
    gc = commands.add_parser("gc", help="delete old versions, abandoned builds and orphaned uploads", parents=[common])
    gc.add_argument("--keep", type=_positive, default=None,
                    help=f"versions to keep, at least 1 (default $KB_KEEP_VERSIONS, else {versions.DEFAULT_KEEP})")

    merge = commands.add_parser(
        "merge", parents=[common],
        help="merge segments that writes left behind (tiers of ten, mostly deleted ones) into bigger ones;"
             " writes inline only merges up to 200k rows, this merges any size (writes wait meanwhile)")
    merge.add_argument("--max-rows", type=_positive, default=None,
                       help="leave merges bigger than this many rows for later (default: no limit)")

    concepts = commands.add_parser("concepts", help="concept catalogue: lookup, check, export, import", parents=[common])
    concept_commands = concepts.add_subparsers(dest="concepts_command", required=True, metavar="ACTION")
    lookup = concept_commands.add_parser("lookup", help="free text in any language -> ranked concepts", parents=[common])
    lookup.add_argument("text", metavar="TEXT", type=_text, help="a concept's name or a phrase, in any language")
    lookup.add_argument("-k", "--k", type=_count, default=5, help="number of matches, 1-50 (default 5)")
    lookup.add_argument("--json", action="store_true", help="print the API's JSON")
    concept_commands.add_parser("check", help="report concepts with no grounded passage (exit 1 if any)", parents=[common])
    export = concept_commands.add_parser("export", help="export the catalogue", parents=[common])
    export.add_argument("--format", choices=("skos-jsonld", "skos-turtle", "markdown"), default="skos-jsonld")
    load = concept_commands.add_parser(
        "import", help="replace the index's catalogue with a SKOS vocabulary (JSON-LD or Turtle)", parents=[common],
        description="Parse and validate a SKOS vocabulary, then publish it as the index's catalogue (a new index "
                    "version, with the concepts grounded afresh); an index directory without an index gets one with "
                    "no documents. With --check nothing is changed. Exit 0 when imported (or valid), 1 when the "
                    "vocabulary is invalid (the offending concept is named; nothing is changed).")
    load.add_argument("file", type=Path, help="a .ttl (Turtle) or .jsonld/.json (JSON-LD) file")
    load.add_argument("--format", choices=SKOS_FORMATS, default=None, help="default: from the file's extension")
    load.add_argument("--check", action="store_true", help="validate only, change nothing")
    return parser


def _text(raw: str) -> str:
    """argparse type of QUERY and TEXT: what the knowledge base accepts, checked before it loads."""
    from .service import MAX_QUERY_CHARS

    if not raw.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    if len(raw) > MAX_QUERY_CHARS:
        raise argparse.ArgumentTypeError(f"is longer than {MAX_QUERY_CHARS} characters")
    return raw


def _count(raw: str) -> int:
    """argparse type of -k/--k."""
    from .service import MAX_K

    if not raw.strip().lstrip("+-").isdigit() or not 1 <= int(raw) <= MAX_K:
        raise argparse.ArgumentTypeError(f"must be an integer between 1 and {MAX_K}, not {raw!r}")
    return int(raw)


def _print_search(response) -> None:
    detected = response.query_lang if response.query_lang != "und" else f"uncertain (maybe {response.query_lang_guess})"
    print(f"query language: {detected}, confidence {response.query_lang_confidence:.2f}   mode: {response.mode}"
          f"   {response.took_ms:.1f} ms")
    for card in response.concepts:
        print(f"concept: {card['label']} ({card['id']}): {card['definition']}")
    for r in response.results:
        print(f"\n{r.rank:>2}. [{r.lang}] {r.title}  ({r.source}, chunk {r.chunk_id})  score {r.score:.3f}")
        print(f"    » {r.highlight['sentence']}")
        if r.concepts:
            print(f"    concepts: {', '.join(r.concepts)}")


def _merge(index_dir: Path, max_rows: int | None) -> int:
    from .stores import open_store

    store = open_store(index_dir, settings.database_url())
    if store.current() is None:
        raise IndexNotFound(f"no index in {index_dir}")
    with store.writer(settings.settings_of(index_dir)) as writer:
        published = writer.merge(max_rows)
    for version in published:
        print(f"published {version.version} ({version.documents} documents, {version.chunks} chunks)")
    print(f"{len(published)} merge(s)" if published else "nothing to merge")
    return EXIT_OK


def _verify(index_dir: Path) -> int:
    from .stores import open_store

    store = open_store(index_dir, settings.database_url())
    current = store.current()
    names = versions.published(index_dir)
    if current is None and not names:
        print(f"no index in {index_dir}", file=sys.stderr)
        return EXIT_NO_INDEX
    status = EXIT_OK
    # Older versions: their checksums. The current one: the store's whole check, every passage read back.
    for name in [n for n in names if n != current] + ([current] if current else []):
        problems = store.verify() if name == current else versions.verify_version(versions.versions_dir(index_dir) / name)
        marker = "*" if name == current else " "
        print(f"{marker} {name}: {'ok' if not problems else 'DAMAGED'}"
              + (_read_back(store) if name == current and not problems else ""))
        for problem in problems:
            print(f"    {problem}")
        if problems and name == current:
            status = EXIT_FAIL
    if not settings.database_url() and current not in names:
        print(f"CURRENT points at {current!r}, which is not a complete version")
        status = EXIT_FAIL
    return max(status, _verify_uploads(index_dir))


def _read_back(store) -> str:
    snapshot = store.snapshot()
    return f" (every one of {snapshot.n_documents} documents and {snapshot.n_chunks} passages read back)"


def _verify_uploads(index_dir: Path) -> int:
    # Under the writer lock: a write in progress places its file just before it publishes.
    try:
        with versions.writer_lock(index_dir, timeout=UPLOADS_LOCK_WAIT_S):
            orphans, missing = uploads.orphans(index_dir), uploads.missing(index_dir)
    except IndexBusy:
        print("uploads: not checked, a writer is busy (try again)")
        return EXIT_OK
    print(f"uploads: {len(uploads.stored(index_dir)) - len(orphans)} stored for indexed documents, "
          f"{len(orphans)} orphaned, {len(missing)} missing")
    for path in orphans:
        print(f"    orphan: {uploads.UPLOADS}/{path.name} (no document names it; `gc` removes it)")
    for source in missing:
        print(f"    missing: {source} (an indexed document's stored upload is gone)")
    return EXIT_FAIL if orphans or missing else EXIT_OK


def run(args: argparse.Namespace) -> int:
    """Dispatch a parsed command line."""
    index_dir = getattr(args, "index_dir", None) or settings.index_dir()
    if args.command == "verify":
        return _verify(index_dir)
    if args.command == "concepts" and args.concepts_command == "import":
        return _import(args, index_dir)
    if args.command == "gc":
        keep = args.keep or settings.keep_versions()
        if not versions.current_name(index_dir) and not versions.published(index_dir):
            raise IndexNotFound(f"no index in {index_dir}")
        with versions.writer_lock(index_dir):
            removed = versions.collect_garbage(index_dir, keep)
            orphans = uploads.collect(index_dir)
        print(f"removed {len(removed)} version(s): {', '.join(removed) or '-'}")
        print(f"removed {len(orphans)} orphaned upload(s)")
        return EXIT_OK
    if args.command == "merge":
        return _merge(index_dir, args.max_rows)
    from .service import KnowledgeBase

    kb = KnowledgeBase(index_dir)
    if args.command == "search":
        response = kb.search(args.query, k=args.k, lang=args.lang, mode=args.mode, group=args.group)
        if args.json:
            print(json.dumps(response.to_dict(), ensure_ascii=False, indent=2))
        else:
            _print_search(response)
        return EXIT_OK
    if args.command == "stats":
        print(json.dumps(kb.stats(), ensure_ascii=False, indent=2))
        return EXIT_OK
    return _concepts(kb, args)


_SKOS_SUFFIXES = {".ttl": "turtle", ".turtle": "turtle", ".jsonld": "json-ld", ".json": "json-ld"}


def _import(args: argparse.Namespace, index_dir: Path) -> int:
    from .catalogue_writes import update_catalogue
    from .concepts import import_skos

    fmt = args.format or _SKOS_SUFFIXES.get(args.file.suffix.lower())
    if fmt is None:
        print(f"error: cannot tell the format of {args.file.name}; pass --format json-ld|turtle", file=sys.stderr)
        return EXIT_USAGE
    try:
        with open(args.file, "rb") as handle:
            data = handle.read(MAX_SKOS_BYTES + 1)  # one byte more tells a file that is too big
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return EXIT_FAIL
    catalogue = import_skos(data, fmt, source=args.file.name)  # CatalogueError -> exit 1 in main
    terms = catalogue.all_terms()
    summary = (f"{len(catalogue)} concepts, {len(terms)} labels and aliases in {len(catalogue.languages())} languages"
               f" ({', '.join(catalogue.languages())})")
    if args.check:
        print(f"{args.file.name}: valid; {summary}; nothing changed (--check)")
        return EXIT_OK
    update = update_catalogue(index_dir, settings.settings_of(index_dir), lambda current: catalogue)
    if update.version is None:
        print(f"{args.file.name}: the index's catalogue is this vocabulary already; nothing changed")
    else:
        print(f"{args.file.name}: imported {summary}; {len(update.changed)} concepts added, changed or removed;"
              f" published {update.version}")
    return EXIT_OK


def _concepts(kb, args: argparse.Namespace) -> int:
    if args.concepts_command == "lookup":
        matches = kb.lookup(args.text, k=args.k)
        if args.json:
            print(json.dumps({"query": args.text, "matches": matches}, ensure_ascii=False, indent=2))
        for m in [] if args.json else matches:
            print(f"{m['score']:.3f}  {m['id']:<32} {m['label']}  [{m['family']}, {m['via']}]")
        return EXIT_OK
    if args.concepts_command == "check":
        missing = kb.ungrounded_concepts()
        for concept_id in missing:
            print(f"no supporting passage: {concept_id}")
        print(f"{len(kb.concepts()) - len(missing)} of {len(kb.concepts())} concepts grounded")
        return EXIT_FAIL if missing else EXIT_OK
    print(kb.export_concepts(args.format))
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = build_parser().parse_args(argv)
    if args.command in ("search", "concepts"):  # lingua's seconds of loading overlap the rest of the start-up
        from .language import load_query_detector

        load_query_detector()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    try:
        return run(args)
    except InvalidSetting as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (IndexNotFound, IndexCorrupt) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_NO_INDEX
    except KBError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAIL


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # output piped into `head` and the like
        sys.exit(0)
