"""Command-line pieces every CLI shares: the settings users override on the command line, checked `--embedder`.

Only the stdlib and `index.config` are imported here, so `--help` answers without loading the engine.
"""
from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path

from .config import Config

# Exit codes of `python -m index` (the other CLIs share 0 and 2).
EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_NO_INDEX = 0, 1, 2, 3
# Options that override a setting: option destination -> Config field.
OVERRIDES = {"index_dir": "index_dir", "database_url": "database_url", "embedder": "embedder", "engine": "ingest_engine"}


def config_options() -> argparse.ArgumentParser:
    """A parent parser holding `--index-dir` and `--database-url`: give it to the main parser and to every subcommand.

    The defaults are SUPPRESS so that a subcommand that is not given an option does not reset the
    value written before it (`python -m index --index-dir D search q` and `... search q --index-dir D`).
    """
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--index-dir", type=Path, default=argparse.SUPPRESS, metavar="DIR",
                        help="index directory (default: $KB_INDEX_DIR or data/index)")
    parent.add_argument("--database-url", default=argparse.SUPPRESS, metavar="URL",
                        help="keep the index in this PostgreSQL database (default: $KB_DATABASE_URL)")
    return parent


def config_from(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Config:
    """The environment's configuration with the command line's overrides; InvalidSetting names a bad value."""
    changes = {field: getattr(args, dest) for dest, field in OVERRIDES.items() if getattr(args, dest, None) is not None}
    return Config.from_env(environ).replace(**changes)


def embedder(name: str) -> str:
    """argparse type for `--embedder`: a name that loads, else a bad command line (exit 2)."""
    from .embedders import get_embedder  # loads numpy and the model code: only when the option is given (start-up)

    try:
        get_embedder(name)
    except Exception as exc:  # unknown name, missing path, broken model: all mean the argument is wrong
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise argparse.ArgumentTypeError(f"cannot use embedder {name!r}: {reason}") from None
    return name
