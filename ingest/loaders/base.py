"""What every loader returns, and the bounds every loader checks (see `limits`)."""
from __future__ import annotations

from dataclasses import dataclass, field

from index.errors import DocumentError

from .. import limits


# A block of code as a loader marks it: cleaning keeps its lines as written and records where it lies (see
# `ingest.cleaning.clean`). Private-use characters that `unmarked` removes from every file's own text.
CODE_START, CODE_END = "\U000F0010", "\U000F0011"


def unmarked(text: str) -> str:
    """A file's own text without the code marks: only a loader marks code (a page's &#983056;, a DOCX's run)."""
    return text.replace(CODE_START, "").replace(CODE_END, "") if CODE_START in text or CODE_END in text else text


def code_block(text: str) -> str:
    """A block of code as a loader hands it on, on lines of its own."""
    return f"\n{CODE_START}{text}{CODE_END}\n"


@dataclass(frozen=True)
class Extracted:
    """Raw text of a file, the title its format declares (None when it declares none), and what else its properties
    say about it (`index.docmeta.FIELDS`: authors, date, publisher, lang), unchecked."""

    text: str
    title: str | None = None
    declared: dict = field(default_factory=dict)
    wrapped: bool = False  # lines end where a width broke them (plain text, PDF), not where paragraphs end


def capped(text: str, name: str) -> str:
    check_length(len(text), name)
    return text


def check_length(chars: int, name: str) -> None:
    """Refuse a document once its text passes limits.MAX_TEXT_CHARS (streamed formats check as they go)."""
    if chars > limits.MAX_TEXT_CHARS:
        raise DocumentError(f"{name}: more than {limits.MAX_TEXT_CHARS:,} characters of text (limit)")


def check_markup(elements: int, chars: int, name: str) -> None:
    """Refuse a document of more elements than its characters of text allow (see limits.MAX_MARKUP_ELEMENTS)."""
    if elements > limits.MAX_MARKUP_ELEMENTS + limits.MAX_MARKUP_ELEMENTS_PER_CHAR * chars:
        raise DocumentError(f"{name}: {elements:,} elements for {chars:,} characters of text"
                            f" (limit {limits.MAX_MARKUP_ELEMENTS_PER_CHAR} per character; a markup bomb?)")

