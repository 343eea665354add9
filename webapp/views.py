"""The browser UI: search, concepts, documents, uploads and the course pack (server-rendered, works without JS)."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from index.concepts.edit import concept_tag
from index.errors import InvalidQuery, KBError, NotFound
from index.glosses import READER_LANGUAGES
from index.service import MODES
from index.suggestions import catalogue_labels, drafted_definitions

from . import concept_forms, concept_writes, params, render, suggestion_writes, trainer, writes
from .auth import WritesDisabled, writes_enabled
from .citations import cite
from .errors import describe
from .kb import get_kb

bp = Blueprint("views", __name__)
UI_LANG = "en"  # the language the templates are written in


@bp.app_context_processor
def _write_context() -> dict:
    # Write controls appear only on a server that accepts writes; a signed-in trainer's forms carry the CSRF token.
    enabled = writes_enabled()
    signed_in = enabled and trainer.signed_in()
    return {"writes_enabled": enabled, "signed_in": signed_in, "csrf_token": trainer.csrf_token() if signed_in else ""}


_SPAN = re.compile(r"^(\d{1,7})-(\d{1,7})$", re.ASCII)
READER_COOKIE = "kb_glosses"
READER_CHOICES = (*READER_LANGUAGES, "off")
# How glosses show: under each word, in a popover on hover, focus or tap, or not at all. app.js switches the view
# in place and writes this cookie itself (so it is not HttpOnly); a GET field does the same without script.
VIEW_COOKIE = "kb_gloss_view"
GLOSS_VIEWS = ("interlinear", "hover", "none")
JOB_REFRESH_S = 2
RECENT_JOBS_SHOWN = 10
# The documents page lists this many a page: 20,000 at once were 8 MB of HTML and 0.8 s of a core per request.
DOCUMENTS_PER_PAGE = 100
PASSAGES_PER_PAGE = 20  # of a concept's grounded passages, each a card with its text
METADATA_FIELDS = ("title", "authors", "date", "publisher", "language")  # the upload's and the edit form's
REMEMBER_S = 365 * 24 * 3600


def _reader() -> tuple[str, bool]:
    """The reader's gloss language (en, de, fr or off) and whether it was chosen just now (to remember it).

    The `glosses` parameter wins, then the cookie, then the browser's Accept-Language, then English.
    """
    chosen = request.args.get("glosses", "")
    if chosen in READER_CHOICES:
        return chosen, True
    remembered = request.cookies.get(READER_COOKIE, "")
    if remembered in READER_CHOICES:
        return remembered, False
    return request.accept_languages.best_match(READER_LANGUAGES) or "en", False


def _gloss_view() -> tuple[str, bool]:
    """How glosses show (see GLOSS_VIEWS) and whether it was chosen just now: the `gloss_view` parameter, then the
    cookie, then interlinear."""
    chosen = request.args.get("gloss_view", "")
    if chosen in GLOSS_VIEWS:
        return chosen, True
    remembered = request.cookies.get(VIEW_COOKIE, "")
    return (remembered if remembered in GLOSS_VIEWS else GLOSS_VIEWS[0]), False


def _ui_lang(reader: str) -> str:
    """The reader's language for concept cards: their gloss language, else the templates' own."""
    return reader if reader in READER_LANGUAGES else UI_LANG


def _remember(response, reader: tuple[str, bool], view: tuple[str, bool]):
    """Set the cookies of the reader's choices made just now."""
    if reader[1]:
        response.set_cookie(READER_COOKIE, reader[0], max_age=REMEMBER_S, samesite="Lax", httponly=True)
    if view[1]:
        response.set_cookie(VIEW_COOKIE, view[0], max_age=REMEMBER_S, samesite="Lax")
    return response


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
    reader_choice, view_choice = _reader(), _gloss_view()
    reader = reader_choice[0]
    result, error, status = None, None, 200
    if query and not query.strip():  # the form's `required` lets spaces through
        error, status = "The query is empty: type a question or some keywords.", 400
    elif query.strip():
        try:
            # Concept cards of an uncertain-language query come in the reader's own language.
            # "Show the weaker passages" (the note under the results) lifts the floor: a page option, not the API's.
            options = params.search_options(params.filled(request.args)) | {"ui_lang": _ui_lang(reader),
                                                                             "weak": params.boolean(request.args, "weak")}
            result = kb.search(query, **options).to_dict()
        except InvalidQuery as exc:
            error, status = str(exc), 400
    if result and reader != "off":
        for r, glosses in zip(result["results"], kb.passage_glosses(result["results"], reader)):
            r["glosses"] = glosses
    concepts, families = _concept_index()
    fallback = bool(result) and render.falls_back([g for r in result["results"] for g in r.get("glosses", ())], reader)
    page = render_template(
        "search.html", query=query, result=result, error=error, languages=kb.languages(), modes=MODES,
        lang=request.args.get("lang", ""), mode=request.args.get("mode") or MODES[0], concepts=concepts,
        families=families, reader=reader, readers=READER_CHOICES, view=view_choice[0], views=GLOSS_VIEWS,
        fallback=fallback, weaker=url_for("views.search", **{**params.filled(request.args), "weak": "true"}),
        wordless=not any(c.isalnum() for c in query),
    )
    return _remember(make_response(page, status), reader_choice, view_choice)


