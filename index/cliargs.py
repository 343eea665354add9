"""Command-line pieces every CLI shares: `--index-dir` wherever users write it, checked `--embedder`."""
from __future__ import annotations

import argparse
from pathlib import Path

from .embedders import get_embedder


def index_dir_option() -> argparse.ArgumentParser:
    """A parent parser holding `--index-dir`: give it to the main parser and to every subcommand.

    The default is SUPPRESS so that a subcommand that is not given the option does not reset the
    value written before it (`python -m index --index-dir D search q` and `... search q --index-dir D`).
    """
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--index-dir", type=Path, default=argparse.SUPPRESS, metavar="DIR",
                        help="index directory (default: $KB_INDEX_DIR or data/index)")
    return parent


def embedder(name: str) -> str:
    """argparse type for `--embedder`: a name that loads, else a bad command line (exit 2)."""
    try:
        get_embedder(name)
    except Exception as exc:  # unknown name, missing path, broken model: all mean the argument is wrong
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise argparse.ArgumentTypeError(f"cannot use embedder {name!r}: {reason}") from None
    return name
