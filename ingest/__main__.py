"""python -m ingest PATH... : clean, language-tag, chunk and embed articles into the index."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from index.cliargs import config_from, config_options, embedder
from index.config import Config
from index.embedders import get_embedder
from index.errors import InvalidSetting, KBError, UnknownEmbedder
from index.stores import index_settings, open_store
from index.vectors.faiss import check_factory

from .chunking import ChunkingConfig
from . import limits
from .engines import ENGINES, EngineUnavailable, UnknownEngine, get_engine
from .loaders import SUPPORTED_SUFFIXES
from .pipeline import ingest

EXIT_OK, EXIT_NOTHING, EXIT_USAGE, EXIT_PARTIAL, EXIT_INDEX, EXIT_ENGINE = 0, 1, 2, 3, 4, 5

EPILOG = f"""\
formats: {', '.join(sorted(SUPPORTED_SUFFIXES))}; folders are read recursively, and a
metadata.json beside the files may give title, authors, date, publisher and lang per file name.
A document is known by its file's location: re-ingesting a file updates its document (also when
only its metadata or the chunking settings changed). A file whose name is already the source of
another existing file keeps both: the newcomer's source gains its folder (b/notes.txt). A file
with the same text as an indexed document (even in another encoding) is skipped as a duplicate.

limits: files up to {limits.MAX_FILE_BYTES // limits.MiB} MB, {limits.MAX_TEXT_CHARS:,} characters of text, at least
{limits.MIN_WORDS} words; PDF up to {limits.MAX_PDF_PAGES:,} pages; DOCX checked for zip bombs (docs/cli.md).

exit codes:
  0  everything ingested (or nothing had changed)
  1  nothing could be ingested (every path or file failed)
  2  bad command line
  3  some files failed, the rest were ingested and published
  4  index error (busy, damaged, built with another embedder)
  5  the ingest engine could not start (Ray not reachable)
  130 interrupted (Ctrl-C): nothing half-written is published

settings: KB_INDEX_DIR, KB_DATABASE_URL, KB_EMBEDDER, KB_FAISS_FACTORY (factory of a new index),
KB_VECTOR_BACKEND, KB_KEEP_VERSIONS, KB_INGEST_ENGINE, RAY_ADDRESS and the rest of docs/configuration.md;
a bad one is a bad command line (2). The options override them.
"""


class OneLineParser(argparse.ArgumentParser):
    """argparse, with a bad command line reported on one line (exit 2)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The command line of `python -m ingest`."""
    parser = OneLineParser(
        prog="python -m ingest",
        description="Ingest articles (txt, md, html, pdf, docx) into the knowledge base index. "
        "Unchanged files are skipped by content hash; every run publishes one new index version atomically.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter, parents=[config_options()],
    )
    parser.add_argument("paths", nargs="+", type=Path, help="files or folders to ingest")
    parser.add_argument("--embedder", type=embedder, default=None, help="e5-small (default) or st:<sentence-transformers model name or path>")
    parser.add_argument("--factory", default=None, help="FAISS index factory string, e.g. Flat or IVF1024,Flat: applies"
                        " from this run on (vectors are reused, nothing is re-embedded); without it an existing"
                        " index keeps its factory and a new one gets $KB_FAISS_FACTORY or Flat")
    parser.add_argument("--engine", choices=ENGINES, default=None,
                        help="where files are parsed, chunked and embedded: local (this process) or ray (Ray Data"
                        " on this machine's cores, or the cluster at $RAY_ADDRESS); default $KB_INGEST_ENGINE or local")
    parser.add_argument("--prune", action="store_true", help="remove documents whose files are gone from the folders given")
    parser.add_argument("--rebuild", action="store_true", help="re-embed everything into a fresh index (e.g. after"
                        " changing embedder); its factory is --factory, else $KB_FAISS_FACTORY, else Flat")
    parser.add_argument("--max-tokens", type=int, default=ChunkingConfig.max_tokens, help="chunk size in model tokens (default %(default)s)")
    parser.add_argument("--overlap-tokens", type=int, default=ChunkingConfig.overlap_tokens, help="overlap budget in tokens (default %(default)s)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    return parser


def _checked_settings(args: argparse.Namespace, config: Config):
    # Configuration errors are a bad command line, found before any file is read.
    settings = index_settings(config, factory=args.factory)
    if settings.backend == "faiss":
        dim = get_embedder(settings.embedder).dim
        for factory, origin in ((args.factory, "--factory"), (config.faiss_factory, "KB_FAISS_FACTORY")):
            if factory:
                try:
                    check_factory(factory, dim)
                except InvalidSetting as exc:
                    raise InvalidSetting(f"{origin}: {exc}") from None
    return settings


def main(argv: list[str] | None = None) -> int:
    """Run an ingest and print a summary; returns the exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    if not args.quiet:  # long steps of the index (lexicons, concept labels, suggestions) say what they are doing
        logging.getLogger("index").setLevel(logging.INFO)
    if args.max_tokens < 16 or not 0 <= args.overlap_tokens < args.max_tokens:
        print("error: need --max-tokens >= 16 and 0 <= --overlap-tokens < --max-tokens", file=sys.stderr)
        return EXIT_USAGE
    try:
        config = config_from(args)
        settings = _checked_settings(args, config)
        engine = get_engine(config.ingest_engine, config.ray_address)
    except (InvalidSetting, UnknownEmbedder, UnknownEngine) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    where = "in the database" if config.database_url else config.index_dir
    try:
        report = ingest(
            args.paths, open_store(config), settings,
            ChunkingConfig(args.max_tokens, args.overlap_tokens), prune=args.prune, rebuild=args.rebuild,
            progress=not args.quiet, engine=engine,
        )
    except EngineUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ENGINE
    except KBError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INDEX
    finally:
        engine.close()
    for line in report.renamed:
        print(f"note: {line}", file=sys.stderr)
    for line in report.duplicates:
        print(f"skipped: {line}", file=sys.stderr)
    for line in report.failed:
        print(f"skipped: {line}", file=sys.stderr)
    rate = report.chunks_embedded / report.embed_seconds if report.embed_seconds > 0 else 0.0
    tokens_rate = report.tokens_embedded / report.embed_seconds if report.embed_seconds > 0 else 0.0
    languages = ", ".join(f"{k}={v}" for k, v in sorted(report.languages.items())) or "-"
    print(
        f"ingested {report.ingested} document(s) (added {report.added}, updated {report.updated}, "
        f"unchanged {report.unchanged}, removed {report.removed}, duplicate {len(report.duplicates)}, "
        f"failed {len(report.failed)}); "
        f"{report.chunks} chunks, languages: {languages}\n"
        f"embedded {report.chunks_embedded} chunks / {report.tokens_embedded} tokens in {report.embed_seconds:.1f}s "
        f"({rate:.1f} chunks/s, {tokens_rate:.0f} tokens/s); total {report.seconds:.1f}s\n"
        f"index {where}: {report.version or 'unchanged'}, {report.total_documents} documents, {report.total_chunks} chunks"
    )
    if not (report.ingested or report.unchanged or report.removed or report.duplicates):
        if not report.failed:
            print("error: no files found to ingest", file=sys.stderr)
        return EXIT_NOTHING
    return EXIT_PARTIAL if report.failed else EXIT_OK


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # output piped into `head` and the like
        sys.exit(0)
    except KeyboardInterrupt:  # Ctrl-C: the index stays as it was last published
        print("interrupted", file=sys.stderr)
        sys.exit(130)
