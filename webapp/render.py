"""Pure helpers that shape knowledge-base data for the templates (no Flask, no index access)."""
from __future__ import annotations

from dataclasses import dataclass, field

from index.language import lang_name
from index.text import CodeBlocks


def split_highlight(text: str, highlight: dict) -> tuple[str, str, str]:
    """(before, sentence, after) of a passage around its highlighted sentence."""
    start, end = highlight.get("start", 0), highlight.get("end", 0)
    if not 0 <= start <= end <= len(text):
        return text, "", ""
    return text[:start], text[start:end], text[end:]


@dataclass
class Segment:
    """A run of document text; `anchors` are the chunk ids that begin where it begins; `gloss` one gloss of it;
    `code` whether it lies in a block of code."""

    text: str
    anchors: list[str] = field(default_factory=list)
    passage: bool = False
    sentence: bool = False
    gloss: dict | None = None
    code: bool = False


def gloss_title(gloss: dict) -> str:
    """Where a gloss comes from, in words (the hover title of a glossed word)."""
    source = gloss["source"]
    if source.startswith("concept:"):
        return f"Concept: {source.split(':', 1)[1]}"
    if source.startswith("freedict:"):
        parts = gloss.get("parts") or ()
        # A compound the dictionaries do not list says so: its gloss is made of its parts' glosses.
        made = f"; a compound: {' + '.join(parts)}" if parts else ""
        return f"FreeDict {source.split(':', 1)[1]} dictionary{made}"
    if source == "function-words":
        return "A function word of the language (the knowledge base's list of them)"
    if source == "common-words":
        return "A common word of the language (the knowledge base's list of the senses most often meant)"
    return "The word is English"


def gloss_first(gloss: dict) -> tuple[str, str]:
    """(what shows under the word, the rest of its first sense): a dictionary gloss's first synonym ("client" of
    "client, buyer, purchaser"), so an interlinear box stays about as wide as its word; a concept's label whole."""
    text = gloss["gloss"]
    if gloss["source"].startswith("concept:"):
        return text, ""
    depth = 0
    for i, char in enumerate(text):  # the first comma outside brackets: "at (someone's place), with"
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            return text[:i], text[i + 1:].strip()
    return text, ""


def gloss_senses(gloss: dict) -> list[str]:
    """The dictionary's other senses of a glossed word (strings, or dicts with a "gloss"), its first one left out."""
    senses = [s["gloss"] if isinstance(s, dict) else s for s in gloss.get("senses") or ()]
    return [s for s in dict.fromkeys(senses) if s and s != gloss["gloss"]]


def falls_back(glosses, reader: str) -> bool:
    """Whether some gloss is not in the reader's language (a reader of de or fr given an English one)."""
    return any(g["lang"] != reader for g in glosses)


def _glossed_runs(text: str, offset: int, glosses: list[dict], code: list[list[int]]) -> list[Segment]:
    """`text` (starting at `offset` of the glossed text) cut into plain runs, glossed words and runs of code (`code`:
    [start, end] of each block, offsets into the glossed text, where no gloss lies)."""
    runs, pos = [], 0
    edges = sorted([(g["start"] - offset, g["end"] - offset, g) for g in glosses]
                   + [(max(a - offset, 0), min(b - offset, len(text)), None) for a, b in code
                      if a - offset < len(text) and b - offset > 0], key=lambda edge: edge[0])
    for start, end, g in edges:
        if start < pos or end > len(text):  # a gloss across a cut (sentence, passage) is left out
            continue
        if start > pos:
            runs.append(Segment(text[pos:start]))
        runs.append(Segment(text[start:end], gloss=g, code=g is None))
        pos = end
    if pos < len(text):
        runs.append(Segment(text[pos:]))
    return runs


def glossed_highlight(text: str, highlight: dict, glosses: list[dict],
                      code: list[list[int]] = ()) -> tuple[list[Segment], list[Segment], list[Segment]]:
    """`split_highlight` with each part cut into plain runs, glossed words and code (offsets of `glosses` and
    `code` are into `text`)."""
    before, sentence, after = split_highlight(text, highlight)
    cuts = (0, len(before), len(before) + len(sentence))
    return tuple(_glossed_runs(part, cut, glosses, code) for part, cut in zip((before, sentence, after), cuts))


def document_segments(text: str, chunks: list[dict], selected: int | None = None,
                      sentence: tuple[int, int] | None = None, glosses: list[dict] | None = None,
                      code: list[list[int]] = ()) -> list[Segment]:
    """Split a document at chunk starts so every chunk has an anchor; mark the selected chunk and sentence, and the
    blocks of code (`code`: [start, end] of each).

    `sentence` is relative to the selected chunk's text, as search highlights are; `glosses` (offsets into the
    document) each become a segment of their own.
    """
    starts: dict[int, list[str]] = {}
    for chunk in chunks:
        starts.setdefault(chunk["start"], []).append(f"chunk-{chunk['ord']}")
    passage = next(((c["start"], c["end"]) for c in chunks if c["ord"] == selected), None)
    marked = None
    if passage and sentence and 0 <= sentence[0] < sentence[1] <= passage[1] - passage[0]:
        marked = (passage[0] + sentence[0], passage[0] + sentence[1])
    cuts = {0, len(text), *starts, *(passage or ()), *(marked or ()), *(edge for block in code for edge in block)}
    structure = sorted(cuts)
    # A gloss is kept only where no anchor or mark cuts through it, so each glossed word is one segment.
    kept = {g["start"]: g for g in glosses or () if not any(g["start"] < c < g["end"] for c in structure)}
    cuts |= {edge for g in kept.values() for edge in (g["start"], g["end"])}
    bounds = sorted(c for c in cuts if 0 <= c <= len(text))
    blocks = CodeBlocks(code)
    return [
        Segment(
            text=text[a:b],
            anchors=starts.get(a, []),
            passage=bool(passage and passage[0] <= a < passage[1]),
            sentence=bool(marked and marked[0] <= a < marked[1]),
            gloss=kept[a] if a in kept and kept[a]["end"] == b else None,
            code=blocks.overlaps(a, b),
        )
        for a, b in zip(bounds, bounds[1:])
    ]


def languages_first(labels: dict[str, str], first: tuple[str, ...]) -> list[str]:
    """The language codes of `labels`, those of `first` (in its order) ahead of the rest (in their own order)."""
    leading = list(dict.fromkeys(code for code in first if code in labels))
    return leading + [code for code in labels if code not in leading]


def passage_item(passage: dict, url: str, citation: dict) -> dict:
    """A passage as a course-pack item (what the "add to course pack" button stores); `citation` as the API shows it.

    `span` is the highlighted sentence's offsets into the passage, so the server exports it marked.
    """
    before, sentence, after = split_highlight(passage["text"], passage["highlight"])
    return {
        "kind": "passage", "key": f"passage:{passage['doc_id']}:{passage['ord']}",
        "span": [len(before), len(before) + len(sentence)], "title": passage["title"], "lang": passage["lang"],
        "langName": lang_name(passage["lang"]), "before": before, "sentence": sentence, "after": after, "url": url,
        "citation": citation["text"],
    }


def concept_item(concept: dict, family_label: str, url: str) -> dict:
    """A concept as a course-pack item."""
    return {
        "kind": "concept", "key": f"concept:{concept['id']}", "label": concept["label"], "family": family_label,
        "definition": concept["definition"],
        "labels": [[lang_name(code), label] for code, label in concept["labels"].items()], "url": url,
    }
