"""python -m webapp.serve : production serving, as `make run` starts it.

nginx (Debian's, no root needed) listens on HOST:PORT, reads every request whole with short client timeouts and
passes it to gunicorn's threaded workers on a private unix socket; the ingest job runner (`python -m
ingest.jobs`, when the installed code has it) runs beside them. The launcher supervises the three: when nginx
or gunicorn dies it stops everything and exits 1 (let systemd, a container or the shell restart the whole);
the job runner is restarted, forever, with exponential backoff (its jobs survive restarts), and its deaths
never touch nginx or gunicorn: reads go on while writes wait in the queue. SIGTERM or SIGINT stop all three
in order (nginx first, so no new request reaches a stopping gunicorn) and exit 0.
"""
from __future__ import annotations

import argparse
import ctypes
import fcntl
import http.client
import importlib.util
import json
import os
import pwd
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from index.cliargs import config_from, config_options
from index.config import Config
from index.errors import InvalidSetting
from index.files import check_folder
from ingest.jobs.__main__ import EXIT_BUSY  # the runner's exit code while another one holds the index
from ingest.jobs.runner import silence

from .config import limit_native_threads
from .hooks import SECURITY_HEADERS

DEPLOY = Path(__file__).with_name("deploy")
ROOT = Path(__file__).resolve().parents[1]
# nginx's request line and header limit; the longest query the API accepts (1,000 characters of 4 UTF-8
# bytes each, percent-encoded) is about 12 KB and the longest course pack (200 keys of up to 109 characters,
# their commas percent-encoded) about 22 KB, so no valid request is ever 414.
HEADER_BUFFER_KB = 32
# nginx's connections (its one worker's worker_connections), slow clients' included: nginx cannot limit a client's
# connections before it has read their headers, so one client trickling headers on 4,096 connections (the old
# figure) left no connection for anyone else: other clients' requests were reset. More than the ports one client
# address has towards one server port (Linux's ephemeral range is 28,232), so one address cannot fill them; about
# 15 MB of nginx memory. Each proxied request holds two descriptors (client and upstream), plus a few of nginx's own.
NGINX_CONNECTIONS = 32768
NGINX_SPARE_FILES = 64
# nginx may take a little more than the app's limit so that the app, which knows the exact limit, answers.
BODY_SLACK_BYTES = 1024 * 1024
# nginx's own answers: (status it gets, status sent, code, message). 494 is nginx's "header too large".
NGINX_ERRORS = (
    (400, 400, "bad_request", "the request is malformed"),
    (404, 404, "not_found", "no such resource"),
    (405, 405, "method_not_allowed", "method not allowed"),
    (408, 408, "request_timeout", "the request was not received in time"),
    (411, 411, "length_required", "a request body needs a Content-Length"),
    (413, 413, "request_entity_too_large", "the request body is larger than the server accepts"),
    (414, 414, "request_uri_too_large", f"the request line is longer than {HEADER_BUFFER_KB} KB"),
    (429, 429, "too_many_requests", "too many searches from this client; retry shortly"),
    (494, 431, "request_header_fields_too_large", f"a request header is longer than {HEADER_BUFFER_KB} KB"),
    (500, 500, "internal_error", "internal server error"),
    (501, 501, "not_implemented", "not implemented"),
    (502, 502, "bad_gateway", "the application server is not answering; retry shortly"),
    (503, 503, "service_unavailable", "the service is unavailable; retry shortly"),
    (504, 504, "gateway_timeout", "the application server did not answer in time"),
    (505, 505, "http_version_not_supported", "HTTP version not supported"),
)
JOB_RUNNER = "ingest.jobs"
# A dead job runner is restarted after 1 s, then 2, 4, ... up to the cap (KB_RUNNER_BACKOFF_MAX_S); a run
# that lasted RESTART_RESET_S starts the sequence over, so one crash after hours of work waits 1 s again.
RESTART_FIRST_S = 1.0
RESTART_RESET_S = 30.0
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


class StartError(Exception):
    """The service could not be started (missing nginx, busy port, bad configuration)."""


@dataclass
class Plan:
    """Everything the three processes are started with."""

    host: str
    port: int
    run_dir: Path
    socket: Path
    index_dir: Path
    workers: int
    threads: int
    client_timeout: int
    request_timeout: int
    max_body_bytes: int
    nginx: str
    restart_max_s: float
    runner_stall_s: float = 120.0  # silent this long, a runner holding its lock is killed (and restarted)
    search_rate: int = 0  # per client and second; 0: no per-client limits
    search_burst: int = 0
    search_connections: int = 0  # 0: no limit on concurrent requests
    trusted_proxies: tuple[str, ...] = ()
    max_requests: int = 0  # per gunicorn worker before it is replaced; 0: never
    nginx_connections: int = NGINX_CONNECTIONS  # nginx's worker_connections, within the descriptors it may open
    settings: dict[str, str] = field(default_factory=dict)  # the configuration as variables, for the children


