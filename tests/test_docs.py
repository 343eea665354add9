"""The README and docs/ stay true to the code: links resolve, settings exist, make targets and commands run."""
from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
# Generated from the configuration object by its own tooling; every other page links to it.
CONFIGURATION = DOCS / "configuration.md"
README_MAX_BYTES = 10_000

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
INLINE_CODE = re.compile(r"`([^`\n]+)`")
SETTING = re.compile(r"\bKB_[A-Z0-9_]+\b")
MAKE = re.compile(r"(?<![\w./-])make\s+([a-z][\w-]*)")
MODULE_COMMAND = re.compile(r"(?<![\w-])python3?\s+-m\s+([A-Za-z_][\w.]*)((?:[ \t]+[a-z][a-z0-9_-]*)*)")
SHELL_FENCES = {"sh", "bash", "shell", "console"}
HELP_TIMEOUT_S = 120


def pages() -> list[Path]:
    """The README and every page of docs/ except the generated configuration table."""
    return [README, *sorted(p for p in DOCS.glob("*.md") if p != CONFIGURATION)]


def _code(text: str) -> str:
    """Every fenced block and inline code span of a page, where commands and targets are written."""
    return "\n".join([m[2] for m in FENCE.finditer(text)] + INLINE_CODE.findall(FENCE.sub("", text)))


def _anchors(page: Path) -> set[str]:
    """GitHub's anchors of a page's headings."""
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    headings = re.findall(r"^#+\s+(.+?)\s*$", text, re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_the_readme_fits_on_a_page():
    size = len(README.read_bytes())
    assert size <= README_MAX_BYTES, f"README.md is {size} bytes; move detail to docs/ (at most {README_MAX_BYTES})"


def test_every_relative_link_resolves():
    broken, generated_missing = [], []
    for page in pages():
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):  # http(s), mailto: not ours to check
                continue
            path, _, anchor = target.partition("#")
            resolved = (page.parent / path).resolve() if path else page
            if resolved == CONFIGURATION and not resolved.exists():
                generated_missing.append(f"{page.name}: {target}")
            elif not resolved.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert not broken, broken
    if generated_missing:
        pytest.skip(f"{CONFIGURATION.relative_to(ROOT)} is not generated on this branch; linked from {generated_missing}")


def test_every_setting_named_is_in_the_configuration_table():
    if not CONFIGURATION.exists():
        pytest.skip(f"{CONFIGURATION.relative_to(ROOT)} (the settings table, generated from the configuration) is absent")
    table = {name for line in CONFIGURATION.read_text(encoding="utf-8").splitlines() if line.startswith("|")
             for name in SETTING.findall(line)}
    named = {f"{page.name}: {name}" for page in pages() for name in SETTING.findall(page.read_text(encoding="utf-8"))
             if name not in table}
    assert not named, f"settings the configuration table lacks: {sorted(named)}"


def _make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    return {target for line in re.findall(r"^([\w][\w .-]*?)\s*:(?!=)", makefile, re.M) for target in line.split()}


def test_every_make_target_named_exists():
    targets = _make_targets()
    missing = {f"{page.name}: make {t}" for page in pages() for t in MAKE.findall(_code(page.read_text(encoding="utf-8")))
               if t not in targets}
    assert not missing, f"no such make target: {sorted(missing)}"


def _shell_commands() -> list[tuple[str, str, tuple[str, ...]]]:
    """(page, module, the bare words after it) of every `python -m` in a fenced shell block."""
    found = []
    for page in pages():
        for fence in FENCE.finditer(page.read_text(encoding="utf-8")):
            if fence[1] in SHELL_FENCES:
                found += [(page.name, m[1], tuple(m[2].split())) for m in MODULE_COMMAND.finditer(fence[2])]
    return found


def _help(key: tuple[str, ...]) -> tuple[int, str]:
    """`python -m MODULE [SUBCOMMAND...] --help`: exit code and output."""
    done = subprocess.run([sys.executable, "-m", *key, "--help"], cwd=ROOT, capture_output=True, text=True,
                          timeout=HELP_TIMEOUT_S)
    return done.returncode, done.stdout + done.stderr


def _subcommands(help_text: str) -> set[str]:
    """The subcommands an argparse help lists as positional arguments: `{a,b}`, or names indented under a metavar."""
    positional = help_text.partition("positional arguments:")[2].partition("\n\n")[0]
    names = {name for group in re.findall(r"^ {2}\{([a-z][\w,-]*)\}", positional, re.M) for name in group.split(",")}
    return names | set(re.findall(r"^ {4}([a-z][\w-]*)(?=\s|$)", positional, re.M))


def test_every_documented_command_runs_and_its_subcommands_exist():
    commands = _shell_commands()
    assert commands, "no `python -m` command in a fenced shell block: the pattern no longer matches the docs"
    # The help of every prefix a subcommand is looked up in, each run once, all at once (each start costs seconds).
    keys = sorted({(module, *words[:depth]) for _, module, words in commands for depth in range(len(words) or 1)})
    with ThreadPoolExecutor(max_workers=4) as pool:
        helps = dict(zip(keys, pool.map(_help, keys)))
    problems = [f"python -m {' '.join(key)} --help: exit {code}\n{out[-500:]}" for key, (code, out) in helps.items()
                if code != 0]
    for page, module, words in commands:
        for depth, word in enumerate(words):
            choices = _subcommands(helps[(module, *words[:depth])][1])
            if not choices:  # this command takes plain arguments from here on
                break
            if word not in choices:
                problems.append(f"{page}: python -m {module} {' '.join(words[:depth + 1])}: no such subcommand "
                                f"(has {sorted(choices)})")
                break
    assert not problems, "\n".join(problems)