LOOKUP_MATCHES = 5


@bp.get("/concepts")
def concepts():
    """Every concept, grouped by family in catalogue order; with `q` (the header's look-up box), the concepts that
    text names first, in any language, each named in the reader's language."""
    concepts, families = _concept_index()
    groups: dict[str, list[dict]] = {}
    for concept in concepts.values():
        groups.setdefault(concept["family"], []).append(concept)
    lookup = request.args.get("q", "")
    matches, error, status = None, None, 200
    if lookup.strip():
        reader = _ui_lang(_reader()[0])
        try:
            # Each found concept by its label in the reader's language; the label the text matched beside it.
            matches = [{**m, "name": concepts[m["id"]]["labels"].get(reader) or concepts[m["id"]]["label"]}
                       for m in get_kb().lookup(lookup, k=LOOKUP_MATCHES)]
        except InvalidQuery as exc:
            error, status = str(exc), 400
    return render_template("concepts.html", groups=groups, families=families, lookup=lookup, matches=matches,
                           error=error), status


@bp.get("/concepts/<concept_id>")
def concept(concept_id: str):
    """One concept: labels in every language (the reader's first, then English), definition, relations, passages;
    one whose addition is still queued sends the reader to its job's page, which links here once it is done."""
    page = params.integer(request.args, "page", 1, 1, params.MAX_OFFSET // PASSAGES_PER_PAGE)
    try:
        concept = get_kb().concept(concept_id, PASSAGES_PER_PAGE, (page - 1) * PASSAGES_PER_PAGE)
    except NotFound:
        if (adding := concept_writes.queued_addition(concept_id)) is None:
            raise
        return redirect(url_for("views.job", job_id=adding), 303)
    pages = max(1, -(-concept["passages_total"] // PASSAGES_PER_PAGE))
    if page > pages:
        raise InvalidQuery(f"page must be an integer between 1 and {pages}")  # as the documents' pages say
    concepts, families = _concept_index()
    order = render.languages_first(concept["labels"], (_ui_lang(_reader()[0]), UI_LANG))
    return render_template("concept.html", concept=concept, concepts=concepts, families=families, label_order=order,
                           page=page, pages=pages, first=(page - 1) * PASSAGES_PER_PAGE)


def _newest_first(documents: list[dict]) -> list[dict]:
    """Documents the newest added first (those added together in their order)."""
    return sorted(documents, key=lambda d: d["added_at"] or "", reverse=True)


@bp.get("/documents")
def documents():
    """The indexed documents, newest first (a trainer's upload heads the list), a page of them at a time (`page`,
    from 1)."""
    listed = _newest_first(get_kb().documents())
    pages = max(1, -(-len(listed) // DOCUMENTS_PER_PAGE))
    page = params.integer(request.args, "page", 1, 1, pages)
    first = (page - 1) * DOCUMENTS_PER_PAGE
    return render_template("documents.html", documents=listed[first:first + DOCUMENTS_PER_PAGE], total=len(listed),
                           first=first, page=page, pages=pages)


@bp.route("/upload", methods=["GET", "POST"])
def upload():
    """Upload form and the recent writes (for a signed-in trainer; a sign-in link otherwise); a queued upload continues
    on its job's page."""
    if not writes_enabled():
        raise WritesDisabled()
    result, error, status = None, None, 200
    typed = {name: request.form.get(name, "") for name in METADATA_FIELDS}
    if request.method == "POST":
        try:
            # A file already there with other details typed is not edited unasked: the page offers the edit.
            result, status = writes.upload(edit_duplicate=False)
        except (HTTPException, KBError) as exc:  # a refused upload is explained on the form, as typed
            status, _, error, _ = describe(exc)
        if status == 202:
            return redirect(url_for("views.job", job_id=result["job"]["id"]), 303)
        if result and result.get("differs") and result["document"]:
            result["proposed"] = _proposed_metadata(result["document"], result["differs"])
    # The recent jobs name the files trainers uploaded, and whether the runner runs concerns those who upload: a
    # visitor who is not signed in is shown neither (the API's job list asks as much: `require_trainer`).
    recent = writes.recent_jobs(RECENT_JOBS_SHOWN) if trainer.signed_in() else {"jobs": [], "runner": {"alive": True}}
    return render_template("upload.html", result=result, error=error, typed=typed if error else None,
                           jobs=_with_titles(recent["jobs"]), runner_alive=recent["runner"]["alive"]), status


def _proposed_metadata(document: dict, differs: dict) -> dict:
    """The edit form's values for an indexed document with the fields an upload of it gave otherwise."""
    held = {"title": document["title"], "authors": document["authors"], "date": document["date"],
            "publisher": document["publisher"], "language": document["lang"]}
    values = {**held, **differs}
    return {**values, "authors": "; ".join(values["authors"] or [])}


@bp.route("/documents/<doc_id>/delete", methods=["GET", "POST"])
def delete(doc_id: str):
    """Confirm (GET shows the form to a signed-in trainer), then queue the removal (POST) and follow its job."""
    if not writes_enabled():
        raise WritesDisabled()
    doc = get_kb().document(doc_id)
    if request.method == "GET":
        return render_template("delete.html", doc=doc, error=None)
    try:
        result, _ = writes.delete(doc_id)
    except (HTTPException, KBError) as exc:  # a refused deletion is explained on the form
        status, _, message, _ = describe(exc)
        return render_template("delete.html", doc=doc, error=message), status
    return redirect(url_for("views.job", job_id=result["job"]["id"]), 303)


@bp.post("/documents/<doc_id>/metadata")
def document_metadata(doc_id: str):
    """Queue a trainer's change of a document's metadata (the form on its page), then follow its job.

    Every field of the form is sent: an emptied date, publisher or author list is cleared; a refusal is an error page.
    """
    if not writes_enabled():
        raise WritesDisabled()
    body = {name: request.form.get(name, "") for name in METADATA_FIELDS}
    result, _ = writes.edit_metadata(doc_id, body)
    return redirect(url_for("views.job", job_id=result["job"]["id"]), 303)


@bp.get("/suggestions")
def suggestions(message: str | None = None, error: str | None = None, status: int = 200):
    """Suggested concepts per document, newest documents first, with accept (labels and definitions prefilled in
    the suggestion's languages, English typed or the dictionary's gloss confirmed) and dismiss forms for a trainer."""
    kb = get_kb()
    doc_id = request.args.get("doc_id") or None
    message = message or _DECIDED.get(request.args.get("decided", ""))
    found = kb.suggestions(doc_id)
    documents = _newest_first(kb.documents())
    newest = {d["doc_id"]: rank for rank, d in enumerate(documents)}
    # The dictionary's gloss (a look-up per word) is offered in the accept form only, which a trainer alone sees.
    accepting = trainer.signed_in()
    mine: dict[str, list[dict]] = {}
    for s in found:  # each under the newest document it was found in, in that document's order
        home = doc_id or min((d["doc_id"] for d in s["documents"]), key=lambda d: newest.get(d, len(newest)))
        mine.setdefault(home, []).append({**s, "drafts": drafted_definitions(s), "editable": catalogue_labels(s),
                                          "gloss": suggestion_writes.english_gloss(s) if accepting else None})
    for home, items in mine.items():
        items.sort(key=lambda s: -next(d["score"] for d in s["documents"] if d["doc_id"] == home))
    groups = [(d, mine[d["doc_id"]]) for d in documents if d["doc_id"] in mine]
    return render_template("suggestions.html", groups=groups, message=message, error=error), status


# What the suggestions page says after a decision (`?decided=`): a fixed text, never one the address carries.
_DECIDED = {"accepted": "Accepted.", "dismissed": "Dismissed: it is not suggested again."}


def _decided(action, done: str):
    """Run a decision; then its job's page, or the suggestions page by a redirect (a reload sends nothing again)."""
    try:
        result = action()
    except (HTTPException, KBError) as exc:  # a refused decision is explained on the page
        status, _, message, _ = describe(exc)
        return suggestions(error=f"Not done: {message}", status=status)
    if isinstance(result, tuple) and result[0].get("job"):
        return redirect(url_for("views.job", job_id=result[0]["job"]["id"]), 303)
    return redirect(url_for("views.suggestions", decided=done), 303)


@bp.post("/suggestions/<suggestion_id>/accept")
def accept_suggestion(suggestion_id: str):
    """Accept a suggestion with the labels and definitions of the form; the concept's job page follows."""
    if not writes_enabled():
        raise WritesDisabled()
    edits = {field: {k.removeprefix(f"{prefix}-"): v.strip() for k, v in request.form.items()
                     if k.startswith(f"{prefix}-") and v.strip()}
             for field, prefix in (("labels", "label"), ("definitions", "definition"))}
    return _decided(lambda: suggestion_writes.accept(suggestion_id, {k: v for k, v in edits.items() if v}), "accepted")


@bp.post("/suggestions/<suggestion_id>/dismiss")
def dismiss_suggestion(suggestion_id: str):
    """Dismiss a suggestion."""
    if not writes_enabled():
        raise WritesDisabled()
    return _decided(lambda: suggestion_writes.dismiss(suggestion_id), "dismissed")


@bp.get("/jobs/<job_id>")
def job(job_id: str):
    """A write job's progress; while it runs, the page's script reloads it whenever the job moves on."""
    found = writes.job(job_id).to_dict()
    document = None
    if found["state"] == "done" and found["kind"] == "upload":
        try:
            document = get_kb().document(found["doc_id"])
        except KBError:
            document = None
    pending = found["state"] in ("queued", "running")
    return render_template("job.html", job=_with_titles([found])[0], document=document, pending=pending,
                           runner_alive=writes.runner_is_alive(), refresh_s=JOB_REFRESH_S)


def _with_titles(jobs: list[dict]) -> list[dict]:
    """Jobs with the title of the document each edits or deletes (`doc_title`), where the index still holds it: a
    trainer knows documents by their titles, not their ids."""
    named = [job["doc_id"] for job in jobs if job["kind"] in ("metadata", "delete")]
    titles = get_kb().titles(named) if named else {}
    return [{**job, "doc_title": titles.get(job["doc_id"])} if job["kind"] in ("metadata", "delete") else job
            for job in jobs]


@bp.get("/documents/<doc_id>")
def document(doc_id: str):
    """A document's text with every chunk anchored (#chunk-<ord>) and the chosen passage marked."""
    kb = get_kb()
    doc = kb.document(doc_id)
    reader_choice, view_choice = _reader(), _gloss_view()
    reader = reader_choice[0]
    chunk = request.args.get("chunk", "")
    selected = next((c for c in doc["chunks"] if chunk.isdigit() and c["ord"] == int(chunk)), None)
    span = _SPAN.match(request.args.get("hl", ""))
    sentence = (int(span[1]), int(span[2])) if span else None
    glossed = kb.document_glosses(doc, reader) if reader != "off" else None
    glosses = glossed.glosses if glossed else None
    segments = render.document_segments(doc["text"], doc["chunks"], selected and selected["ord"], sentence, glosses,
                                        doc["code"])
    item = None
    if selected:
        # Its text, and the sentence only when it lies inside it, as search results carry them.
        text = doc["text"][selected["start"]:selected["end"]]
        start, end = sentence if sentence and sentence[1] <= len(text) else (0, 0)
        passage = {**doc, **selected, "text": text, "highlight": {"start": start, "end": end}}
        item = render.passage_item(passage, request.full_path + f"#chunk-{selected['ord']}", cite(doc["citation"]))
    page = render_template("document.html", doc=doc, segments=segments, selected=selected, item=item, reader=reader,
                           readers=READER_CHOICES, view=view_choice[0], views=GLOSS_VIEWS,
                           fallback=render.falls_back(glosses or (), reader), chunk=chunk, hl=request.args.get("hl", ""),
                           glossed_until=glossed.until if glossed and glossed.until < len(doc["text"]) else None,
                           unglossed_chunk=doc["chunks"][glossed.chunks]["ord"]
                           if glossed and glossed.chunks < len(doc["chunks"]) else None)
    return _remember(make_response(page), reader_choice, view_choice)


@bp.get("/pack")
def pack():
    """The trainer's course pack, kept in the browser's localStorage."""
    return render_template("pack.html")


# -- trainers: sign-in and the concept catalogue --------------------------------------------------------------

def _local(target: str) -> str:
    """A redirect target on this site only (see `trainer.local_target`), else the concepts page."""
    return trainer.local_target(target) or url_for("views.concepts")


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    """Trainers sign in with the admin token; the browser then keeps a session cookie (8 hours)."""
    if not writes_enabled():
        raise WritesDisabled()
    target = _local(request.values.get("next", ""))
    if request.method == "GET":
        return render_template("signin.html", next=target, error=None)
    response = redirect(target, 303)
    if trainer.sign_in(response, request.form.get("token", "")):
        return response
    return render_template("signin.html", next=target, error="that is not the admin token"), 403


@bp.post("/signout")
def signout():
    """Forget the trainer's session (a form with its CSRF token, so no other site can sign anyone out)."""
    if trainer.signed_in():
        trainer.check_csrf()
    response = redirect(_after_sign_out(request.form.get("next", "")), 303)
    trainer.sign_out(response)
    return response


# Pages only a signed-in trainer opens: signing out on one of them lands on the concepts page instead.
_TRAINER_ONLY = ("views.concept_new", "views.concept_edit", "views.concept_delete")


def _after_sign_out(target: str) -> str:
    """Where a trainer signing out lands: the page they signed out on, unless only a trainer may see it."""
    local = trainer.local_target(target)
    if local is None:
        return url_for("views.concepts")
    try:
        endpoint, _ = current_app.url_map.bind("").match(urlsplit(local).path)
    except HTTPException:  # no page of this site (a 404, or a POST-only address)
        return url_for("views.concepts")
    return url_for("views.concepts") if endpoint in _TRAINER_ONLY else local


def _trainer_page():
    """None when the trainer may use the concept forms, else the redirect to sign in (403 when writes are off)."""
    if not writes_enabled():
        raise WritesDisabled()
    if not trainer.signed_in():
        return redirect(url_for("views.signin", next=request.full_path.rstrip("?")), 303)
    return None


def _concept_form(mode: str, body: dict, concept_id: str | None = None):
    """Show (GET) or submit (POST) the add or edit form; a queued change continues on its job's page.

    The edit form carries the version it showed: saved after another trainer's change, it is refused (412), not
    written over that change."""
    error, status = None, 200
    version = request.form.get("version") or (concept_tag(body) if mode == "replace" else None)
    if request.method == "POST":
        body = concept_forms.body_from_form(request.form, concept_id)
        try:
            result, _ = concept_writes.add(body) if mode == "add" else concept_writes.replace(concept_id, body, version)
            return redirect(url_for("views.job", job_id=result["job"]["id"]), 303)
        except (HTTPException, KBError) as exc:  # a refused change is explained on the form, as typed
            status, _, error, _ = describe(exc)
    catalogue = get_kb().catalogue()
    shown, more = concept_forms.shown_languages(body)
    return render_template("concept_form.html", mode=mode, body=body, error=error, concept_id=concept_id, version=version,
                           shown=shown, more=more, options=concept_forms.options(catalogue, concept_id)), status


@bp.route("/concepts/new", methods=["GET", "POST"])
def concept_new():
    """A trainer adds a concept: labels, aliases and definitions per language, broader, related, contrasts."""
    return _trainer_page() or _concept_form("add", concept_forms.EMPTY)


@bp.route("/concepts/<concept_id>/edit", methods=["GET", "POST"])
def concept_edit(concept_id: str):
    """A trainer changes a concept (its id stays) as the queued concept changes leave it: one whose addition or an
    earlier edit is still queued shows as queued, and is saved on that version."""
    page = _trainer_page()
    if page:
        return page
    concept = concept_writes.catalogue_ahead().get(concept_id)
    return _concept_form("replace", concept_forms.body_of(concept), concept_id)


@bp.route("/concepts/<concept_id>/delete", methods=["GET", "POST"])
def concept_delete(concept_id: str):
    """Confirm (GET), then queue the removal of a concept (POST) and follow its job."""
    page = _trainer_page()
    if page:
        return page
    concept = get_kb().concept(concept_id, limit=0)
    if request.method == "GET":
        return render_template("concept_delete.html", concept=concept, error=None)
    try:
        result, _ = concept_writes.remove(concept_id)
    except (HTTPException, KBError) as exc:
        status, _, message, _ = describe(exc)
        return render_template("concept_delete.html", concept=concept, error=message), status
    return redirect(url_for("views.job", job_id=result["job"]["id"]), 303)
