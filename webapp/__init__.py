"""Flask web app: the JSON API and the browser UI over one `index.service.KnowledgeBase` per process.

Settings are an `index.config.Config` (docs/configuration.md): `create_app` reads them from the environment, or
takes a `Config`, or a mapping of overrides (keys: `Config` field names or their `KB_*` variables; other keys are
Flask's). The app keeps its `Config` in `app.config["KB"]`. `OMP_NUM_THREADS` (default 1) sets the encoder threads
per worker (gunicorn already runs one worker per core).
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from index.config import ENV_FIELDS, FIELDS, Config

from . import api, citations, errors, hooks, logs, render, views
from .config import limit_native_threads
from .kb import KBHolder


def create_app(config: Config | Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settle the settings, open the knowledge base, register blueprints, hooks and errors.

    A bad setting raises InvalidSetting naming it (the server does not start).
    """
    limit_native_threads(os.environ)  # before anything can load the query encoder
    if isinstance(config, Config):
        settings, flask_keys = config, {}
    else:
        overrides = dict(config or {})
        ours = {key: overrides.pop(key) for key in list(overrides) if key in FIELDS or key in ENV_FIELDS}
        settings, flask_keys = Config.from_env().replace(**ours), overrides
    app = Flask(__name__)
    app.config.update(flask_keys, KB=settings)
    if app.config["MAX_CONTENT_LENGTH"] is None:  # Flask's default; an explicit value wins
        app.config["MAX_CONTENT_LENGTH"] = int(settings.max_upload_mb * 1024 * 1024)
    logs.configure(settings.log_level)  # under gunicorn nothing has configured logging yet
    app.json.sort_keys = False
    app.extensions["kb"] = KBHolder(settings)
    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
    app.add_template_filter(render.lang_name)
    app.add_template_global(render.split_highlight)
    app.add_template_global(render.glossed_highlight)
    app.add_template_global(render.gloss_title)
    app.add_template_global(render.gloss_senses)
    app.add_template_global(render.gloss_first)
    app.add_template_global(render.passage_item)
    app.add_template_global(render.concept_item)
    app.add_template_global(views.passage_url)
    app.add_template_global(citations.cite)
    hooks.register(app)
    errors.register(app)
    return app
