"""python -m ingest.jobs : the job runner, the one process that writes the index for the web app."""
from __future__ import annotations

import argparse
import logging
import signal
import sys

from index.cliargs import config_from, config_options
from index.errors import InvalidSetting, KBError

from ..engines import ENGINES, EngineUnavailable, UnknownEngine, get_engine
from .base import RunnerBusy
from .runner import MAX_ATTEMPTS, POLL_S, Runner

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_BUSY, EXIT_ENGINE = 0, 1, 2, 3, 4

EPILOG = """\
Uploads and deletions made over HTTP are queued as jobs in <index dir>/jobs/; this process runs them
one at a time, in order, and publishes each as a new index version. `make run` starts it beside
gunicorn. SIGTERM or SIGINT stops it cleanly: a job in progress goes back to the queue and runs again
at the next start, as does one whose runner was killed. Once serving, an unreachable database or a
full disk is waited out (retrying with backoff up to 5 s), never an exit; a job the full disk stopped
fails insufficient_storage, or runs again when its end could not be recorded. (At start they exit 1; `make run`
restarts the runner with backoff.)

exit codes: 0 stopped cleanly (or --once drained the queue); 1 a job or index error stopped it;
2 bad command line; 3 another runner already serves this index directory or database; 4 the
ingest engine could not start (Ray not reachable).
settings: KB_INDEX_DIR, KB_DATABASE_URL, KB_EMBEDDER, KB_VECTOR_BACKEND, KB_KEEP_VERSIONS (used when the
first job creates the index), KB_INGEST_ENGINE, RAY_ADDRESS (docs/configuration.md); a bad one exits 2.
"""


def build_parser() -> argparse.ArgumentParser:
    """The command line of `python -m ingest.jobs`."""
    parser = argparse.ArgumentParser(
        prog="python -m ingest.jobs", description="Run the web app's ingest jobs (uploads, deletions) in order.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter, parents=[config_options()],
    )
    parser.add_argument("--engine", choices=ENGINES, default=None, help="where uploads are parsed, chunked and"
                        " embedded: local or ray (default $KB_INGEST_ENGINE or local)")
    parser.add_argument("--poll", type=float, default=POLL_S, metavar="SECONDS", help="how often to look for new jobs (default %(default)s)")
    parser.add_argument("--max-attempts", type=int, default=MAX_ATTEMPTS, metavar="N",
                        help="give up a job that stopped its runner N times (default %(default)s)")
    parser.add_argument("--once", action="store_true", help="run the queued jobs, then exit")
    parser.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the job runner; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.poll <= 0 or args.max_attempts < 1:
        parser.error("--poll must be positive and --max-attempts at least 1")
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = config_from(args)
        engine = get_engine(config.ingest_engine, config.ray_address)
    except (InvalidSetting, UnknownEngine) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        runner = Runner(config, engine, poll_s=args.poll, max_attempts=args.max_attempts)
        signal.signal(signal.SIGTERM, runner.stop)
        signal.signal(signal.SIGINT, runner.stop)
        runner.serve(once=args.once)
    except RunnerBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except EngineUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ENGINE
    except (KBError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAIL
    finally:
        engine.close()
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
