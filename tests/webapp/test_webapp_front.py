"""The front as `make run` serves it (nginx -> gunicorn gthread): every error is JSON with the security headers,
the spec's longest queries pass, bad text is a 400, client text cannot forge log lines, slow clients starve nothing.
"""
from __future__ import annotations

import gc
import gzip
import importlib.util
import json
import os
import re
import resource
import select
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import types
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from index.config import Config
from webapp.hooks import SECURITY_HEADERS

from tests.conftest import copy_index
from conftest import ADMIN_TOKEN, ROOT, Server, multipart, start_server, stop_server  # tests/webapp/conftest.py


def fetch(url: str, data: bytes | None = None, headers: dict | None = None, method: str | None = None):
    """(status, headers, body) of a request; error statuses are answers too."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def raw_exchange(address, request: bytes, family: int = socket.AF_INET) -> tuple[int, dict, bytes]:
    """Send bytes as they are (no client library tidies them) and parse the answer."""
    with socket.socket(family) as sock:
        sock.settimeout(30)
        sock.connect(address)
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def assert_json_error(status: int, headers, body: bytes, expected: int) -> dict:
    """A JSON error body with the app's security headers."""
    assert status == expected, body[:300]
    headers = {name.lower(): value for name, value in headers.items()}
    assert headers.get("content-type", "").startswith("application/json"), (status, body[:200])
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name.lower()) == value, (status, name)
    error = json.loads(body)["error"]
    assert error["code"] and error["message"], error
    return error


def address(base: str) -> tuple[str, int]:
    parts = urlsplit(base)
    return parts.hostname, parts.port


def test_longest_queries_the_spec_accepts_pass_the_front(live_server, spec):
    q = next(p for p in spec["paths"]["/api/search"]["get"]["parameters"] if p["name"] == "q")
    longest = q["schema"]["maxLength"]
    for char in ("中", "😀"):  # 3 and 4 UTF-8 bytes: 9 and 12 KB request lines once percent-encoded
        status, _, body = fetch(f"{live_server}/api/search?q={quote(char * longest)}&k=50&lang=sv-SE&mode=lexical"
                                "&group=false")
        assert status == 200, body[:200]


def test_the_longest_course_pack_the_spec_accepts_passes_the_front(live_server):
    # 200 concept keys of the longest id the spec allows, their commas percent-encoded: about 22 KB. The app answers
    # (no such concepts), not nginx (414).
    items = ",".join(f"concept:{n:03d}{'x' * 97}" for n in range(200))
    status, _, body = fetch(f"{live_server}/api/pack?format=ris&items={quote(items)}")
    assert len(quote(items)) > 21_000 and status in (400, 404) and b"request_uri_too_large" not in body, body[:200]


@pytest.mark.parametrize("case", ["request_line", "header", "body", "malformed"])
def test_front_refusals_are_json_with_security_headers(live_server, case):
    host, port = address(live_server)
    if case == "request_line":  # beyond nginx's 32 KB buffer
        expected, request = 414, f"GET /api/search?q={'a' * 40000} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    elif case == "header":
        expected, request = 431, f"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {'b' * 40000}\r\n\r\n".encode()
    elif case == "body":  # over KB_MAX_UPLOAD_MB plus nginx's slack: refused on the length alone
        expected = 413
        request = f"POST /api/documents HTTP/1.1\r\nHost: x\r\nContent-Length: {50 * 1024 * 1024}\r\n\r\n".encode()
    else:
        expected, request = 400, b"GET /healthz HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n"
    status, headers, body = raw_exchange((host, port), request)
    error = assert_json_error(status, headers, body, expected)
    assert re.fullmatch(r"[0-9a-f]{32}", error["request_id"])