@dataclass
class Service:
    """A supervised child process, in a process group of its own."""

    name: str
    argv: list[str]
    restart: bool = False
    # An exit code saying another process does this service's work (a job runner of another server holds the index):
    # it is tried again at the longest wait, and said once.
    waiting_code: int | None = None
    waiting: bool = False
    proc: subprocess.Popen | None = None
    started: float = 0.0  # monotonic time of the last start
    delay: float = 0.0  # the wait before the next restart; 0 until it died quickly
    due: float | None = None  # when a dead service is started again


def _nginx_string(text: str) -> str:
    """A quoted nginx string; the texts are the app's own constants, so refusing the odd case is enough."""
    quote = "'" if "'" not in text else '"'
    if quote in text or "\\" in text:
        raise ValueError(f"cannot quote {text!r} for nginx")
    return f"{quote}{text}{quote}"


def _error_locations() -> tuple[str, str]:
    """The error_page lines and one internal location per error, each answering JSON with the security headers."""
    headers = "".join(f"add_header {name} {_nginx_string(value)} always; " for name, value in SECURITY_HEADERS.items())
    pages, locations = [], []
    for seen, sent, code, message in NGINX_ERRORS:
        pages.append(f"error_page {seen} {'=' + str(sent) + ' ' if sent != seen else ''}/_errors/{sent};")
        body = json.dumps({"error": {"code": code, "message": message, "request_id": "REQUEST_ID"}})
        body = body.replace("REQUEST_ID", "$request_id")  # nginx's own id; never a client's value
        retry = "add_header Retry-After 1 always; " if sent == 429 else ""  # the limits are per second
        locations.append(f"        location = /_errors/{sent} {{ internal; default_type application/json; {headers}"
                         f"{retry}add_header X-Request-ID $request_id always; return 200 {_nginx_string(body)}; }}")
    return "\n        ".join(dict.fromkeys(pages)), "\n".join(dict.fromkeys(locations))


def _access_log(run_dir: Path) -> str:
    """Where nginx logs its own answers: the launcher's stderr when nginx can open it by path, else a file.

    (It cannot when stderr is journald's socket, or a file the user may not open by name.)
    """
    try:
        with open("/dev/stderr", "a"):
            return "/dev/stderr"
    except OSError:
        return str(run_dir / "nginx-access.log")


def _search_limits(plan: Plan) -> tuple[str, str, str]:
    """The realip lines, the limit zones (http level) and the limits (in the proxied location) for a plan."""
    real_ip = "".join(f"    set_real_ip_from {network};\n" for network in plan.trusted_proxies)
    real_ip += "    real_ip_header X-Forwarded-For;" if plan.trusted_proxies else ""
    zones, limits = [], []
    if plan.search_rate:
        zones.append(f"limit_req_zone $search_client zone=search:10m rate={plan.search_rate}r/s;")
        limits.append(f"limit_req zone=search burst={plan.search_burst} nodelay;")
    if plan.search_connections:
        zones.append("limit_conn_zone $search_client zone=search_connections:10m;")
        limits.append(f"limit_conn search_connections {plan.search_connections};")
    if zones:
        # Refusals are logged once, by the access log of nginx's own answers, not as warnings too.
        zones += ["limit_req_status 429;", "limit_conn_status 429;", "limit_req_log_level info;",
                  "limit_conn_log_level info;"]
    return real_ip, "\n".join(f"    {line}" for line in zones), "\n".join(f"            {line}" for line in limits)


