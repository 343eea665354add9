"""The package arrows, read from the source: no import cycle, `index` below `ingest` and `webapp`, and `webapp`
away from the storage engines. Every import counts, function-level ones too: a deferred import hides a cycle,
it does not remove it."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ingest", "index", "webapp", "eval")


def _modules() -> dict[str, Path]:
    """Dotted name -> file of every module of the project's packages (a package is its `__init__`)."""
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _imported(module: str, path: Path) -> set[str]:
    """Every name `module` imports anywhere in its body, as dotted names (`from a import b` gives `a.b`)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                base = base[:len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            names.update(f"{prefix}.{alias.name}" if f"{prefix}.{alias.name}" in MODULES else prefix
                         for alias in node.names)
    return names


def _project_module(name: str) -> str | None:
    # The module a dotted name lives in (`index.records.Chunk` -> `index.records`); None outside the project.
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _graph() -> dict[str, set[str]]:
    """module -> the project's modules importing it runs, the packages above them included: importing
    `index.stores.embedded` runs `index/stores/__init__.py` first (unless the importer is inside that package)."""
    graph = {}
    for module, path in MODULES.items():
        targets = set()
        for name in _imported(module, path):
            target = _project_module(name)
            if target is None or target == module:
                continue
            parts = target.split(".")
            for depth in range(1, len(parts) + 1):
                package = ".".join(parts[:depth])
                if package in MODULES and not (module == package or module.startswith(package + ".")):
                    targets.add(package)
        graph[module] = targets
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph (its modules in order, the first repeated at the end), if any."""
    state: dict[str, int] = {}  # 1 on the path being walked, 2 done
    path: list[str] = []

    def walk(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (found := walk(target)):
                return found
        state[module] = 2
        path.pop()
        return None

    for module in sorted(graph):
        if module not in state and (found := walk(module)):
            return found
    return None


def _external(prefix: str) -> dict[str, set[str]]:
    """module -> top-level names of what it imports, for the project's modules under `prefix`."""
    return {module: {name.split(".")[0] for name in _imported(module, path)}
            for module, path in MODULES.items() if module == prefix or module.startswith(prefix + ".")}


def test_the_graph_reads_every_import():
    graph = _graph()
    # A function-level import (open_store's PostgreSQL store) and a package run by importing below it.
    assert "index.stores.postgres" in graph["index.stores"]
    assert "index.stores" in graph["ingest.pipeline"] and "index" not in graph["index.records"]


def test_no_import_cycle():
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_a_cycle_is_found_and_shown():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_index_imports_neither_ingest_nor_the_web_app():
    offending = {m: names & {"ingest", "webapp", "flask"} for m, names in _external("index").items()}
    assert not {m: n for m, n in offending.items() if n}


def test_the_web_app_touches_no_storage_engine():
    engines = {"faiss", "sqlite3", "psycopg", "psycopg_pool", "pgserver"}
    offending = {m: names & engines for m, names in _external("webapp").items()}
    assert not {m: n for m, n in offending.items() if n}
