"""Query-string parsing shared by the API and the UI; bad values raise `InvalidQuery` (400)."""
from __future__ import annotations

import re
from collections.abc import Mapping

from index.errors import InvalidQuery
from index.service import MAX_K

_INT = re.compile(r"^[+-]?\d{1,9}$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def integer(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """An integer parameter within [low, high]."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if not _INT.match(raw) or not low <= int(raw) <= high:
        raise InvalidQuery(f"{name} must be an integer between {low} and {high}")
    return int(raw)


def boolean(args: Mapping[str, str], name: str) -> bool:
    """A yes/no parameter (true/false, 1/0, yes/no, on/off); absent means false."""
    raw = args.get(name, "").strip().lower()
    if raw not in _TRUE | _FALSE:
        raise InvalidQuery(f"{name} must be true or false")
    return raw in _TRUE


def required(args: Mapping[str, str], name: str) -> str:
    """A parameter that must be present; the knowledge base judges its content."""
    value = args.get(name)
    if value is None:
        raise InvalidQuery(f"{name} is required")
    return value


def choice(args: Mapping[str, str], name: str, options: tuple[str, ...]) -> str:
    """One of a fixed set of values; the first option is the default."""
    value = args.get(name) or options[0]
    if value not in options:
        raise InvalidQuery(f"{name} must be one of {', '.join(options)}")
    return value


def search_options(args: Mapping[str, str]) -> dict:
    """Keyword arguments for `KnowledgeBase.search` other than the query (API and UI alike)."""
    return {
        "k": integer(args, "k", 10, 1, MAX_K),
        "lang": args.get("lang") or None,
        "mode": args.get("mode") or "hybrid",
        "group": boolean(args, "group"),
        "ui_lang": args.get("ui_lang") or None,
    }
