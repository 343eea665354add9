"""The safe log format: client text stays on its record's line, escaped and capped."""
from __future__ import annotations

import io
import logging

from webapp.logs import FORMAT, MAX_MESSAGE_CHARS, TRACEBACK_MARK, SafeFormatter


def _logged(emit) -> list[str]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(SafeFormatter(FORMAT))
    logger = logging.getLogger("webapp.test-logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        emit(logger)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue().splitlines()


def test_newlines_and_escapes_in_arguments_stay_on_one_line():
    name = "notes.txt\n2026-11-24 00:00:00,000 ERROR webapp: forged\r\x1b[2J\u2028x"
    lines = _logged(lambda log: log.warning("upload %s refused", name))
    assert len(lines) == 1
    assert "notes.txt\\n2026-11-24 00:00:00,000 ERROR webapp: forged\\r\\x1b[2J\\u2028x refused" in lines[0]


def test_long_messages_are_capped():
    (line,) = _logged(lambda log: log.warning("q=%s", "a" * 100_000))
    assert len(line) < MAX_MESSAGE_CHARS + 200 and line.endswith("more characters]")


def test_traceback_lines_are_marked_so_none_passes_for_a_record():
    def emit(log):
        try:
            raise ValueError("bad name\n2026-11-24 00:00:00,000 ERROR webapp: forged")
        except ValueError:
            log.exception("failed")

    lines = _logged(emit)
    assert lines[0].endswith("failed")
    assert all(line.startswith(TRACEBACK_MARK) for line in lines[1:]) and len(lines) > 2
    assert any("forged" in line for line in lines[1:])
