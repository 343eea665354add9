"""App factory, configuration, security headers, request ids and error handling."""
from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from ingest.pipeline import ingest
from tests.conftest import copy_index
from webapp import create_app, kb as kb_module
from webapp.serve import die_with_parent
from tests.configs import store_for


def test_upload_limit_follows_config(seed_index):
    app = create_app({"KB_INDEX_DIR": str(seed_index), "KB_MAX_UPLOAD_MB": 1})
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024


@pytest.mark.parametrize("path", ["/", "/api/search?q=x", "/healthz", "/static/style.css", "/nope"])
def test_security_headers_on_every_response(client, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"]


def test_request_id_is_echoed_or_made(client, caplog):
    with caplog.at_level(logging.INFO, logger="webapp"):
        given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    assert any("request_id=abc-123" in r.getMessage() and r.levelno == logging.INFO for r in caplog.records)
    made = client.get("/healthz", headers={"X-Request-ID": "forged 200 request_id=x"})
    assert made.headers["X-Request-ID"] != "forged 200 request_id=x"
    assert len(made.headers["X-Request-ID"]) == 32


def test_unexpected_error_is_a_logged_generic_json_500(seed_index, caplog):
    app = create_app({"KB_INDEX_DIR": str(seed_index)})
    app.add_url_rule("/api/boom", "boom", lambda: 1 / 0)
    with caplog.at_level(logging.ERROR, logger="webapp"):
        response = app.test_client().get("/api/boom", headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500
    error = response.get_json()["error"]
    assert error["code"] == "internal_error" and error["request_id"] == "req-500"
    assert "ZeroDivision" not in response.get_data(as_text=True)
    assert any("request_id=req-500" in r.getMessage() and r.exc_info for r in caplog.records)


def test_missing_index_is_503_until_one_is_published(seed_index, tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(kb_module, "MISSING_RETRY_S", 0)
    index_dir = tmp_path / "index"
    app = create_app({"KB_INDEX_DIR": str(index_dir)})
    client = app.test_client()
    for path in ("/healthz", "/api/search?q=x", "/api/concepts"):
        with caplog.at_level(logging.INFO, logger="webapp.hooks"):
            response = client.get(path, headers={"X-Request-ID": "req-503"})
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "index_not_found"
    # The service failing its clients is logged as a warning, an ordinary answer as info.
    access = [r for r in caplog.records if r.name == "webapp.hooks" and "request_id=req-503" in r.getMessage()]
    assert len(access) == 3 and all(r.levelno == logging.WARNING and " 503 " in r.getMessage() for r in access)
    page = client.get("/")
    assert page.status_code == 503 and b"not available" in page.data
    copy_index(seed_index, index_dir)
    assert client.get("/healthz").status_code == 200


def test_requests_arriving_while_a_published_index_is_opened_wait_for_it(seed_index, tmp_path, monkeypatch):
    # Found attacking two replicas on one database: while one thread of a worker opened an index published since
    # the worker started, its other threads answered 503 index_not_found, though the index was there.
    monkeypatch.setattr(kb_module, "MISSING_RETRY_S", 0)
    index_dir = tmp_path / "index"
    app = create_app({"KB_INDEX_DIR": str(index_dir)})
    assert app.test_client().get("/healthz").status_code == 503
    copy_index(seed_index, index_dir)
    start, statuses = threading.Barrier(6), []

    def ask() -> None:
        client = app.test_client()
        start.wait()
        statuses.append(client.get("/api/search?q=kundlojalitet").status_code)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 6


def test_newly_published_version_is_served_on_the_very_next_request(index_copy: Path, tmp_path):
    client = create_app({"KB_INDEX_DIR": str(index_copy)}).test_client()
    before = client.get("/healthz").get_json()
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "note.txt").write_text(
        "Kundelojalitet handler om tillit.\n\nEn lojal kunde kommer tilbake fordi opplevelsen er god, "
        "ikke fordi det er vanskelig å bytte leverandør.\n", encoding="utf-8")
    ingest([extra], store_for(index_copy), progress=False)
    after = client.get("/healthz").get_json()
    assert after["version"] != before["version"]
    assert after["documents"] == before["documents"] + 1


def test_dev_server_takes_index_dir(seed_index, tmp_path):
    import json
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "KB_INDEX_DIR": str(tmp_path / "absent"), "KB_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "webapp", "--port", str(port), "--index-dir", str(seed_index)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                            preexec_fn=die_with_parent)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                    assert json.loads(response.read())["documents"] == 5
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.5)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    bad = subprocess.run([sys.executable, "-m", "webapp", "--index-dir"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "argument --index-dir: expected one argument" in bad.stderr
