"""Settings read from environment variables, with the defaults `make run` relies on."""
from __future__ import annotations

import os
from collections.abc import Mapping

# (environment variable, Flask config key, default, converter)
_SETTINGS = (
    ("KB_INDEX_DIR", "KB_INDEX_DIR", "data/index", str),
    ("KB_EMBEDDER", "KB_EMBEDDER", None, str),
    ("PORT", "PORT", 5000, int),
    ("KB_MAX_UPLOAD_MB", "KB_MAX_UPLOAD_MB", 10, float),
    ("KB_ADMIN_TOKEN", "KB_ADMIN_TOKEN", None, str),
    ("KB_LOG_LEVEL", "KB_LOG_LEVEL", "INFO", str.upper),
)


def from_env(environ: Mapping[str, str] | None = None) -> dict:
    """Flask config values from the environment (empty variables count as unset)."""
    environ = os.environ if environ is None else environ
    config: dict = {}
    for var, key, default, convert in _SETTINGS:
        raw = environ.get(var, "").strip()
        config[key] = convert(raw) if raw else default
    return config
