"""What each `python -m index` command does (the parser is in `index.__main__`, which loads this only to run one)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import uploads, versions
from .caches import build_caches, cached_already
from .catalogue_writes import update_catalogue
from .cliargs import EXIT_FAIL, EXIT_NO_INDEX, EXIT_OK, EXIT_USAGE
from .concepts import import_skos
from .concepts.skos import MAX_SKOS_BYTES
from .config import Config
from .errors import IndexBusy, IndexCorrupt, IndexNotFound
from .segments import layout
from .service import KnowledgeBase
from .stores import Store, open_store, write_settings

UPLOADS_LOCK_WAIT_S = 10.0


def _print_search(response) -> None:
    detected = response.query_lang if response.query_lang != "und" else f"uncertain (maybe {response.query_lang_guess})"
    print(f"query language: {detected}, confidence {response.query_lang_confidence:.2f}   mode: {response.mode}"
          f"   {response.took_ms:.1f} ms")
    for card in response.concepts:
        print(f"concept: {card['label']} ({card['id']}): {card['definition']}")
    for r in response.results:
        print(f"\n{r.rank:>2}. [{r.lang}] {r.title}  ({r.source}, chunk {r.chunk_id})  score {r.score:.3f}")
        print(f"    » {r.highlight['sentence']}")
        if r.concepts:
            print(f"    concepts: {', '.join(r.concepts)}")


def _merge(store: Store, config: Config, max_rows: int | None) -> int:
    if store.current() is None:
        raise IndexNotFound(f"no index in {config.index_dir}")
    with store.writer(write_settings(store, config)) as writer:
        published = writer.merge(max_rows)
    for version in published:
        print(f"published {version.version} ({version.documents} documents, {version.chunks} chunks)")
    print(f"{len(published)} merge(s)" if published else "nothing to merge")
    return EXIT_OK


def _verify(store: Store, index_dir: Path) -> int:
    current = store.current()
    names = versions.published(index_dir)
    if current is None and not names:  # said as every command says it (see __main__)
        raise IndexNotFound(f"no index in {index_dir}: run `python -m ingest PATH --index-dir {index_dir}` first")
    status = EXIT_OK
    # Older versions: their checksums. The current one: the store's whole check, every passage read back.
    for name in [n for n in names if n != current] + ([current] if current else []):
        problems = store.verify() if name == current else versions.verify_version(versions.versions_dir(index_dir) / name)
        marker = "*" if name == current else " "
        # Names are numbered with zeros in front: a later one sorts after.
        # Likely a write killed before CURRENT named it; but CURRENT may have been set back by hand, and the next
        # write starts from CURRENT: say what is lost, not what cannot be known.
        unpublished = " (newer than CURRENT: not served; the next write starts from CURRENT, and its changes are " \
            "lost unless CURRENT is pointed at it)" if current and name > current else ""
        print(f"{marker} {name}: {'ok' if not problems else 'DAMAGED'}{unpublished}"
              + (_read_back(store) if name == current and not problems else ""))
        for problem in problems:
            print(f"    {problem}")
        if problems and name == current:
            status = EXIT_FAIL
    if names and current not in names:  # only the embedded store keeps versions in the index directory
        print(f"CURRENT points at {current!r}, which is not a complete version")
        status = EXIT_FAIL
    return max(status, _verify_uploads(store, index_dir))


def _served_instead(store: Store) -> str | None:
    """Why the stored uploads cannot be judged now: the current version is damaged, and the older one served in its
    place does not name the uploads of the damaged one's documents (they would look orphaned); else None."""
    try:
        warnings = store.snapshot().warnings
    except IndexCorrupt as exc:  # no version is sound: nothing is served at all
        return f"{exc}"
    return f"the current version is damaged ({warnings[0]}); see `python -m index verify`" if warnings else None


def _read_back(store) -> str:
    snapshot = store.snapshot()
    return f" (every one of {snapshot.n_documents} documents and {snapshot.n_chunks} passages read back)"


def _verify_uploads(store: Store, index_dir: Path) -> int:
    if damage := _served_instead(store):
        print(f"uploads: not checked: {damage}")
        return EXIT_FAIL
    # Under the writer lock: a write in progress places its file just before it publishes.
    try:
        with versions.writer_lock(index_dir, timeout=UPLOADS_LOCK_WAIT_S):
            orphans, missing = uploads.orphans(index_dir, store), uploads.missing(index_dir, store)
    except IndexBusy:
        print("uploads: not checked, a writer is busy (try again)")
        return EXIT_OK
    # Hashing every stored upload takes long in a big folder; it needs no lock (uploads are renamed into place
    # whole), so upload jobs are not kept waiting meanwhile.
    altered = uploads.altered(index_dir, store)
    print(f"uploads: {len(uploads.stored(index_dir)) - len(orphans)} stored for indexed documents, "
          f"{len(orphans)} orphaned, {len(missing)} missing, {len(altered)} altered")
    for path in orphans:
        print(f"    orphan: {uploads.UPLOADS}/{path.name} (no document names it; `gc` removes it)")
    for source in missing:
        print(f"    missing: {source} (an indexed document's stored upload is gone)")
    for source in altered:
        print(f"    altered: {source} (its bytes no longer match the hash it was stored under)")
    return EXIT_FAIL if orphans or missing or altered else EXIT_OK