def nginx_connections(wanted: int = NGINX_CONNECTIONS) -> int:
    """The connections nginx can hold with the descriptors this process (and so nginx) may open, up to `wanted`.

    Root may raise its hard limit, and does; another user gets what its hard limit allows (nginx raises its soft
    limit to `worker_rlimit_nofile`), at least nginx's default of 512."""
    files = 2 * wanted + NGINX_SPARE_FILES
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < files:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, files))
        except (ValueError, OSError):  # not root (or no CAP_SYS_RESOURCE)
            pass
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY:
        files = min(files, hard)
    return max(512, (files - NGINX_SPARE_FILES) // 2)


def render_nginx(plan: Plan) -> str:
    """nginx.conf for a plan, from the template in webapp/deploy."""
    error_pages, error_locations = _error_locations()
    real_ip, search_zones, search_limits = _search_limits(plan)
    values = {
        "user": f"user {pwd.getpwuid(0).pw_name};" if os.geteuid() == 0 else "",  # else workers run as nobody
        "run_dir": str(plan.run_dir), "socket": str(plan.socket), "host": plan.host, "port": str(plan.port),
        "client_timeout": str(plan.client_timeout), "request_timeout": str(plan.request_timeout),
        "header_buffer_kb": str(HEADER_BUFFER_KB), "max_body_bytes": str(plan.max_body_bytes),
        "error_pages": error_pages, "error_locations": error_locations, "access_log": _access_log(plan.run_dir),
        "real_ip": real_ip, "search_zones": search_zones, "search_limits": search_limits,
        "worker_connections": str(plan.nginx_connections),
        "worker_files": str(2 * plan.nginx_connections + NGINX_SPARE_FILES),
    }
    template = (DEPLOY / "nginx.conf.template").read_text(encoding="utf-8")
    return _PLACEHOLDER.sub(lambda m: values[m[1]], template)


def _socket_path(run_dir: Path) -> Path:
    path = run_dir / "gunicorn.sock"
    if len(str(path)) < 100:  # a unix socket path must fit in 108 bytes
        return path
    return Path(tempfile.mkdtemp(prefix="kb-serve-")) / "gunicorn.sock"


def _find_nginx(explicit: str | None) -> str:
    if explicit:
        found = shutil.which(explicit)
    else:
        found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if not found:
        raise StartError(f"{explicit or 'nginx'} not found: install nginx (apt-get install nginx) or pass --nginx PATH")
    return found


def make_plan(args: argparse.Namespace, config: Config) -> Plan:
    """Resolve paths and limits from the command line (`--host`, `--nginx`) and the configuration."""
    run_dir = Path(config.run_dir).resolve()
    return Plan(
        host=args.host, port=config.port, run_dir=run_dir, socket=_socket_path(run_dir),
        index_dir=Path(config.index_dir).resolve(), workers=config.workers, threads=config.threads,
        max_requests=config.worker_max_requests,
        client_timeout=config.client_timeout_s, request_timeout=config.request_timeout_s,
        max_body_bytes=int(config.max_upload_mb * 1024 * 1024) + BODY_SLACK_BYTES,
        nginx=_find_nginx(args.nginx), restart_max_s=config.runner_backoff_max_s, runner_stall_s=config.runner_stall_s,
        search_rate=config.search_rate, search_burst=config.search_burst,
        search_connections=config.search_connections, trusted_proxies=config.trusted_proxies,
        nginx_connections=nginx_connections(), settings=config.environment(),
    )


def services(plan: Plan) -> list[Service]:
    """gunicorn, nginx and, when this code base has it, the job runner (in start order)."""
    gunicorn = [sys.executable, "-m", "gunicorn", "--config", str(DEPLOY / "gunicorn.conf.py"),
                "--bind", f"unix:{plan.socket}", "--workers", str(plan.workers), "--threads", str(plan.threads),
                "--timeout", str(plan.request_timeout), *_recycling(plan.max_requests), "webapp:create_app()"]
    nginx = [plan.nginx, "-p", str(plan.run_dir), "-c", str(plan.run_dir / "nginx.conf"), "-e", "stderr"]
    found = [Service("gunicorn", gunicorn), Service("nginx", nginx)]
    if importlib.util.find_spec(JOB_RUNNER) is not None:
        found.append(Service("job runner", [sys.executable, "-m", JOB_RUNNER, "--index-dir", str(plan.index_dir)],
                             restart=True, waiting_code=EXIT_BUSY))
    return found


def _recycling(max_requests: int) -> list[str]:
    """gunicorn's options to replace a worker after about `max_requests` requests (0: never).

    Its caches (lexicon, bridge and word-frequency memos) are each bounded by entries, which unique hostile traffic
    fills to a gigabyte or so per worker over hours; forked from the preloaded master, a fresh worker serves at
    once. The jitter keeps the workers from being replaced together.
    """
    if not max_requests:
        return []
    return ["--max-requests", str(max_requests), "--max-requests-jitter", str(max(1, max_requests // 10))]


def die_with_parent() -> None:
    """Have this (forked, not yet exec'd) process get SIGTERM when its parent dies, even by SIGKILL (Linux).

    A `preexec_fn`: the launcher's children never outlive it; tests start servers with it too.
    """
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _environment(plan: Plan) -> dict[str, str]:
    # The children (gunicorn's workers, the runner) build their Config from this: the command line's overrides included.
    env = {**os.environ, **plan.settings, "KB_INDEX_DIR": str(plan.index_dir)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
    limit_native_threads(env)
    return env


def _start(service: Service, env: dict[str, str]) -> None:
    service.proc = subprocess.Popen(service.argv, env=env, start_new_session=True, preexec_fn=die_with_parent)
    service.started, service.due = time.monotonic(), None


def backoff(delay: float, lasted_s: float, cap_s: float) -> float:
    """The wait before restarting a service that died after `lasted_s`, `delay` being the previous wait."""
    if lasted_s >= RESTART_RESET_S or delay <= 0:
        return min(RESTART_FIRST_S, cap_s)
    return min(delay * 2, cap_s)


def _stop(service: Service, sig: int, wait_s: float) -> None:
    """Signal a service's process group, wait, then kill what is left of the group."""
    proc = service.proc
    if proc is None:
        return
    try:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=wait_s)
    except subprocess.TimeoutExpired:
        print(f"serve: {service.name} did not stop in {wait_s:.0f} s; killing it", file=sys.stderr)
    except ProcessLookupError:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # workers whose master is gone, if any
    except ProcessLookupError:
        pass
    proc.wait()


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise StartError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _lock(run_dir: Path):
    """Hold run_dir/serve.lock for the launcher's life: two servers must not share sockets and temp files."""
    handle = (run_dir / "serve.lock").open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise StartError(f"another server is running from {run_dir}: stop it, or give this one a run directory "
                         "of its own (--run-dir or KB_RUN_DIR) and a free port (--port or PORT)") from None
    return handle


def _prepare(plan: Plan) -> None:
    """Write nginx.conf into the run directory and have nginx check it."""
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (plan.run_dir / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    (plan.run_dir / "nginx.conf").write_text(render_nginx(plan), encoding="utf-8")
    check = subprocess.run([plan.nginx, "-t", "-q", "-p", str(plan.run_dir), "-c", str(plan.run_dir / "nginx.conf"),
                            "-e", "stderr"], capture_output=True, text=True)
    if check.returncode != 0:
        raise StartError(f"nginx rejects {plan.run_dir / 'nginx.conf'}: {check.stderr.strip()}")


def _answers(plan: Plan) -> bool:
    """Whether the front answers /healthz from the app (any status but nginx's 502)."""
    try:
        conn = http.client.HTTPConnection(plan.host, plan.port, timeout=5)
        conn.request("GET", "/healthz")
        status = conn.getresponse().status
        conn.close()
        return status != 502
    except OSError:
        return False


class Supervisor:
    """Starts the services, watches them, and stops them all on a signal or when one dies."""

    def __init__(self, plan: Plan, found: list[Service]) -> None:
        self.plan, self.services, self.env = plan, found, _environment(plan)
        self.signal: int | None = None

    def _on_signal(self, signum: int, _frame) -> None:
        if self.signal is not None:  # a second Ctrl-C: no more waiting
            for service in self.services:
                if service.proc and service.proc.poll() is None:
                    os.killpg(service.proc.pid, signal.SIGKILL)
        self.signal = signum

    def run(self) -> int:
        """Serve until a signal (exit 0) or the death of nginx or gunicorn (exit 1)."""
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, self._on_signal)
        try:
            for service in self.services:
                if self.signal is not None:
                    break
                _start(service, self.env)
                if service.name == "gunicorn" and not self._wait_for_socket(service):
                    return 1
            ready = False
            while self.signal is None:
                failed = self._check()
                if failed:
                    return 1
                if not ready and _answers(self.plan):
                    ready = True
                    print(f"serve: http://{self.plan.host}:{self.plan.port} ready (nginx -> gunicorn "
                          f"{self.plan.workers}x{self.plan.threads} threads; run dir {self.plan.run_dir})",
                          file=sys.stderr, flush=True)
                time.sleep(0.2)
            print(f"serve: {signal.Signals(self.signal).name}, stopping", file=sys.stderr, flush=True)
            return 0
        finally:
            self.stop()

    def _wait_for_socket(self, service: Service) -> bool:
        """Wait until gunicorn accepts connections, so nginx never answers 502 while it starts."""
        while self.signal is None and service.proc.poll() is None:
            with socket.socket(socket.AF_UNIX) as probe:
                try:
                    probe.connect(str(self.plan.socket))
                    return True
                except OSError:
                    time.sleep(0.1)
        if self.signal is None:
            print(f"serve: gunicorn exited with {service.proc.returncode} while starting", file=sys.stderr, flush=True)
            return False
        return True

    def _check(self) -> bool:
        """Restart a dead job runner when its backoff is over; report whether nginx or gunicorn died.

        Never sleeps: the loop keeps watching nginx and gunicorn while the runner waits for its restart.
        """
        now = time.monotonic()
        for service in self.services:
            if self.signal is not None:
                break
            if service.due is not None:  # dead, waiting for its restart
                if now >= service.due:
                    _start(service, self.env)
                continue
            code = service.proc.poll()
            if code is None:
                self._kill_if_stalled(service, now)
                continue
            if not service.restart:
                print(f"serve: {service.name} exited with {code}; stopping everything", file=sys.stderr, flush=True)
                return True
            _stop(service, signal.SIGKILL, 1)  # what it left in its process group
            if code == service.waiting_code:
                service.delay, service.due = self.plan.restart_max_s, now + self.plan.restart_max_s
                if not service.waiting:
                    print(f"serve: another {service.name} serves {self.plan.index_dir} (another server's); this one "
                          f"tries every {service.delay:g} s to take over, and writes queue for that one meanwhile",
                          file=sys.stderr, flush=True)
                service.waiting = True
                continue
            service.waiting = False
            service.delay = backoff(service.delay, now - service.started, self.plan.restart_max_s)
            service.due = now + service.delay
            print(f"serve: {service.name} exited with {code}; restarting it in {service.delay:g} s",
                  file=sys.stderr, flush=True)
        return False

    def _kill_if_stalled(self, service: Service, now: float) -> None:
        """Kill a job runner that has run longer than KB_RUNNER_STALL_S and gives no sign of life for as long
        (SIGSTOPped, its interpreter held fast, or stuck before it began to serve): the next check restarts it like
        any runner that died, and the job it held runs again."""
        stall = self.plan.runner_stall_s
        if service.restart and now - service.started > stall and (silent := silence(self.plan.index_dir)) > stall:
            shown = "since it started" if silent == float("inf") else f"for {silent:.0f} s"
            print(f"serve: {service.name} gave no sign of life {shown}; killing it", file=sys.stderr, flush=True)
            _stop(service, signal.SIGKILL, 5)

    def stop(self) -> None:
        """nginx first (graceful: it finishes the requests it has), then gunicorn, then the job runner."""
        waits = {"nginx": (signal.SIGQUIT, 10), "gunicorn": (signal.SIGTERM, 25), "job runner": (signal.SIGTERM, 15)}
        for name in ("nginx", "gunicorn", "job runner"):
            for service in self.services:
                if service.name == name and service.due is None:  # a runner awaiting its restart is gone already
                    _stop(service, *waits[name])
        if self.plan.socket.parent != self.plan.run_dir:
            shutil.rmtree(self.plan.socket.parent, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Parse options, start nginx, gunicorn and the job runner, and supervise them; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m webapp.serve",
        description="Serve the knowledge base as `make run` does: nginx on HOST:PORT in front of gunicorn's "
        "threaded workers on a unix socket, plus the ingest job runner when available. Runs in the foreground; "
        "Ctrl-C or SIGTERM stops everything.",
        epilog="settings: every KB_* variable and PORT (docs/configuration.md); the options override them. "
        "exit codes: 0 stopped by a signal; 1 nginx or gunicorn died; 2 bad command line or setting; 3 could not "
        "start (nginx missing, port taken, bad config).",
        parents=[config_options()],
    )
    parser.add_argument("--host", default="127.0.0.1", help="address nginx listens on (default %(default)s)")
    parser.add_argument("--port", type=int, default=None, help="port (default $PORT or 5000)")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn worker processes (default $KB_WORKERS or 2)")
    parser.add_argument("--threads", type=int, default=None, help="threads per worker (default $KB_THREADS or 4)")
    parser.add_argument("--run-dir", default=None,
                        help="nginx.conf, pid file, temp files and the socket (default $KB_RUN_DIR or data/run)")
    parser.add_argument("--nginx", help="nginx binary (default: nginx on PATH or /usr/sbin/nginx)")
    args = parser.parse_args(argv)
    try:
        options = {"port": args.port, "workers": args.workers, "threads": args.threads, "run_dir": args.run_dir}
        config = config_from(args).replace(**{name: value for name, value in options.items() if value is not None})
        check_folder(config.index_dir)
        check_folder(config.run_dir, "run directory")
    except InvalidSetting as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        Path(config.run_dir).mkdir(parents=True, exist_ok=True)
        lock = _lock(Path(config.run_dir))
        _check_port(args.host, config.port)
        plan = make_plan(args, config)
        _prepare(plan)
    except (StartError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    with lock:
        return Supervisor(plan, services(plan)).run()


if __name__ == "__main__":
    sys.exit(main())
