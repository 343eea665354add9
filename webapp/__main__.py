"""python -m webapp : the Flask development server, for debugging (use `make run` / gunicorn to serve)."""
from __future__ import annotations

import argparse
import sys

from index.cliargs import config_from, config_options
from index.errors import InvalidSetting, KBError


def main(argv: list[str] | None = None) -> int:
    """Parse options and run the development server; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m webapp",
        description="Serve the knowledge base UI and JSON API with Flask's development server. "
        "For real use run `make run`, which serves the same app with gunicorn.",
        epilog="settings: KB_INDEX_DIR, KB_DATABASE_URL, KB_EMBEDDER, KB_ADMIN_TOKEN, PORT and the rest of "
        "docs/configuration.md. exit codes: 0 stopped normally; 2 bad command line or setting; 3 the app could not "
        "be created.",
        parents=[config_options()],
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    parser.add_argument("--port", type=int, default=None, help="port (default $PORT or 5000)")
    parser.add_argument("--debug", action="store_true", help="reload on code changes and show the debugger")
    args = parser.parse_args(argv)
    try:
        config = config_from(args).replace(**({"port": args.port} if args.port is not None else {}))
    except InvalidSetting as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from . import create_app  # Flask and the engine load only to serve (start-up speed of --help)

    try:
        app = create_app(config)
    except KBError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    print(f"Serving http://{args.host}:{config.port} (development server)")
    app.run(host=args.host, port=config.port, debug=args.debug)
    return 0


if __name__ == "__main__":
    sys.exit(main())