def run(args: argparse.Namespace, config: Config) -> int:
    """Run a parsed command line against the index `config` names."""
    index_dir = config.index_dir
    if args.command == "concepts" and args.concepts_command == "import":
        return _import(args, config)
    if args.command == "cache":  # needs no index
        built = cached_already(config)
        print("\n".join(built + ["(built already: nothing to do)"] if built is not None else build_caches(config)))
        return EXIT_OK
    store = open_store(config)
    if args.command == "verify":
        return _verify(store, index_dir)
    if args.command == "gc":
        if store.current() is None and not versions.published(index_dir):
            raise IndexNotFound(f"no index in {index_dir}")
        with versions.writer_lock(index_dir):
            damage = _served_instead(store)
            removed = layout.collect_garbage(index_dir, args.keep or config.keep_versions, bool(damage))
            orphans = [] if damage else uploads.collect(index_dir, store)
        print(f"removed {len(removed)} version(s): {', '.join(removed) or '-'}")
        print(f"older versions and uploads kept: {damage}" if damage else f"removed {len(orphans)} orphaned upload(s)")
        return EXIT_OK
    if args.command == "rollback":
        if not versions.published(index_dir) and versions.current_name(index_dir) is None:
            raise IndexNotFound(f"no index with versions in {index_dir} (a PostgreSQL index has none to roll back)")
        with versions.writer_lock(index_dir):
            damaged, served = versions.roll_back(index_dir)
        print(f"{served} is the current version now; {damaged} was damaged and is set aside as"
              f" versions/{versions.SET_ASIDE}{damaged}, with the segments it names (its changes are not served;"
              " `gc` removes the uploads only it named; delete the folder once inspected)")
        return EXIT_OK
    if args.command == "merge":
        return _merge(store, config, args.max_rows)
    kb = KnowledgeBase(config)
    if args.command == "search":
        response = kb.search(args.query, k=args.k, lang=args.lang, mode=args.mode, group=args.group)
        if args.json:
            print(json.dumps(response.to_dict(), ensure_ascii=False, indent=2))
        else:
            _print_search(response)
        return EXIT_OK
    if args.command == "stats":
        print(json.dumps(kb.stats(), ensure_ascii=False, indent=2))
        return EXIT_OK
    return _concepts(kb, args)


_SKOS_SUFFIXES = {".ttl": "turtle", ".turtle": "turtle", ".jsonld": "json-ld", ".json": "json-ld"}


def _import(args: argparse.Namespace, config: Config) -> int:
    fmt = args.format or _SKOS_SUFFIXES.get(args.file.suffix.lower())
    if fmt is None:
        print(f"error: cannot tell the format of {args.file.name}; pass --format json-ld|turtle", file=sys.stderr)
        return EXIT_USAGE
    try:
        with open(args.file, "rb") as handle:
            data = handle.read(MAX_SKOS_BYTES + 1)  # one byte more tells a file that is too big
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return EXIT_FAIL
    catalogue = import_skos(data, fmt, source=args.file.name)  # CatalogueError -> exit 1 in main
    terms = catalogue.all_terms()
    summary = (f"{len(catalogue)} concepts, {len(terms)} labels and aliases in {len(catalogue.languages())} languages"
               f" ({', '.join(catalogue.languages())})")
    if args.check:
        print(f"{args.file.name}: valid; {summary}; nothing changed (--check)")
        return EXIT_OK
    store = open_store(config)
    update = update_catalogue(store, write_settings(store, config), lambda current: catalogue)
    if update.version is None:
        print(f"{args.file.name}: the index's catalogue is this vocabulary already; nothing changed")
    else:
        print(f"{args.file.name}: imported {summary}; {len(update.changed)} concepts added, changed or removed;"
              f" published {update.version}")
    return EXIT_OK


def _concepts(kb, args: argparse.Namespace) -> int:
    if args.concepts_command == "lookup":
        matches = kb.lookup(args.text, k=args.k)
        if args.json:
            print(json.dumps({"query": args.text, "matches": matches}, ensure_ascii=False, indent=2))
        for m in [] if args.json else matches:
            print(f"{m['score']:.3f}  {m['id']:<32} {m['label']}  [{m['family']}, {m['via']}]")
        return EXIT_OK
    if args.concepts_command == "check":
        missing = kb.ungrounded_concepts()
        for concept_id in missing:
            print(f"no supporting passage: {concept_id}")
        print(f"{len(kb.concepts()) - len(missing)} of {len(kb.concepts())} concepts grounded")
        return EXIT_FAIL if missing else EXIT_OK
    print(kb.export_concepts(args.format))
    return EXIT_OK
