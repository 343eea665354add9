"""python -m index : search, verify, inspect and export the knowledge base from the command line."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .choices import MAX_K, MAX_QUERY_CHARS, MODES, SKOS_FORMATS
from .cliargs import EXIT_FAIL, EXIT_NO_INDEX, EXIT_USAGE, config_from, config_options
from .config import DEFAULT_KEEP_VERSIONS, SECRETS, markdown_table
from .errors import IndexCorrupt, IndexNotFound, InvalidSetting, KBError, StoreUnavailable

EPILOG = """\
exit codes: 0 ok; 1 a check failed (verify: a damaged current version, orphaned, missing or altered stored
uploads; concepts check; concepts import: an invalid vocabulary) or a bad query; 2 bad command line;
3 no index found or it cannot be opened, its database unreachable included (nothing is created then);
130 interrupted (Ctrl-C). A bad KB_* setting is a 2.
settings: every KB_* variable (`python -m index config` lists them and their values; docs/configuration.md);
--index-dir and --database-url override KB_INDEX_DIR and KB_DATABASE_URL.
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
    common = config_options()
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
    gc = commands.add_parser("gc", help="delete old versions, abandoned builds, segments no version names and"
                             " orphaned uploads", parents=[common])
    gc.add_argument("--keep", type=_positive, default=None,
                    help=f"versions to keep, at least 1 (default $KB_KEEP_VERSIONS, else {DEFAULT_KEEP_VERSIONS})")

    commands.add_parser("rollback", parents=[common],
                        help="when the current version is damaged (verify says so, writes are refused): serve the"
                             " newest sound version in its place, giving up the damaged one's changes (it is kept"
                             " aside as versions/damaged-NAME)")

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
    commands.add_parser("cache", parents=[common],
                        help="build the per-machine data now, not on first use (cached in KB_CACHE_DIR): gloss"
                             " lexicons and cross-language tables of every installed dictionary, the shipped"
                             " catalogue's label vectors; read when already cached")
    config = commands.add_parser("config", help="the settings in effect (KB_*=value), or their table (--markdown)",
                                 parents=[common])
    config.add_argument("--markdown", action="store_true", help="the table of every setting, as docs/configuration.md")
    return parser


def _text(raw: str) -> str:
    """argparse type of QUERY and TEXT: what the knowledge base accepts, checked before it loads."""
    if not raw.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    if len(raw) > MAX_QUERY_CHARS:
        raise argparse.ArgumentTypeError(f"is longer than {MAX_QUERY_CHARS} characters")
    return raw


def _count(raw: str) -> int:
    """argparse type of -k/--k."""
    if not raw.strip().lstrip("+-").isdigit() or not 1 <= int(raw) <= MAX_K:
        raise argparse.ArgumentTypeError(f"must be an integer between 1 and {MAX_K}, not {raw!r}")
    return int(raw)


def _print_config(config, markdown: bool) -> None:
    if markdown:
        print(markdown_table(), end="")
        return
    for name, value in sorted(config.environment().items()):
        print(f"{name}={'(set, not shown)' if name in SECRETS else value}")


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = build_parser().parse_args(argv)
    if args.command in ("search", "concepts"):  # lingua's seconds of loading overlap the rest of the start-up
        from .language import load_query_detector

        load_query_detector()
    # `cache` takes minutes on a fresh machine: its progress lines say what it is reading.
    logging.basicConfig(level=logging.INFO if args.command == "cache" else logging.WARNING,
                        format="%(levelname)s %(message)s")
    try:
        config = config_from(args)
        if args.command == "config":
            _print_config(config, args.markdown)
            return 0
        from .commands import run  # numpy, FAISS and the embedders load only when a command runs (start-up speed)

        return run(args, config)
    except InvalidSetting as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (IndexNotFound, IndexCorrupt, StoreUnavailable) as exc:  # an unreachable database is no failed check
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
    except KeyboardInterrupt:  # Ctrl-C: what was cached stays cached, a write in progress is never published
        print("interrupted", file=sys.stderr)
        sys.exit(130)
