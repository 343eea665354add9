"""python -m index : search, verify, inspect and export the knowledge base from the command line."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from . import settings, versions
from .cliargs import index_dir_option
from .errors import IndexCorrupt, IndexNotFound, KBError
from .ranking import MODES

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_NO_INDEX = 0, 1, 2, 3

EPILOG = """\
exit codes: 0 ok; 1 a check failed (verify, concepts check) or a bad query; 2 bad command line;
3 no index found or it cannot be opened.
environment: KB_INDEX_DIR (default data/index), KB_EMBEDDER (default e5-small).
"""


def build_parser() -> argparse.ArgumentParser:
    """The command line of `python -m index`."""
    common = index_dir_option()
    parser = argparse.ArgumentParser(
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

    commands.add_parser("verify", help="check every version's checksums and database; non-zero when the current one is damaged",
                        parents=[common])
    commands.add_parser("stats", help="counts, languages and embedder of the served version (JSON)", parents=[common])
    gc = commands.add_parser("gc", help="delete old versions and abandoned builds", parents=[common])
    gc.add_argument("--keep", type=int, default=versions.DEFAULT_KEEP, help="versions to keep (default %(default)s)")

    concepts = commands.add_parser("concepts", help="concept catalogue: lookup, check, export", parents=[common])
    concept_commands = concepts.add_subparsers(dest="concepts_command", required=True, metavar="ACTION")
    lookup = concept_commands.add_parser("lookup", help="free text in any language -> ranked concepts", parents=[common])
    lookup.add_argument("text", metavar="TEXT", type=_text, help="a concept's name or a phrase, in any language")
    lookup.add_argument("-k", "--k", type=_count, default=5, help="number of matches, 1-50 (default 5)")
    lookup.add_argument("--json", action="store_true", help="print the API's JSON")
    concept_commands.add_parser("check", help="report concepts with no grounded passage (exit 1 if any)", parents=[common])
    export = concept_commands.add_parser("export", help="export the catalogue", parents=[common])
    export.add_argument("--format", choices=("skos-jsonld", "markdown"), default="skos-jsonld")
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


def _verify(index_dir: Path) -> int:
    names = versions.published(index_dir)
    if not names:
        print(f"no index in {index_dir}", file=sys.stderr)
        return EXIT_NO_INDEX
    current = versions.current_name(index_dir)
    status = EXIT_OK
    for name in names:
        problems = versions.verify_version(versions.versions_dir(index_dir) / name)
        marker = "*" if name == current else " "
        print(f"{marker} {name}: {'ok' if not problems else 'DAMAGED'}")
        for problem in problems:
            print(f"    {problem}")
        if problems and name == current:
            status = EXIT_FAIL
    if current not in names:
        print(f"CURRENT points at {current!r}, which is not a complete version")
        status = EXIT_FAIL
    return status


def run(args: argparse.Namespace) -> int:
    """Dispatch a parsed command line."""
    index_dir = getattr(args, "index_dir", None) or settings.index_dir()
    if args.command == "verify":
        return _verify(index_dir)
    if args.command == "gc":
        with versions.writer_lock(index_dir):
            removed = versions.collect_garbage(index_dir, args.keep)
        print(f"removed {len(removed)} version(s): {', '.join(removed) or '-'}")
        return EXIT_OK
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
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    try:
        return run(args)
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
