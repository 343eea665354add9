"""Web app fixtures: a Flask test client, the OpenAPI checker, the live server (nginx -> gunicorn) and a browser."""
from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import copy_index
from webapp import create_app
from webapp.serve import die_with_parent

if TYPE_CHECKING:  # Playwright loads only when a browser test runs (the `browser` fixture)
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def app(seed_index: Path) -> Flask:
    """The app over the seed index."""
    return create_app({"KB_INDEX_DIR": str(seed_index), "TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class SpecChecker:
    """Validates responses against the schemas of the served OpenAPI document."""

    def __init__(self, spec: dict) -> None:
        self.spec = spec
        # Literal paths first so /api/concepts/lookup is not taken for /api/concepts/{concept_id}.
        templates = sorted(spec["paths"], key=lambda p: p.count("{"))
        self.routes = [(re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", t) + "$"), t) for t in templates]

    def schema_for(self, path: str, status: int, content_type: str, method: str = "get") -> dict:
        template = next((t for pattern, t in self.routes if pattern.match(path)), None)
        if template is None:  # an unknown route still answers with the documented error shape
            return {"$ref": "#/components/schemas/Error"}
        operations = self.spec["paths"][template]
        # A method the path does not have (405) answers with the GET operation's error shapes.
        responses = operations.get(method.lower(), operations.get("get"))["responses"]
        response = responses.get(str(status)) or responses["default"]
        media = content_type.split(";")[0].strip()
        assert media in response["content"], f"{path}: {status} {media} is not documented"
        return response["content"][media]["schema"]

    def __call__(self, path: str, status: int, content_type: str, body: object, method: str = "get") -> None:
        """Fail unless `body` matches the documented schema for this path, method and status."""
        schema = {**self.schema_for(path, status, content_type, method), "components": self.spec["components"]}
        jsonschema.Draft202012Validator(schema).validate(body)


@pytest.fixture(scope="session")
def spec(app: Flask) -> dict:
    return app.test_client().get("/openapi.json").get_json()


@pytest.fixture(scope="session")
def check_spec(spec: dict) -> SpecChecker:
    return SpecChecker(spec)


@pytest.fixture
def api(client: FlaskClient, check_spec: SpecChecker):
    """GET an API path, check the answer against the OpenAPI schema, return (status, json)."""

    def get(url: str, expect: int | None = None) -> tuple[int, dict]:
        response = client.get(url)
        body = response.get_json()
        check_spec(url.split("?")[0], response.status_code, response.content_type, body)
        if expect is not None:
            assert response.status_code == expect, body
        return response.status_code, body

    return get


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"server not ready after {timeout}s")


@dataclass
class Server:
    """A running `python -m webapp.serve`: its URL, index and run directories (nginx.conf, socket), combined log."""

    base: str
    index_dir: Path
    run_dir: Path
    log: Path
    proc: subprocess.Popen

    @property
    def socket(self) -> Path:
        return self.run_dir / "gunicorn.sock"


def start_server(index_dir: Path, run_dir: Path, env: dict | None = None, workers: int = 2) -> Server:
    """Start the stack as `make run` does (`python -m webapp.serve`: nginx -> gunicorn) on a free port.

    nginx's, gunicorn's and the app's output goes to run_dir/server.log. The launcher gets SIGTERM when the
    test process dies, however it dies (a CI timeout, Ctrl-C), and stops everything it started.
    """
    port = _free_port()
    run_dir.mkdir(parents=True, exist_ok=True)
    log_path = run_dir / "server.log"
    env = {**os.environ, "KB_INDEX_DIR": str(index_dir), "KB_LOG_LEVEL": "WARNING", **(env or {})}
    with log_path.open("a") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "webapp.serve", "--port", str(port), "--workers", str(workers),
             "--run-dir", str(run_dir)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=die_with_parent,
        )
    server = Server(f"http://127.0.0.1:{port}", Path(index_dir), run_dir, log_path, proc)
    try:
        _wait_ready(f"{server.base}/healthz", proc, timeout=180)  # a first start embeds the concept labels
    except BaseException:
        stop_server(server)
        raise
    return server


def stop_server(server: Server) -> None:
    """SIGTERM to the launcher, which stops nginx and gunicorn; fail unless it exits 0."""
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
    try:
        code = server.proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        raise
    assert code == 0, f"launcher exited with {code}; see {server.log}"


def warm_up(base: str, workers: int = 2) -> None:
    """Load the embedding model in every worker before anything is timed (the first query pays it)."""
    for _ in range(workers):
        urllib.request.urlopen(f"{base}/api/search?q=warm+up&k=1", timeout=120).read()


@contextlib.contextmanager
def serving(index_dir: Path, run_dir: Path, env: dict | None = None) -> Iterator[Server]:
    """The full stack over `index_dir`, its models loaded in every worker; stopped (cleanly) on exit."""
    server = start_server(index_dir, run_dir, env)
    try:
        warm_up(server.base)
        yield server
    finally:
        stop_server(server)


# Slow (tens of seconds, like every stack): nginx, gunicorn and the runner start, each worker loads the encoder.
@pytest.fixture(scope="session")
def stack(seed_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app served the way `make run` serves it: nginx in front of gunicorn's threaded workers."""
    with serving(seed_index, tmp_path_factory.mktemp("server")) as server:
        yield server


@pytest.fixture(scope="session")
def live_server(stack: Server) -> str:
    """The base URL of `stack`."""
    return stack.base


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Every Content-Security-Policy violation, reported by the page itself: Chromium logs some only as warnings, or
# not at all (a report-only policy, a violation in a document the page made).
REPORT_CSP_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', (e) => console.error(
  `CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} in ${e.sourceFile || e.documentURI}`
  + `:${e.lineNumber}`));
"""


def watch(page) -> list[str]:
    """Console errors, uncaught exceptions and every CSP violation or console message naming the policy."""
    problems: list[str] = []
    page.add_init_script(REPORT_CSP_VIOLATIONS)
    page.on("console", lambda m: problems.append(m.text)
            if m.type == "error" or "Content Security Policy" in m.text or "CSP" in m.text else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


@pytest.fixture
def page(browser, live_server: str):
    """A fresh page (own localStorage) that fails the test on any console error, CSP violations included."""
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    errors = watch(page)
    yield page
    context.close()
    assert not errors, errors


ADMIN_TOKEN = "test-admin-token-5f1c"


def sign_in(client: FlaskClient) -> str:
    """Sign a test client in as a trainer; the CSRF token its forms then carry."""
    response = client.post("/signin", data={"token": ADMIN_TOKEN, "next": "/upload"})
    assert response.status_code == 303, response.get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([0-9a-f]{64})"', client.get("/upload").get_data(as_text=True))[1]


@contextlib.contextmanager
def signed_in_page(browser: Browser, server: Server, next_path: str) -> Iterator[tuple[Page, list[str]]]:
    """A page of a fresh browser context on `server`, signed in with the admin token on its way to `next_path`,
    and the problems it reports (`watch`); the context is closed after."""
    context = browser.new_context(base_url=server.base)
    page = context.new_page()
    errors = watch(page)
    try:
        page.goto(f"/signin?next={next_path}")
        page.get_by_label("Admin token").fill(ADMIN_TOKEN)
        page.get_by_role("button", name="Sign in").click()
        yield page, errors
    finally:
        context.close()


@pytest.fixture(scope="module")
def write_server(seed_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The full stack with KB_ADMIN_TOKEN set, over a private copy of the seed index: (base URL, index dir)."""
    root = tmp_path_factory.mktemp("write-server")
    copy_index(seed_index, root / "index")
    with serving(root / "index", root / "run", {"KB_ADMIN_TOKEN": ADMIN_TOKEN}) as server:
        yield server.base, server.index_dir


# Per test, so slow: only for tests that stop, kill or count the processes of their stack, or need its index alone.
@pytest.fixture
def write_stack(index_copy: Path, tmp_path: Path) -> Iterator[Server]:
    """The full stack with KB_ADMIN_TOKEN set over this test's own copy of the seed index."""
    with serving(index_copy, tmp_path / "run", {"KB_ADMIN_TOKEN": ADMIN_TOKEN}) as server:
        yield server


def _children(pid: int) -> list[int]:
    """Live child processes of `pid` (zombies excluded)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # state, ppid, ...; the command name may hold spaces
        if fields[0] != "Z" and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def service_pid(server: Server, module: str) -> int | None:
    """The pid of the launcher's child running `python -m <module>` (gunicorn, ingest.jobs), if one runs."""
    return next((pid for pid in _children(server.proc.pid) if f" -m {module} " in _cmdline(pid)), None)


def worker_pids(server: Server) -> list[int]:
    """The gunicorn workers (children of the master the launcher started)."""
    master = service_pid(server, "gunicorn")
    assert master is not None, f"no gunicorn under the launcher; see {server.log}"
    return sorted(_children(master))


def peak_rss_kb(pid: int) -> int:
    """VmHWM: the highest resident set size of a process since it started, in kB."""
    status = (Path("/proc") / str(pid) / "status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1])


def runner_alive(base: str) -> bool:
    """Whether the server reports a job runner holding its index."""
    status, body, _ = http_json("GET", f"{base}/api/jobs", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                                timeout=30)
    assert status == 200, body
    return body["runner"]["alive"]


def wait_for_runner(base: str, timeout: float = 120) -> None:
    """Wait until the job runner holds its index: the launcher starts it beside gunicorn, and a test that changes the
    world under it (a full disk, a database outage) must not catch it still starting, when it would exit and be
    restarted instead of waiting the trouble out."""
    deadline = time.monotonic() + timeout
    while not runner_alive(base):
        assert time.monotonic() < deadline, f"no job runner after {timeout} s"
        time.sleep(0.2)


class RunnerKiller:
    """SIGKILLs the launcher's job runner and waits for the launcher to restart it (and the new one to serve).

    The launcher restarts it forever, after a backoff that doubles with each quick death (up to
    KB_RUNNER_BACKOFF_MAX_S).
    """

    def __init__(self, server: Server) -> None:
        self.server = server
        self.kills: list[float] = []

    def kill(self, timeout: float = 120) -> tuple[int, int]:
        """Kill the runner now; return (old pid, new pid) once its successor holds the runner lock."""
        old = service_pid(self.server, "ingest.jobs")
        assert old is not None, f"no job runner under the launcher; see {self.server.log}"
        os.killpg(old, signal.SIGKILL)  # the runner leads its own process group
        self.kills.append(time.monotonic())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.server.proc.poll() is None, f"the launcher stopped; see {self.server.log}"
            new = service_pid(self.server, "ingest.jobs")
            if new not in (None, old) and runner_alive(self.server.base):
                return old, new
            time.sleep(0.1)
        raise AssertionError(f"the launcher did not restart the job runner in {timeout}s; see {self.server.log}")


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body and its content type, for urllib."""
    boundary = "----kb-test-" + os.urandom(8).hex()
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, data) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def http_json(method: str, url: str, body: bytes | None = None, headers: dict | None = None,
              timeout: float = 120) -> tuple[int, object, dict]:
    """(status, JSON body, headers) of one request, error statuses included."""
    import json
    import urllib.error

    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null"), dict(error.headers)


def wait_for_job(base: str, job_id: str, timeout: float = 300) -> dict:
    """Poll /api/jobs/<id> until the job is done or failed; return it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, job, _ = http_json("GET", f"{base}/api/jobs/{job_id}", timeout=30)
        assert status == 200, job
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} not finished after {timeout}s: {job}")
