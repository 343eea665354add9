"""The JSON API: /api/*, /healthz and /openapi.json."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from index.citations import FORMATS as PACK_FORMATS, export as export_pack
from index.concepts.edit import concept_tag
from index.errors import KBError
from index.glosses import typed_term
from index.language import QUERY_LANGUAGES, normalize_lang
from index.service import MAX_K

from . import concept_writes, health, params, suggestion_writes, writes
from .auth import require_trainer, require_writer, writes_enabled
from .citations import EXPORT_CSP, base_url, cite, pack_entries, today
from .kb import get_kb
from .openapi import spec

bp = Blueprint("api", __name__)

EXPORT_TYPES = {"skos-jsonld": "application/ld+json", "skos-turtle": "text/turtle", "markdown": "text/markdown"}


@bp.get("/api/search")
def search() -> Response:
    """Passages ranked for a query in any language."""
    query = params.required(request.args, "q")
    options, reader = params.search_options(request.args), params.reader(request.args)
    kb = get_kb()
    body = kb.search(query, **options).to_dict()
    for result in body["results"]:
        result["citation"] = cite(result["citation"])
    if reader:
        for result, glosses in zip(body["results"], kb.passage_glosses(body["results"], reader)):
            result["glosses"] = glosses
    return jsonify(body)


def _filter_languages() -> tuple[str, ...]:
    """Languages the search filter accepts: the usual query languages and those of the indexed passages."""
    try:
        indexed = get_kb().languages()
    except KBError:
        indexed = []
    return tuple(sorted({*QUERY_LANGUAGES, *(code for code in indexed if code.isalpha() and len(code) in (2, 3))}))


@bp.get("/api/concepts")
def concepts() -> Response:
    """Every concept of the catalogue."""
    return jsonify(concepts=get_kb().concepts())


@bp.get("/api/concepts/lookup")
def lookup() -> Response:
    """Concepts that a piece of text names, best first."""
    query = params.required(request.args, "q")
    k = params.integer(request.args, "k", 5, 1, MAX_K)
    return jsonify(query=query, matches=get_kb().lookup(query, k=k))


@bp.get("/api/concepts/export")
def export() -> Response:
    """The catalogue as SKOS (JSON-LD or Turtle) or as Markdown with cited passages."""
    fmt = params.choice(request.args, "format", tuple(EXPORT_TYPES))
    body = get_kb().export_concepts(fmt)
    return Response(body, mimetype=EXPORT_TYPES[fmt])


@bp.get("/api/concepts/<concept_id>")
def concept(concept_id: str) -> Response:
    """One concept with its labels, relations and a page of its grounded passages (each with its citation)."""
    body = get_kb().concept(concept_id, *params.page_of_passages(request.args))
    for passage in body["passages"]:
        passage["citation"] = cite(passage["citation"])
    response = jsonify(body)
    response.set_etag(concept_tag(body))  # of this very answer; for If-Match on PUT and DELETE
    return response


@bp.post("/api/concepts")
def add_concept() -> tuple[Response, int, dict]:
    """Queue a new concept (needs the admin token): 202 and the job."""
    require_writer()  # before reading the body: no token, no parsing
    return _accepted(*concept_writes.add(concept_writes.json_body()))


@bp.put("/api/concepts/<concept_id>")
def replace_concept(concept_id: str) -> tuple[Response, int, dict]:
    """Queue a concept's replacement (needs the admin token): 202 and the job."""
    require_writer()
    return _accepted(*concept_writes.replace(concept_id, concept_writes.json_body(), concept_writes.if_match()))


@bp.delete("/api/concepts/<concept_id>")
def remove_concept(concept_id: str) -> tuple[Response, int, dict]:
    """Queue a concept's removal (needs the admin token): 202 and the job."""
    require_writer()  # before reading If-Match: a stranger's malformed header is a 403, not a 400
    return _accepted(*concept_writes.remove(concept_id, concept_writes.if_match()))


@bp.get("/api/suggestions")
def suggestions() -> Response:
    """Suggested concepts of the served index that no trainer decided on; `doc_id` narrows them to one document."""
    doc_id = request.args.get("doc_id") or None
    limit, offset = params.page_of_list(request.args)
    kb = get_kb()
    page = params.paged(kb.suggestions(doc_id), limit, offset)
    return jsonify(version=kb.version, doc_id=doc_id, suggestions=page.pop("items"), **page)


@bp.get("/api/suggestions/<suggestion_id>")
def suggestion(suggestion_id: str) -> Response:
    """One suggestion, with the decision taken on it."""
    return jsonify(get_kb().suggestion(suggestion_id))


@bp.post("/api/suggestions/<suggestion_id>/accept")
def accept_suggestion(suggestion_id: str) -> tuple[Response, int, dict]:
    """Make a suggestion a concept, with optional edits (needs the admin token): 202 and the concept job."""
    require_writer()
    edits = concept_writes.json_body() if request.content_length else None
    return _accepted(*suggestion_writes.accept(suggestion_id, edits))


@bp.post("/api/suggestions/<suggestion_id>/dismiss")
def dismiss_suggestion(suggestion_id: str) -> Response:
    """Dismiss a suggestion (needs the admin token): it is not suggested again."""
    return jsonify(suggestion_writes.dismiss(suggestion_id))


