"""One configuration: read only at the entry points, every field from its variable, bad values named, docs in step."""
from __future__ import annotations

import ast
import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from index.config import Config, markdown_table
from index.errors import InvalidSetting

ROOT = Path(__file__).resolve().parent.parent
# Modules allowed to read the environment: the configuration itself and the entry points that build it.
ENTRY_POINTS = {"index/config.py", "webapp/__init__.py"}
# webapp.serve hands its configuration to the processes it starts: it writes their environment, in this function.
WRITES_CHILD_ENVIRONMENT = {("webapp/serve.py", "_environment")}


def _environment_reads(path: Path) -> list[tuple[int, str | None]]:
    """(line, enclosing function) of every `os.environ` / `os.getenv` / `environ` name in a module."""
    tree, found = ast.parse(path.read_text()), []

    def visit(node: ast.AST, function: str | None) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function = node.name
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv") and \
                isinstance(node.value, ast.Name) and node.value.id == "os":
            found.append((node.lineno, function))
        if isinstance(node, ast.ImportFrom) and node.module == "os" and \
                any(alias.name in ("environ", "getenv") for alias in node.names):
            found.append((node.lineno, function))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, None)
    return found


def test_only_the_configuration_and_entry_points_read_the_environment():
    offenders = []
    for package in ("index", "ingest", "webapp"):
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name in ENTRY_POINTS:
                continue
            offenders += [f"{name}:{line}" for line, function in _environment_reads(path)
                          if (name, function) not in WRITES_CHILD_ENVIRONMENT]
    assert offenders == []


def _raw(spec: dataclasses.Field) -> tuple[str, object]:
    """A valid non-default raw value for a field, and what it converts to."""
    samples = {"index_dir": ("/x", Path("/x")), "database_url": ("postgresql://h/db", "postgresql://h/db"),
               "embedder": ("hash:64", "hash:64"), "ingest_engine": ("ray", "ray"), "ray_address": ("h:6379", "h:6379"),
               "vector_backend": ("numpy", "numpy"), "faiss_factory": ("IVF64,Flat", "IVF64,Flat"),
               "faiss_search": ("nprobe=8", "nprobe=8"), "suggest": ("off", False), "dict_dir": ("/d", Path("/d")),
               "cache_dir": ("/c", Path("/c")), "min_score": ("0.5", 0.5), "min_score_ratio": ("0.5", 0.5),
               "port": ("8080", 8080), "max_upload_mb": ("2", 2.0), "admin_token": ("t", "t"),
               "log_level": ("debug", "DEBUG"), "run_dir": ("/r", Path("/r")),
               "trusted_proxies": ("10.0.0.7, 192.168.0.0/16", ("10.0.0.7/32", "192.168.0.0/16")),
               "runner_backoff_max_s": ("2", 2.0), "min_free_mb": ("0", 0.0),
               "public_url": ("https://kb.example.org/strategy/", "https://kb.example.org/strategy")}
    return samples.get(spec.name, ("7", 7))


@pytest.mark.parametrize("spec", dataclasses.fields(Config), ids=lambda spec: spec.name)
def test_every_field_comes_from_its_variable(spec):
    raw, value = _raw(spec)
    config = Config.from_env({spec.metadata["env"]: raw})
    assert getattr(config, spec.name) == value
    assert getattr(Config.from_env({spec.metadata["env"]: ""}), spec.name) == getattr(Config.from_env({}), spec.name)
    assert Config.from_env(config.environment()) == config  # the children of webapp.serve see the same


@pytest.mark.parametrize("variable, raw", [
    ("KB_KEEP_VERSIONS", "0"), ("KB_KEEP_VERSIONS", "two"), ("KB_MIN_SCORE", "high"), ("KB_MIN_SCORE_RATIO", "2"),
    ("KB_SEARCH_RATE", "-1"), ("KB_TRUSTED_PROXIES", "proxy.local"), ("KB_DATABASE_URL", "mysql://h/db"),
    ("KB_INGEST_ENGINE", "spark"), ("KB_VECTOR_BACKEND", "annoy"), ("PORT", "70000"), ("KB_SUGGEST", "maybe"),
    ("KB_LOG_LEVEL", "loud"), ("KB_RUNNER_BACKOFF_MAX_S", "0"), ("KB_WORKERS", "1.5"), ("KB_PUBLIC_URL", "kb.example.org"),
    ("KB_PUBLIC_URL", "https://kb.example.org/?x=1"),
])
def test_a_bad_value_names_its_variable(variable, raw):
    with pytest.raises(InvalidSetting, match=f"^{variable}="):
        Config.from_env({variable: raw})


def test_replace_is_validated_and_takes_variable_names():
    config = Config().replace(KB_KEEP_VERSIONS="5", database_url="postgresql://h/db")
    assert (config.keep_versions, config.database_url) == (5, "postgresql://h/db")
    with pytest.raises(InvalidSetting, match="KB_KEEP_VERSIONS=0"):
        config.replace(keep_versions=0)
    with pytest.raises(InvalidSetting, match="no_such_setting"):
        config.replace(no_such_setting=1)


@pytest.mark.parametrize("variable, raw", [("KB_KEEP_VERSIONS", "0"), ("KB_MIN_SCORE", "high")])
def test_a_cli_refuses_a_bad_setting_on_one_line(variable, raw, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), variable: raw}
    done = subprocess.run([sys.executable, "-m", "index", "search", "x"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"error: {variable}=")


def test_create_app_overrides_the_index_and_the_database(tmp_path):
    from webapp import create_app

    app = create_app({"index_dir": tmp_path / "a", "KB_ADMIN_TOKEN": "t", "TESTING": True})
    assert app.config["KB"].index_dir == tmp_path / "a" and app.config["KB"].admin_token == "t"
    assert app.config["TESTING"] is True
    with pytest.raises(InvalidSetting, match="KB_DATABASE_URL="):
        create_app({"database_url": "mysql://h/db"})
    config = Config(index_dir=tmp_path / "b")
    assert create_app(config).config["KB"] is config


def test_the_settings_page_is_the_generated_table():
    page = (ROOT / "docs" / "configuration.md").read_text()
    assert page.endswith(markdown_table())
    assert sum(line.startswith("| `") for line in page.splitlines()) == len(dataclasses.fields(Config))
