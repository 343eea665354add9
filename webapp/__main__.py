"""python -m webapp : the Flask development server, for debugging (use `make run` / gunicorn to serve)."""
from __future__ import annotations

import argparse
import os
import sys

from index.cliargs import index_dir_option
from index.errors import KBError


def main(argv: list[str] | None = None) -> int:
    """Parse options and run the development server; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m webapp",
        description="Serve the knowledge base UI and JSON API with Flask's development server. "
        "For real use run `make run`, which serves the same app with gunicorn.",
        epilog="environment: KB_INDEX_DIR, KB_EMBEDDER, KB_ADMIN_TOKEN, KB_MAX_UPLOAD_MB, KB_LOG_LEVEL (see README). "
        "exit codes: 0 stopped normally; 2 bad command line; 3 the app could not be created.",
        parents=[index_dir_option()],
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 5000), help="port (default $PORT or 5000)")
    parser.add_argument("--debug", action="store_true", help="reload on code changes and show the debugger")
    args = parser.parse_args(argv)
    from . import create_app  # Flask and the index load after the options parse: --help stays quick

    try:
        app = create_app({"KB_INDEX_DIR": args.index_dir} if hasattr(args, "index_dir") else None)
    except KBError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    print(f"Serving http://{args.host}:{args.port} (development server)")
    app.run(host=args.host, port=args.port, debug=args.debug)
    return 0


if __name__ == "__main__":
    sys.exit(main())