@bp.get("/api/documents")
def documents() -> Response:
    """Metadata of every indexed document (or a page of them, oldest first), each with its citation."""
    limit, offset = params.page_of_list(request.args)
    kb = get_kb()
    if limit is not None or offset:
        page = params.paged(kb.documents(), limit, offset)
        return jsonify(documents=[{**d, "citation": cite(d["citation"])} for d in page.pop("items")], **page)
    # The whole list is serialised once per served version: at 20,000 documents it is 9 MB and took 0.34 s of a
    # core per request, which a few clients polling it could spend for everyone's searches.
    key = (kb.version, base_url())  # citations link through the request's root where no public URL is set
    listed = current_app.extensions.get("documents_listing")
    if listed is None or listed[0] != key:
        page = params.paged(kb.documents(), None, 0)
        body = current_app.json.dumps({"documents": [{**d, "citation": cite(d["citation"])} for d in page.pop("items")],
                                       **page}, separators=(",", ":"))
        listed = current_app.extensions["documents_listing"] = (key, body + "\n")
    return current_app.response_class(listed[1], mimetype="application/json")


def _accepted(body: dict, status: int) -> tuple[Response, int, dict]:
    headers = {"Location": url_for("api.job", job_id=body["job"]["id"])} if body["job"] else {}
    return jsonify(body), status, headers


@bp.post("/api/documents")
def upload_document() -> tuple[Response, int, dict]:
    """Queue a document from a multipart upload (needs the admin token): 202 and the job; 200 for a duplicate."""
    return _accepted(*writes.upload())


@bp.get("/api/documents/<doc_id>")
def document(doc_id: str) -> Response:
    """One document's metadata, citation, text and chunk boundaries; with `glosses=en|de|fr` its glosses too."""
    reader, kb = params.reader(request.args), get_kb()
    body = kb.document(doc_id)
    body["citation"] = cite(body["citation"])
    if reader:
        glossed = kb.document_glosses(body, reader)
        body["glosses"], body["glossed_until"] = glossed.glosses, glossed.until
    return jsonify(body)


@bp.patch("/api/documents/<doc_id>")
def edit_document(doc_id: str) -> tuple[Response, int, dict]:
    """Queue a change of a document's title, authors, date, publisher or language (needs the admin token): 202."""
    require_writer()
    return _accepted(*writes.edit_metadata(doc_id, concept_writes.json_body()))


@bp.get("/api/pack")
def pack() -> Response:
    """A course pack (passages and concepts by key) exported as Markdown, HTML, CSL-JSON, RIS or BibTeX."""
    fmt = params.choice(request.args, "format", tuple(PACK_FORMATS))
    entries = pack_entries(params.required(request.args, "items"))
    mimetype, suffix = PACK_FORMATS[fmt]
    response = Response(export_pack(entries, fmt, today()), content_type=f"{mimetype}; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="course-pack.{suffix}"'
    if fmt == "html":
        response.headers["Content-Security-Policy"] = EXPORT_CSP
    return response


@bp.get("/api/glossary")
def glossary() -> Response:
    """Glosses of one word or term of a passage language, for a reader of English, German or French."""
    term, lang = params.required(request.args, "term"), params.language({"lang": params.required(request.args, "lang")})
    to = params.reader(request.args, "to") or "en"
    glosses = get_kb().glossary(term, lang, to)  # InvalidQuery for a language it does not know
    # The term as glossed (the glosses' offsets point into it), in the language read (sv-SE: sv; nb: no).
    return jsonify(term=typed_term(term), lang=normalize_lang(lang), to=to, glosses=glosses)


@bp.delete("/api/documents/<doc_id>")
def delete_document(doc_id: str) -> tuple[Response, int, dict]:
    """Queue the removal of a document (needs the admin token): 202 and the job."""
    return _accepted(*writes.delete(doc_id))


@bp.get("/api/jobs")
def jobs() -> Response:
    """The newest write jobs, and whether the job runner is running (needs the admin token or a trainer's session:
    the jobs name the files trainers uploaded). One job is read by its id, which only its writer was given."""
    require_trainer()
    return jsonify(writes.recent_jobs())


@bp.get("/api/jobs/<job_id>")
def job(job_id: str) -> Response:
    """One write job: state, stage, progress, the version that serves it, its error, and whether a runner is there
    to run it (a client following a queued job learns it waits for no runner)."""
    return jsonify({**writes.job(job_id).to_dict(), "runner": {"alive": writes.runner_is_alive()}})


@bp.get("/api/stats")
def stats() -> Response:
    """Counts, languages, version and embedder of the served index."""
    return jsonify(get_kb().stats())


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness and readiness: 200 with the served version when the index is loaded (status "degraded", with its
    reasons, while reads work but something else does not), else 503."""
    kb = get_kb()
    stats = kb.stats()
    reasons = health.problems()
    enabled = writes_enabled()
    return jsonify(
        status="degraded" if reasons else "ok", reasons=reasons, version=stats["version"], embedder=stats["embedder"],
        documents=stats["documents"], chunks=stats["chunks"], concepts=len(kb.concepts()), languages=kb.languages(),
        writes_enabled=enabled, jobs_pending=writes.pending_jobs() if enabled else None, warnings=stats["warnings"],
    )


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of this API."""
    return jsonify(spec(_filter_languages()))
