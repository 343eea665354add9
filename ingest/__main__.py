"""python -m ingest PATH... : clean, language-tag, chunk and embed articles into the index."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from index import settings
from index.cliargs import embedder
from index.errors import KBError

from .chunking import ChunkingConfig
from .loaders import SUPPORTED_SUFFIXES
from .pipeline import ingest

EXIT_OK, EXIT_NOTHING, EXIT_USAGE, EXIT_PARTIAL, EXIT_INDEX = 0, 1, 2, 3, 4

EPILOG = f"""\
formats: {', '.join(sorted(SUPPORTED_SUFFIXES))}; folders are read recursively, and a
metadata.json beside the files may give title, author and lang per file name.

exit codes:
  0  everything ingested (or nothing had changed)
  1  nothing could be ingested (every path or file failed)
  2  bad command line
  3  some files failed, the rest were ingested and published
  4  index error (busy, damaged, built with another embedder)

environment: KB_INDEX_DIR (default data/index), KB_EMBEDDER (default e5-small),
KB_FAISS_FACTORY (default Flat), KB_VECTOR_BACKEND (faiss|numpy), KB_KEEP_VERSIONS (default 3)
"""


def build_parser() -> argparse.ArgumentParser:
    """The command line of `python -m ingest`."""
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description="Ingest articles (txt, md, html, pdf, docx) into the knowledge base index. "
        "Unchanged files are skipped by content hash; every run publishes one new index version atomically.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", type=Path, help="files or folders to ingest")
    parser.add_argument("--index-dir", type=Path, default=None, help="index directory (default: $KB_INDEX_DIR or data/index)")
    parser.add_argument("--embedder", type=embedder, default=None, help="e5-small (default) or st:<sentence-transformers model name or path>")
    parser.add_argument("--factory", default=None, help="FAISS index factory string, e.g. Flat (default) or IVF1024,Flat")
    parser.add_argument("--prune", action="store_true", help="remove documents whose files are gone from the folders given")
    parser.add_argument("--rebuild", action="store_true", help="re-embed everything into a fresh index (e.g. after changing embedder)")
    parser.add_argument("--max-tokens", type=int, default=ChunkingConfig.max_tokens, help="chunk size in model tokens (default %(default)s)")
    parser.add_argument("--overlap-tokens", type=int, default=ChunkingConfig.overlap_tokens, help="overlap budget in tokens (default %(default)s)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run an ingest and print a summary; returns the exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    if args.max_tokens < 16 or not 0 <= args.overlap_tokens < args.max_tokens:
        print("error: need --max-tokens >= 16 and 0 <= --overlap-tokens < --max-tokens", file=sys.stderr)
        return EXIT_USAGE
    index_dir = args.index_dir or settings.index_dir()
    try:
        report = ingest(
            args.paths, index_dir, settings.index_settings(args.embedder, args.factory),
            ChunkingConfig(args.max_tokens, args.overlap_tokens), prune=args.prune, rebuild=args.rebuild,
            progress=not args.quiet,
        )
    except KBError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INDEX
    for line in report.failed:
        print(f"skipped: {line}", file=sys.stderr)
    rate = report.chunks_embedded / report.embed_seconds if report.embed_seconds > 0 else 0.0
    tokens_rate = report.tokens_embedded / report.embed_seconds if report.embed_seconds > 0 else 0.0
    languages = ", ".join(f"{k}={v}" for k, v in sorted(report.languages.items())) or "-"
    print(
        f"ingested {report.ingested} document(s) (added {report.added}, updated {report.updated}, "
        f"unchanged {report.unchanged}, removed {report.removed}, failed {len(report.failed)}); "
        f"{report.chunks} chunks, languages: {languages}\n"
        f"embedded {report.chunks_embedded} chunks / {report.tokens_embedded} tokens in {report.embed_seconds:.1f}s "
        f"({rate:.1f} chunks/s, {tokens_rate:.0f} tokens/s); total {report.seconds:.1f}s\n"
        f"index {index_dir}: {report.version or 'unchanged'}, {report.total_documents} documents, {report.total_chunks} chunks"
    )
    if not (report.ingested or report.unchanged or report.removed):
        if not report.failed:
            print("error: no files found to ingest", file=sys.stderr)
        return EXIT_NOTHING
    return EXIT_PARTIAL if report.failed else EXIT_OK


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # output piped into `head` and the like
        sys.exit(0)
