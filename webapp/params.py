"""Query-string parsing shared by the API and the UI; bad values raise `InvalidQuery` (400).

A parameter that is present must be valid: an empty `k=`, `mode=` or `lang=` is a 400 like any other bad value
(the UI drops its empty form fields first, see `filled`). `check_request` refuses, for every request, a path or
parameter that is not UTF-8, holds control characters or is repeated, so no endpoint sees such text.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote_to_bytes

from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from index.errors import InvalidQuery
from index.glosses import check_reader
from index.service import MAX_K

_INT = re.compile(r"^-?[0-9]{1,9}$")  # ASCII digits: int() also reads "+3" and "٣"
# A concept's grounded passages come a page at a time: one a whole corpus discusses grounds thousands (megabytes).
CONCEPT_PASSAGES, MAX_CONCEPT_PASSAGES = 50, 500
MAX_OFFSET = 10**9 - 1
# The lists that grow with the corpus (documents, suggestions) may be read a page at a time.
MAX_LIST_PAGE = 1000
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
# A language tag: an ISO 639 code, optionally with a region or script (sv, sv-SE, nb_NO, zh-Hant-TW).
LANG_TAG = r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,3}"
_LANG_TAG = re.compile(f"^{LANG_TAG}$")
# C0 controls other than tab, newline and carriage return (which a pasted text may hold), DEL and C1 controls.
TEXT_CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # regex escapes, also used in the OpenAPI spec
_TEXT_CONTROL = re.compile(f"[{TEXT_CONTROLS}]")
PATH_CONTROLS = r"\x00-\x1f\x7f-\x9f"  # every control character: paths and names hold no tabs or newlines
_PATH_CONTROL = re.compile(f"[{PATH_CONTROLS}]")
# Line and paragraph separators and bidi overrides can make a shown or logged name read as something else.
_BIDI = re.compile("[\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
MAX_NAME_CHARS = 200
_PARAM_NAME = re.compile(r"^[\w.\[\]-]{1,40}$")
# An If-Match header: one entity tag as RFC 9110 writes it (weak allowed), or *; group 1 the tag, None for *.
IF_MATCH = r'^(?:\*|(?:W/)?"([!#-~]+)")$'
# The parameters that take pasted text (a query, a term, a pack's list of keys): only they may hold a tab or a
# line break.
TEXT_PARAMS = frozenset({"q", "term", "items"})
# A JSON request body (a concept, a suggestion's edits) is small and shallow; the whole request may be 10 MB.
MAX_JSON_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32
MAX_JSON_DIGITS = 100
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")
_JSON_REFUSED = re.compile(f"[{TEXT_CONTROLS}\ud800-\udfff]")


class InvalidJson(BadRequest):
    name = "Invalid JSON"


class JsonTooLarge(RequestEntityTooLarge):
    name = "Request Entity Too Large"


def integer(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """An integer parameter within [low, high]; absent means `default`."""
    raw = args.get(name)
    if raw is None:
        return default
    if not _INT.fullmatch(raw) or not low <= int(raw) <= high:
        raise InvalidQuery(f"{name} must be an integer between {low} and {high}")
    return int(raw)


def page_of_passages(args: Mapping[str, str]) -> tuple[int, int]:
    """(limit, offset) of a concept's grounded passages asked for."""
    return (integer(args, "limit", CONCEPT_PASSAGES, 0, MAX_CONCEPT_PASSAGES),
            integer(args, "offset", 0, 0, MAX_OFFSET))


def page_of_list(args: Mapping[str, str]) -> tuple[int | None, int]:
    """(limit, offset) of a list asked for; limit None: the whole list from offset on."""
    limit = integer(args, "limit", 0, 1, MAX_LIST_PAGE) if "limit" in args else None
    return limit, integer(args, "offset", 0, 0, MAX_OFFSET)


def paged(items: list, limit: int | None, offset: int) -> dict:
    """A page of a list, as the list endpoints answer it: the items, how many there are in all, the page asked."""
    return {"total": len(items), "offset": offset, "limit": limit,
            "items": items[offset:None if limit is None else offset + limit]}


def boolean(args: Mapping[str, str], name: str) -> bool:
    """A yes/no parameter (true/false, 1/0, yes/no, on/off, any case); absent means false."""
    raw = args.get(name)
    if raw is None:
        return False
    if raw.lower() not in _TRUE | _FALSE:
        raise InvalidQuery(f"{name} must be true or false")
    return raw.lower() in _TRUE


def required(args: Mapping[str, str], name: str) -> str:
    """A parameter that must be present; the knowledge base judges its content."""
    value = args.get(name)
    if value is None:
        raise InvalidQuery(f"{name} is required")
    return value


def choice(args: Mapping[str, str], name: str, options: tuple[str, ...]) -> str:
    """One of a fixed set of values; absent means the first option."""
    value = args.get(name, options[0])
    if value not in options:
        raise InvalidQuery(f"{name} must be one of {', '.join(options)}")
    return value


def language(args: Mapping[str, str], name: str = "lang") -> str | None:
    """A language tag (sv, sv-SE, nb_NO); the knowledge base decides whether it knows the language."""
    value = args.get(name)
    if value is not None and not _LANG_TAG.fullmatch(value):
        raise InvalidQuery(f"{name} must be a language code such as sv or sv-SE")
    return value


def search_options(args: Mapping[str, str]) -> dict:
    """Keyword arguments for `KnowledgeBase.search` other than the query (API and UI alike)."""
    return {
        "k": integer(args, "k", 10, 1, MAX_K),
        "lang": language(args),
        "mode": args.get("mode", "hybrid"),
        "group": boolean(args, "group"),
        "ui_lang": language(args, "ui_lang"),
    }