def test_a_body_just_over_the_limit_is_read_before_its_413_so_nginx_never_answers_502(stack: Server):
    # nginx takes a little more than the app's limit and writes it on in full. An app that answered 413 before
    # reading it broke nginx's write, which then answered 502 ("retry shortly") to a request no retry can mend. Sent
    # to gunicorn as nginx sends it: half the body, no answer yet; the rest, then the 413.
    limit = int(Config().max_upload_mb * 1024 * 1024)
    length = limit + 2048
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(30)
        sock.connect(str(stack.socket))
        sock.sendall(f"POST /api/documents HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                     f"Content-Length: {length}\r\n\r\n".encode() + b"x" * (length // 2))
        assert not select.select([sock], [], [], 1.0)[0], "answered before the body was read"
        sock.sendall(b"x" * (length - length // 2))
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    status, headers, body = fetch(f"{stack.base}/api/documents", data=b"x" * length,
                                  headers={"Content-Type": "application/octet-stream"})
    assert assert_json_error(status, headers, body, 413)["code"] == "request_entity_too_large"


def test_api_answers_are_compressed_for_a_client_that_asks_and_pages_never_are(live_server):
    _, plain_headers, plain = fetch(f"{live_server}/api/documents")
    status, headers, packed = fetch(f"{live_server}/api/documents", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in headers["Vary"]
    assert gzip.decompress(packed) == plain and len(packed) < len(plain) / 2 and "Content-Encoding" not in plain_headers
    # A page holds a signed-in trainer's form token beside text the URL puts there: compressed, a third party
    # could guess the token a letter at a time from the sizes (BREACH).
    status, headers, _ = fetch(f"{live_server}/?q=kundlojalitet", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and "Content-Encoding" not in headers


def test_upstream_down_is_a_json_502_and_recovers(stack: Server):
    away = stack.socket.with_name("gunicorn.sock.away")
    os.rename(stack.socket, away)  # nginx can no longer reach gunicorn, which keeps running
    try:
        status, headers, body = fetch(f"{stack.base}/api/stats")
        assert assert_json_error(status, headers, body, 502)["code"] == "bad_gateway"
    finally:
        os.rename(away, stack.socket)
    assert fetch(f"{stack.base}/healthz")[0] == 200


def test_gunicorn_own_errors_are_json_too(stack: Server):
    # Only nginx talks to gunicorn, and nginx never forwards this much; still, gunicorn's answer is JSON.
    request = f"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {'b' * 40000}\r\n\r\n".encode()
    status, headers, body = raw_exchange(str(stack.socket), request, socket.AF_UNIX)
    assert_json_error(status, headers, body, 431)


def test_gunicorn_own_errors_carry_a_request_id_and_read_utf_8_as_utf_8(stack: Server):
    request = "GET /healthz HTTP/1.1\r\nHost: x\r\nKundennähe: ja\r\n\r\n".encode()  # no such header name
    status, headers, body = raw_exchange(str(stack.socket), request, socket.AF_UNIX)
    error = assert_json_error(status, headers, body, 400)
    assert "Kundennähe" in error["message"] and "Ã" not in error["message"]
    assert re.fullmatch(r"[0-9a-f]{32}", error["request_id"]) and headers["x-request-id"] == error["request_id"]
    time.sleep(0.5)
    logged = [line for line in stack.log.read_text(encoding="utf-8").splitlines() if error["request_id"] in line]
    assert len(logged) == 1 and "Kundennähe" in logged[0], logged


def get_raw(live_server: str, target: bytes) -> tuple[int, dict]:
    """A GET whose request line carries `target` byte for byte, as curl sends a URL typed with non-ASCII letters."""
    request = b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    status, headers, body = raw_exchange(address(live_server), request)
    assert re.fullmatch(r"[0-9a-f]{32}", headers["x-request-id"]), headers
    return status, json.loads(body)


@pytest.mark.parametrize("query, expected", [
    ("q=Kundennähe", "Kundennähe"),
    ("q=Kundennähe+1%2B1%26två&k=2", "Kundennähe 1+1&två"),  # a plus is a space, %2B a plus, %26 an ampersand
])
def test_raw_utf_8_in_the_request_line_gets_the_answer_of_its_percent_encoded_form(live_server, query, expected):
    raw = get_raw(live_server, f"/api/concepts/lookup?{query}".encode())
    encoded = get_raw(live_server, f"/api/concepts/lookup?{quote(query, safe='=&+%')}".encode())
    assert raw == encoded and raw[0] == 200 and raw[1]["query"] == expected
    assert len(raw[1]["matches"]) <= (2 if "k=2" in query else 5)


@pytest.mark.parametrize("target", [b"/api/concepts/lookup?q=Kunden\xffhe", b"/api/concepts/lookup?q=Kunden%FFhe"])
def test_a_raw_or_encoded_byte_that_is_not_utf_8_is_a_400_naming_the_parameter(live_server, target):
    status, body = get_raw(live_server, target)
    assert (status, body["error"]["code"], body["error"]["message"]) == (400, "invalid_query", "q is not valid UTF-8")


def test_a_forked_worker_leaves_what_it_loaded_out_of_garbage_collection(monkeypatch):
    """gunicorn's post_fork freezes the worker's loaded objects: a full collection no longer walks the models."""
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "webapp" / "deploy" / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    monkeypatch.setattr(conf.util, "write_error", conf.util.write_error)  # post_fork replaces both; put back after
    monkeypatch.setattr(conf.Request, "parse_request_line", conf.Request.parse_request_line)
    gc.unfreeze()
    try:
        conf.post_fork(types.SimpleNamespace(cfg=types.SimpleNamespace(preload_app=False)), None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


@pytest.mark.parametrize("query, message", [
    ("q=%00%ff%fe", "q is not valid UTF-8"),
    ("q=abc%ed%a0%80", "q is not valid UTF-8"),         # an encoded lone surrogate
    ("q=kunde%00", "q contains the control character U+0000"),
    ("q=kunde%1b%5b31m", "q contains the control character U+001B"),
    ("q=kunde&lang=sv%0b", "lang contains the control character U+000B"),
    ("q=kunde&k=%c2%85", "k contains the control character U+0085"),
])
def test_bad_text_is_a_400_naming_the_parameter(live_server, query, message):
    for path in ("/api/search", "/api/concepts/lookup"):
        status, headers, body = fetch(f"{live_server}{path}?{query}")
        assert assert_json_error(status, headers, body, 400)["message"] == message


def test_tabs_and_newlines_in_a_pasted_query_are_text(live_server):
    pasted = quote("customer\tintimacy\r\nlock-on")
    status, _, body = fetch(f"{live_server}/api/concepts/lookup?q={pasted}")
    assert status == 200 and json.loads(body)["matches"]


@pytest.mark.parametrize("query", ["q=x&k=", "q=x&mode=", "q=x&lang=", "q=x&group=", "q=x&lang=AA", "q=x&lang=sv%0a",
                                   "q=x&k=5%0a", "q=%20%0a%09"])
def test_empty_or_unknown_values_are_400s_as_the_spec_says(live_server, spec, query):
    status, headers, body = fetch(f"{live_server}/api/search?{query}")
    assert_json_error(status, headers, body, 400)
    lang = next(p for p in spec["paths"]["/api/search"]["get"]["parameters"] if p["name"] == "lang")
    assert not re.search(lang["schema"]["pattern"], "AA") and re.search(lang["schema"]["pattern"], "SV-se")


FORGED = "2026-11-24 00:00:00,000 ERROR webapp.writes: forged"


# Slow (start-up): a stack of its own, logging at INFO, shared by the module.
@pytest.fixture(scope="module")
def logged_server(seed_index: Path, tmp_path_factory: pytest.TempPathFactory):
    """A private stack that logs every request (INFO) and accepts writes."""
    root = tmp_path_factory.mktemp("logged")
    copy_index(seed_index, root / "index")  # it writes
    server = start_server(root / "index", root / "run", {"KB_LOG_LEVEL": "INFO", "KB_ADMIN_TOKEN": ADMIN_TOKEN})
    try:
        yield server
    finally:
        stop_server(server)


def test_client_text_cannot_forge_log_lines(logged_server: Server):
    base = logged_server.base
    # A path and a file name that carry a newline and a fake record; both are refused, and both reach the log.
    status, _, _ = fetch(f"{base}/api/documents/x%0A{quote(FORGED)}")
    assert status == 400
    body = (f'--b\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8\'\'notes%0A{quote(FORGED)}.txt'
            f"\r\nContent-Type: text/plain\r\n\r\nKundelojalitet er viktig.\r\n--b--\r\n").encode()
    status, headers, answer = fetch(f"{base}/api/documents", body, {
        "Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "multipart/form-data; boundary=b"})
    assert "file name" in assert_json_error(status, headers, answer, 400)["message"]
    status, _, _ = fetch(f"{base}/documents/x%1b%5b2J")  # a terminal escape (clears the screen), for the UI
    assert status == 400
    time.sleep(0.5)
    lines = logged_server.log.read_text(encoding="utf-8", errors="replace").splitlines()
    assert not [line for line in lines if line.startswith(FORGED[:23])], "a client wrote a log line"
    assert not [line for line in lines if "\x1b" in line]
    assert any("/api/documents/x\\n2026-11-24 00:00:00,000 ERROR" in line for line in lines), lines[-20:]


def test_sanitised_upload_names_still_work(logged_server: Server):
    body, content_type = multipart({}, {"file": ("Kundenähe – notes (v2).txt", (
        "Kundelojalitet handler om tillit over tid. Kunder som stoler på leverandøren kommer tilbake igjen og "
        "igjen, og det er derfor lojalitet må fortjenes hver dag.\n").encode())})
    status, _, answer = fetch(f"{logged_server.base}/api/documents", body,
                              {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": content_type})
    assert status in (200, 201, 202), answer[:300]


class Trickler:
    """`count` loopback connections that each send one header byte a second, reconnecting when nginx cuts them."""

    def __init__(self, host: str, port: int, count: int, body: bool = False) -> None:
        self.target, self.count, self.body = (host, port), count, body
        self.stop = threading.Event()
        self.connections = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _open(self) -> socket.socket:
        sock = socket.create_connection(self.target, timeout=5)
        self.connections += 1
        if self.body:  # complete headers, then a body that arrives a few bytes at a time
            sock.sendall(b"POST /api/documents HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                         b"Content-Length: 1000000\r\n\r\n")
        else:
            sock.sendall(b"GET /api/search?q=slow HTTP/1.1\r\n")
        return sock

    def _run(self) -> None:
        socks = [self._open() for _ in range(self.count)]
        while not self.stop.wait(1.0):
            for i, sock in enumerate(socks):
                try:
                    sock.sendall(b"xxxxx" if self.body else b"X-Slow: 1\r\n")
                except OSError:  # nginx gave up on it (client timeout): come back, as an attacker would
                    sock.close()
                    socks[i] = self._open()
        for sock in socks:
            sock.close()

    def __enter__(self) -> "Trickler":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


QUERIES = ["What are the three value disciplines?", "kundelojalitet", "customer lock-on", "kundupplevelse",
           "klantrelatie en herhaalde interacties", "Marktanteil und Loyalität"]


def probe(base: str, seconds: float) -> list[float]:
    """Sequential searches for `seconds` (a new connection each); their latencies in seconds."""
    latencies = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        query = QUERIES[len(latencies) % len(QUERIES)]
        started = time.perf_counter()
        status, _, body = fetch(f"{base}/api/search?q={quote(query)}&k=5")
        latencies.append(time.perf_counter() - started)
        assert status == 200 and json.loads(body)["results"], body[:200]
        time.sleep(0.25)
    return latencies


def report(name: str, latencies: list[float], trickler: Trickler) -> None:
    print(f"\n{name}: {len(latencies)} searches, p50 {statistics.median(latencies) * 1000:.0f} ms, "
          f"max {max(latencies) * 1000:.0f} ms; {trickler.connections} slow connections opened")


# Slow: holds 50 slow connections open while searches run, past nginx's client timeout (10 s) so that every one
# is dropped and comes back: 15 s in `make test`, a minute in `make soak`.
@pytest.mark.slow
@pytest.mark.alone
@pytest.mark.stress
def test_searches_answer_within_a_second_while_50_clients_trickle_headers(live_server, sized):
    host, port = address(live_server)
    with Trickler(host, port, 50) as trickler:
        time.sleep(1)  # every slow client is connected and has started its header
        latencies = probe(live_server, sized(15, 60))
    report("50 header tricklers", latencies, trickler)
    assert len(latencies) >= 10
    assert max(latencies) < 1.0, sorted(latencies)[-5:]


# nginx once held 4,096 connections; a client may trickle headers on more than that (nginx cannot limit a client's
# connections before their headers are read).
ONCE_HELD = 4096


@pytest.mark.slow
def test_one_client_trickling_headers_on_more_connections_than_nginx_once_held_leaves_room_for_others(live_server):
    # Found by an attack: one address trickling headers on 4,500 connections (reconnecting when nginx cut them)
    # filled nginx's 4,096 worker_connections, and 31 of 263 other clients' searches were reset in a minute.
    count = ONCE_HELD + 300
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 200 and (hard == resource.RLIM_INFINITY or hard >= count + 200):
        resource.setrlimit(resource.RLIMIT_NOFILE, (count + 200, hard))
    elif soft < count + 200:
        pytest.skip(f"needs {count + 200} open files; the hard limit is {hard}")
    host, port = address(live_server)
    statuses = []
    with Trickler(host, port, count) as trickler:
        while trickler.connections < count and trickler.thread.is_alive():
            time.sleep(0.2)
        # Past nginx's client timeout (10 s), while the cut connections come back.
        deadline = time.monotonic() + 12
        while time.monotonic() < deadline:
            try:
                statuses.append(fetch(f"{live_server}/api/search?q=kundelojalitet&k=3")[0])
            except OSError as error:  # a reset or refused connection: what the attack did
                statuses.append(repr(error))
            time.sleep(0.2)
    assert trickler.connections >= count
    assert statuses and all(status == 200 for status in statuses), statuses


@pytest.mark.slow
@pytest.mark.alone
def test_slowly_sent_bodies_do_not_block_searches(live_server):
    host, port = address(live_server)
    with Trickler(host, port, 20, body=True) as trickler:
        time.sleep(1)
        latencies = probe(live_server, 12)
    report("20 body tricklers", latencies, trickler)
    assert max(latencies) < 1.0, sorted(latencies)[-5:]


def left_running(groups: list[str], wait_s: float = 10) -> list[str]:
    """Processes of these process groups that are still alive (zombies aside) after up to `wait_s`."""
    deadline = time.monotonic() + wait_s
    while True:
        listed = subprocess.run(["ps", "-o", "pid=,stat=", "-g", ",".join(groups)], capture_output=True, text=True)
        alive = [line.split()[0] for line in listed.stdout.splitlines() if not line.split()[1].startswith("Z")]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


def test_launcher_stops_everything_it_started(seed_index: Path, tmp_path: Path):
    server = start_server(seed_index, tmp_path / "run", workers=1)
    children = subprocess.run(["pgrep", "-P", str(server.proc.pid)], capture_output=True, text=True).stdout.split()
    assert len(children) >= 2, children  # gunicorn and nginx (and the job runner where there is one)
    stop_server(server)
    assert not left_running(children)
    assert not (tmp_path / "run" / "gunicorn.sock").exists()


def test_launcher_refuses_a_taken_port(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = subprocess.run([sys.executable, "-m", "webapp.serve", "--port", str(taken.getsockname()[1]),
                                 "--run-dir", str(tmp_path / "run")], cwd=ROOT, capture_output=True, text=True,
                                timeout=60)
    assert result.returncode == 3 and result.stderr.startswith("error: cannot listen on"), result.stderr


@pytest.mark.parametrize("where", ["index", "run"])
def test_launcher_refuses_an_index_or_run_directory_under_a_file_before_it_starts_anything(tmp_path: Path, where):
    (tmp_path / "notes.md").write_text("a file, not a folder")
    folders = {"index": tmp_path / "index", "run": tmp_path / "run"} | {where: tmp_path / "notes.md" / where}
    result = subprocess.run([sys.executable, "-m", "webapp.serve", "--index-dir", str(folders["index"]),
                             "--port", "1", "--run-dir", str(folders["run"])], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    role = "index directory" if where == "index" else "run directory"
    assert result.returncode == 2 and result.stderr.startswith(f"error: the {role}"), result.stderr
    assert not (tmp_path / "run").exists() and not (tmp_path / "index").exists()


def test_launcher_refuses_a_number_of_workers_no_machine_has(tmp_path: Path):
    result = subprocess.run([sys.executable, "-m", "webapp.serve", "--workers", "99999999999", "--port", "1",
                             "--run-dir", str(tmp_path / "run")], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "KB_WORKERS" in result.stderr and "256" in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and not (tmp_path / "run").exists()


def test_launcher_stops_everything_when_gunicorn_dies(seed_index: Path, tmp_path: Path):
    server = start_server(seed_index, tmp_path / "run", workers=1)
    children = subprocess.run(["pgrep", "-P", str(server.proc.pid)], capture_output=True, text=True).stdout.split()
    gunicorn = next(int(pid) for pid in children
                    if "gunicorn" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"))
    os.kill(gunicorn, signal.SIGKILL)
    assert server.proc.wait(timeout=60) == 1
    assert not left_running(children)
    assert "gunicorn exited with -9; stopping everything" in server.log.read_text()


def test_a_job_runner_another_server_holds_the_index_for_is_retried_quietly(tmp_path: Path, capsys):
    # A second server over the same index (another run dir): its runner exits "busy" while the first one's serves.
    import argparse
    import time

    from index.config import Config
    from webapp.serve import Service, Supervisor, _start, make_plan

    config = Config.from_env({"PORT": "5999", "KB_RUN_DIR": str(tmp_path), "KB_RUNNER_BACKOFF_MAX_S": "30"})
    plan = make_plan(argparse.Namespace(host="127.0.0.1", nginx=None), config)
    runner = Service("job runner", [sys.executable, "-c", "import sys; sys.exit(3)"], restart=True, waiting_code=3)
    supervisor = Supervisor(plan, [runner])
    for _ in range(3):
        _start(runner, supervisor.env)
        runner.proc.wait(timeout=30)
        assert supervisor._check() is False  # the server goes on
        assert runner.due - time.monotonic() > 25  # tried again at the longest wait, not every second
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "another job runner serves" in err and "exited with" not in err
