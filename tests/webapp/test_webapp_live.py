"""The real server, started as `make run` starts it (nginx -> gunicorn), over HTTP; and schemathesis against it."""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest


def _get(url: str, headers: dict | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, dict(response.headers), response.read()


def test_served_like_make_run(live_server):
    status, headers, body = _get(f"{live_server}/api/search?q={quote('customer lock-on')}",
                                 {"X-Request-ID": "e2e-1"})
    assert status == 200 and headers["X-Request-ID"] == "e2e-1"
    assert json.loads(body)["results"][0]["source"] == "004_d0c1bd57fb5bdf5c.txt"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    status, _, page = _get(f"{live_server}/?q={quote('What are the three value disciplines?')}")
    assert status == 200 and b"<mark>" in page
    status, _, health = _get(f"{live_server}/healthz")
    assert json.loads(health)["status"] == "ok"


# Slow: schemathesis generates requests through nginx from the OpenAPI document, 15 examples per operation in
# `make test` (about 20 s), 100 in `make soak`.
@pytest.mark.slow
@pytest.mark.stress
def test_schemathesis_finds_no_server_error_or_schema_violation(live_server, tmp_path: Path, sized):
    st = Path(sys.executable).parent / "st"
    command = [
        str(st), "run", f"{live_server}/openapi.json",
        # Through the front (nginx) as users reach it; the last two checks hold the spec and the server's
        # parameter checks to each other (a value the spec allows is not a 400, one it forbids is not a 2xx).
        "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
                    "response_schema_conformance,response_headers_conformance,"
                    "negative_data_rejection,positive_data_acceptance",
        # One worker: with two, hypothesis parses source from two threads at once while describing the concept
        # body's strategies, and CPython 3.11's parser then fails ("AST constructor recursion depth mismatch").
        "--max-examples", str(sized(15, 100)), "--seed", "20240501", "--workers", "1", "--request-timeout", "60",
        "--generation-database", "none", "--no-color", "--report-dir", str(tmp_path),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=sized(150, 900), cwd=tmp_path)
    report = "\n".join(line[:240] for line in (result.stdout + result.stderr).splitlines() if line.strip())
    assert result.returncode == 0, report[-8000:]
