"""Domain errors raised by the core; the CLIs and the web app translate them at the edges."""


class KBError(Exception):
    """Base class for every error the knowledge base reports to a user."""

    code = "kb_error"
    retry_after_s: int | None = None  # set where retrying later can succeed (the web edge sends Retry-After)


class IndexNotFound(KBError):
    """No published index exists in the index directory."""

    code = "index_not_found"


class IndexCorrupt(KBError):
    """A published index version fails verification."""

    code = "index_corrupt"


class EmbedderMismatch(KBError):
    """The index was built with another embedder than the one asked for."""

    code = "embedder_mismatch"


class UnknownEmbedder(KBError):
    """The embedder name is not one this build knows."""

    code = "unknown_embedder"


class InvalidQuery(KBError):
    """A search or lookup parameter is out of range or malformed."""

    code = "invalid_query"


class NotFound(KBError):
    """A document, chunk or concept id does not exist."""

    code = "not_found"


class CatalogueError(KBError):
    """The concept catalogue file is malformed."""

    code = "catalogue_error"


class StoreUnavailable(KBError):
    """The database holding the index or the job queue cannot be reached (down, restarting, refusing connections)."""

    code = "store_unavailable"
    retry_after_s = 10  # it comes back by itself (a restart, a failover)


class IndexBusy(KBError):
    """Another writer holds the index lock."""

    code = "index_busy"


class DocumentError(KBError):
    """A file cannot become a document: unsupported, empty, binary, undecodable or without text."""

    code = "invalid_document"


class InvalidMetadata(KBError):
    """A document's title, authors, date, publisher or language is malformed."""

    code = "invalid_metadata"


class InvalidSetting(KBError):
    """A setting (command-line option or environment variable) has a value the index cannot use."""

    code = "invalid_setting"


class MissingPackage(InvalidSetting):
    """A setting asks for an optional package set that is not installed (`make run` installs serving only)."""

    code = "missing_package"


class InvalidConcept(CatalogueError):
    """A concept change is malformed or would break the catalogue (unknown language, reference or field, a cycle)."""

    code = "invalid_concept"


class ConceptConflict(CatalogueError):
    """A concept change clashes with the catalogue: the id is taken, a label names another concept, it has narrower concepts."""

    code = "concept_conflict"


class SuggestionDecided(CatalogueError):
    """A decision on a suggested concept that a trainer has decided on already, or that a queued change accepts."""

    code = "suggestion_decided"


class ConceptChanged(CatalogueError):
    """A concept change names the version of the concept it was made on (If-Match), and the concept has changed since."""

    code = "precondition_failed"


class Overloaded(KBError):
    """More work of its kind is under way than a request may wait behind (the query encoder's queue, upload
    checks); retry after `retry_after_s`."""

    code = "overloaded"
    retry_after_s = 1


class QueueFull(KBError):
    """The job queue holds as many pending writes as it may: the client should retry later."""

    code = "queue_full"
    retry_after_s = 10


class InsufficientStorage(KBError):
    """A write ran out of disk space (or quota) where the index keeps its files."""

    code = "insufficient_storage"
