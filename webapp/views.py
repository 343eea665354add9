"""The browser UI: search, concepts, documents, uploads and the course pack (server-rendered, works without JS)."""
from __future__ import annotations

import re

from flask import Blueprint, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from index.errors import InvalidQuery, KBError
from index.service import MODES

from . import params, render, writes
from .auth import WritesDisabled, writes_enabled
from .errors import describe
from .kb import get_kb

bp = Blueprint("views", __name__)
UI_LANG = "en"  # the language the templates are written in


@bp.app_context_processor
def _write_context() -> dict:
    # Upload and delete controls appear only on a server that accepts writes.
    return {"writes_enabled": writes_enabled()}


_SPAN = re.compile(r"^(\d{1,7})-(\d{1,7})$")


def _concept_index() -> tuple[dict[str, dict], dict[str, str]]:
    """Concepts by id, and each family's display label."""
    concepts = {c["id"]: c for c in get_kb().concepts()}
    families = {c["family"]: concepts[c["family"]]["label"] if c["family"] in concepts else c["family"]
                for c in concepts.values()}
    return concepts, families


def passage_url(passage: dict) -> str:
    """Link to a passage inside its document, with the best sentence highlighted."""
    highlight = passage["highlight"]
    return url_for("views.document", doc_id=passage["doc_id"], chunk=passage["ord"],
                   hl=f"{highlight['start']}-{highlight['end']}", _anchor=f"chunk-{passage['ord']}")


@bp.get("/")
def search():
    """Search form and, when a query is given, the ranked passages."""
    kb = get_kb()
    query = request.args.get("q", "")
    result, error, status = None, None, 200
    if query.strip():
        try:
            # Concept cards of an uncertain-language query come in the UI's own language.
            options = params.search_options(request.args) | {"ui_lang": UI_LANG}
            result = kb.search(query, **options).to_dict()
        except InvalidQuery as exc:
            error, status = str(exc), 400
    concepts, families = _concept_index()
    return render_template(
        "search.html", query=query, result=result, error=error, languages=kb.languages(), modes=MODES,
        lang=request.args.get("lang", ""), mode=request.args.get("mode") or MODES[0], concepts=concepts,
        families=families,
    ), status


@bp.get("/concepts")
def concepts():
    """Every concept, grouped by family in catalogue order."""
    concepts, families = _concept_index()
    groups: dict[str, list[dict]] = {}
    for concept in concepts.values():
        groups.setdefault(concept["family"], []).append(concept)
    return render_template("concepts.html", groups=groups, families=families)


@bp.get("/concepts/<concept_id>")
def concept(concept_id: str):
    """One concept: labels in every language, definition, relations and grounded passages."""
    concept = get_kb().concept(concept_id)
    concepts, families = _concept_index()
    return render_template("concept.html", concept=concept, concepts=concepts, families=families)


@bp.get("/documents")
def documents():
    """Every indexed document."""
    return render_template("documents.html", documents=get_kb().documents())


@bp.route("/upload", methods=["GET", "POST"])
def upload():
    """Upload form (token and file) and, after a POST, what became of the file."""
    if not writes_enabled():
        raise WritesDisabled()
    if request.method == "GET":
        return render_template("upload.html", result=None, error=None)
    try:
        result, status = writes.upload()
    except (HTTPException, KBError) as exc:  # a refused upload is explained on the form
        status, _, message, _ = describe(exc)
        return render_template("upload.html", result=None, error=message), status
    return render_template("upload.html", result=result, error=None), status


@bp.route("/documents/<doc_id>/delete", methods=["GET", "POST"])
def delete(doc_id: str):
    """Confirm with the token (GET shows the form), then remove the document (POST)."""
    if not writes_enabled():
        raise WritesDisabled()
    doc = get_kb().document(doc_id)
    if request.method == "GET":
        return render_template("delete.html", doc=doc, result=None, error=None)
    try:
        result = writes.delete(doc_id)
    except (HTTPException, KBError) as exc:  # a refused deletion is explained on the form
        status, _, message, _ = describe(exc)
        return render_template("delete.html", doc=doc, result=None, error=message), status
    return render_template("delete.html", doc=doc, result=result, error=None)


@bp.get("/documents/<doc_id>")
def document(doc_id: str):
    """A document's text with every chunk anchored (#chunk-<ord>) and the chosen passage marked."""
    doc = get_kb().document(doc_id)
    chunk = request.args.get("chunk", "")
    selected = next((c for c in doc["chunks"] if chunk.isdigit() and c["ord"] == int(chunk)), None)
    span = _SPAN.match(request.args.get("hl", ""))
    sentence = (int(span[1]), int(span[2])) if span else None
    segments = render.document_segments(doc["text"], doc["chunks"], selected and selected["ord"], sentence)
    item = None
    if selected:
        # Its text, and the sentence only when it lies inside it, as search results carry them.
        text = doc["text"][selected["start"]:selected["end"]]
        start, end = sentence if sentence and sentence[1] <= len(text) else (0, 0)
        passage = {**doc, **selected, "text": text, "highlight": {"start": start, "end": end}}
        item = render.passage_item(passage, request.full_path + f"#chunk-{selected['ord']}")
    return render_template("document.html", doc=doc, segments=segments, selected=selected, item=item)


@bp.get("/pack")
def pack():
    """The trainer's course pack, kept in the browser's localStorage."""
    return render_template("pack.html")