def json_document(data: bytes) -> object:
    """A JSON request body parsed; 413 over MAX_JSON_BYTES, 400 (invalid_json) when malformed or nested too deeply.

    The depth is measured on the bytes before parsing, so a body of 100,000 brackets costs one scan, not a recursion.
    """
    if len(data) > MAX_JSON_BYTES:
        raise JsonTooLarge(f"a JSON body may have at most {MAX_JSON_BYTES} bytes, not {len(data)}")
    depth = deepest = 0
    for bracket in _JSON_BRACKET.findall(_JSON_STRING.sub(b'""', data)):
        depth += 1 if bracket in b"[{" else -1
        deepest = max(deepest, depth)
    if deepest > MAX_JSON_DEPTH:
        raise InvalidJson(f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        document = json.loads(data, parse_constant=_not_json, parse_int=_integer, object_pairs_hook=_object)
    except _Refused as exc:
        raise InvalidJson(f"the request body is JSON this API does not read: {exc}") from None
    except ValueError as exc:  # UnicodeDecodeError included
        raise InvalidJson(f"the request body is not valid JSON: {exc}") from None
    _check_strings(document)
    return document


class _Refused(ValueError):
    """Valid JSON that no field of the API means: a member given twice, a number longer than any the API reads."""


def _not_json(constant: str) -> None:
    # Python's parser takes NaN and Infinity, which JSON has not: no other client could read such a body back.
    raise ValueError(f"{constant} is not a JSON value")


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_JSON_DIGITS:  # Python refuses past 4,300 digits, naming its own settings
        raise _Refused(f"a number of {len(text.lstrip('-'))} digits (at most {MAX_JSON_DIGITS})")
    return int(text)


def _object(pairs: list[tuple[str, object]]) -> dict:
    found: dict = {}
    for key, value in pairs:
        if key in found:  # {"title": "a", "title": "b"}: one reader keeps a, another b
            raise _Refused(f"{key[:100]!r} is given more than once")
        found[key] = value
    return found


def _check_strings(value: object) -> None:
    """Refuse text a JSON escape can carry but no text holds: a lone UTF-16 surrogate ("\\ud800", which no
    encoder writes) or a control character (as in query parameters); keys are checked like values."""
    if isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key)
            _check_strings(item)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item)
    elif isinstance(value, str) and (found := _JSON_REFUSED.search(value)):
        what = "a lone UTF-16 surrogate" if "\ud800" <= found[0] <= "\udfff" else "the control character"
        raise InvalidJson(f"the JSON body contains {what} U+{ord(found[0]):04X}")


def filled(args: Mapping[str, str]) -> dict[str, str]:
    """The parameters with a value: an HTML form sends its empty fields (any language, default mode) as ''."""
    return {name: value for name, value in args.items() if value != ""}


def file_name(raw: str | None) -> str:
    """An upload's own name without folders, as shown and logged: bidi controls dropped, capped in length.

    Control characters or undecodable bytes in it are a 400.
    """
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    if _PATH_CONTROL.search(name) or "\ufffd" in name:
        raise InvalidQuery("the file name contains control characters or bytes that are not UTF-8")
    name = _BIDI.sub("", name).strip()
    if len(name) <= MAX_NAME_CHARS:
        return name
    # Cut in the stem: the suffix names the file's type (a name that long with no short suffix keeps its start).
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or len(suffix) > 10:
        return name[:MAX_NAME_CHARS]
    return stem[:MAX_NAME_CHARS - len(suffix) - 1].rstrip() + "." + suffix


def _decoded(raw: bytes, what: str, controls: re.Pattern) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidQuery(f"{what} is not valid UTF-8") from None
    found = controls.search(text)
    if found:
        raise InvalidQuery(f"{what} contains the control character U+{ord(found[0]):04X}")
    return text


def _pairs(query_string: bytes) -> Iterable[tuple[bytes, bytes]]:
    """Raw (name, value) bytes of a query string, split and decoded as werkzeug does."""
    for piece in query_string.split(b"&"):
        if piece:
            name, _, value = piece.partition(b"=")
            yield unquote_to_bytes(name.replace(b"+", b" ")), unquote_to_bytes(value.replace(b"+", b" "))


def check_request(path_info: str, query_string: bytes) -> None:
    """Refuse a path or query parameter that is not UTF-8, holds control characters or is repeated (400 naming it).

    `path_info` is the WSGI string (the path's bytes as latin-1). werkzeug would turn invalid UTF-8 into
    replacement characters or leave it percent-encoded, so the raw bytes are checked here, once per request.
    """
    _decoded(path_info.encode("latin-1", "replace"), "the path", _PATH_CONTROL)
    seen: set[str] = set()
    for raw_name, raw_value in _pairs(query_string):
        name = _decoded(raw_name, "a parameter name", _PATH_CONTROL)
        label = name if _PARAM_NAME.fullmatch(name) else "a parameter"
        _decoded(raw_value, label, _TEXT_CONTROL if name in TEXT_PARAMS else _PATH_CONTROL)
        # Every parameter takes one value: k=1&k=5000 would be read as k=1 by one reader, k=5000 by another.
        if name in seen:
            raise InvalidQuery(f"{label} is given more than once")
        seen.add(name)


def reader(args: Mapping[str, str], name: str = "glosses") -> str | None:
    """The reader language glosses are asked in (en, de, fr), or None when the parameter is absent."""
    raw = args.get(name)
    return None if raw is None else check_reader(raw, name)
