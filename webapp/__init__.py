"""Flask web app: the JSON API and the browser UI over one `index.service.KnowledgeBase` per process.

Configuration comes from environment variables (a `config` mapping passed to `create_app` overrides them):

| Variable           | Default      | Meaning                                                                  |
|--------------------|--------------|--------------------------------------------------------------------------|
| `KB_INDEX_DIR`     | `data/index` | Index directory to serve; newer published versions are picked up live.  |
| `KB_EMBEDDER`      | (from index) | Embedder the index must have been built with (`e5-small`, `st:<model>`). |
| `PORT`             | `5000`       | Port `make run` binds on 127.0.0.1.                                      |
| `KB_MAX_UPLOAD_MB` | `10`         | Largest request body accepted, in MB (larger ones get a JSON 413).       |
| `KB_ADMIN_TOKEN`   | (unset)      | Token for write operations; unset means writes are switched off.         |
| `KB_MAX_PENDING_JOBS` | `1000`    | Queued or running writes at most; more get a JSON 429 `queue_full`.      |
| `KB_LOG_LEVEL`     | `INFO`       | Log level (`DEBUG`, `INFO`, `WARNING`, ...); lines carry the request id. |
| `OMP_NUM_THREADS`  | `1`          | Encoder threads per worker (gunicorn already runs one worker per core).  |

`python -m webapp.serve` (make run) also reads `KB_WORKERS`, `KB_THREADS`, `KB_RUN_DIR`, `KB_CLIENT_TIMEOUT_S` and
`KB_REQUEST_TIMEOUT_S` (see README).
"""
from __future__ import annotations

from collections.abc import Mapping

from flask import Flask

from . import api, errors, hooks, logs, render, views
from .config import from_env, limit_native_threads
from .kb import KBHolder


def create_app(config: Mapping | None = None) -> Flask:
    """Build the app: read settings, open the knowledge base, register blueprints, hooks and errors."""
    limit_native_threads()  # before anything can load the query encoder
    app = Flask(__name__)
    app.config.update({**from_env(), **(config or {})})
    if app.config["MAX_CONTENT_LENGTH"] is None:  # Flask's default; an explicit value wins
        app.config["MAX_CONTENT_LENGTH"] = int(app.config["KB_MAX_UPLOAD_MB"] * 1024 * 1024)
    logs.configure(app.config["KB_LOG_LEVEL"])  # under gunicorn nothing has configured logging yet
    app.json.sort_keys = False
    app.extensions["kb"] = KBHolder(app.config["KB_INDEX_DIR"], app.config["KB_EMBEDDER"])
    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
    app.add_template_filter(render.lang_name)
    app.add_template_global(render.split_highlight)
    app.add_template_global(render.glossed_highlight)
    app.add_template_global(render.gloss_title)
    app.add_template_global(render.passage_item)
    app.add_template_global(render.concept_item)
    app.add_template_global(views.passage_url)
    hooks.register(app)
    errors.register(app)
    return app
