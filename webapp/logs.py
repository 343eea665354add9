"""The app's log format: whatever a client sends (paths, file names, queries) can never forge a log line.

Every message is escaped (control characters, including newlines, become visible escapes such as \\n) and capped
in length; a traceback keeps its lines, each indented under a marker, so none of them can pass for a record.
"""
from __future__ import annotations

import logging
import re

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MAX_MESSAGE_CHARS = 2000
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
TRACEBACK_MARK = "    | "


def escape(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """`text` on one line with control characters escaped, cut at `limit` characters."""
    if len(text) > limit:
        text = f"{text[:limit]}...[{len(text) - limit} more characters]"
    return _UNSAFE.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), text)


class SafeFormatter(logging.Formatter):
    """A formatter that writes each record's message on one escaped, capped line."""

    def format(self, record: logging.LogRecord) -> str:
        saved = record.msg, record.args, record.exc_text
        # exc_text may hold a traceback another handler formatted (and cached) its own way: format it anew.
        record.msg, record.args, record.exc_text = escape(record.getMessage()), None, None
        try:
            return super().format(record)
        finally:
            record.msg, record.args, record.exc_text = saved

    def formatException(self, ei) -> str:
        return _marked(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return _marked(super().formatStack(stack_info))


def _marked(text: str) -> str:
    """Multi-line text (a traceback) with every line escaped and indented under the marker."""
    return "\n".join(TRACEBACK_MARK + escape(line) for line in text.splitlines())


def configure(level: str) -> None:
    """Log to stderr in the safe format unless the host (a test runner, an embedding app) has set logging up."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(SafeFormatter(FORMAT))
        root.addHandler(handler)
    for name in ("webapp", "index"):
        logging.getLogger(name).setLevel(level)
