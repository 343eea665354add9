"""Known items: a document found again by the code it carries or a sentence copied from it, among near-copies.

The corpus is a template in four languages, each copy holding a code of its own: dense similarity cannot tell the
copies apart, only the one word they differ in can (eval/known_items.py measures the same on any index).
"""
from __future__ import annotations

import random
import string

import pytest

from ingest.pipeline import ingest
from index.service import KnowledgeBase
from tests.configs import config_for, store_for

TEMPLATES = {
    "sv": ("Lagret gick igenom leveransschemat på måndagsmorgonen.",
           "Metoden {code} håller de regionala lagersaldona i takt med huvudboken.",
           "Kunder i den norra regionen bad om snabbare leveranser och tydligare fakturor."),
    "no": ("Lageret gikk gjennom leveranseplanen mandag morgen.",
           "Metoden {code} holder de regionale lagerbeholdningene i takt med hovedboken.",
           "Kunder i den nordlige regionen ba om raskere leveranser og tydeligere fakturaer."),
    "nl": ("Het magazijn nam maandagochtend het leveringsschema door.",
           "De methode {code} houdt de regionale voorraden gelijk met het grootboek.",
           "Klanten in de noordelijke regio vroegen om snellere leveringen en duidelijkere facturen."),
    "de": ("Das Lager ging am Montagmorgen den Lieferplan durch.",
           "Das Verfahren {code} hält die regionalen Bestände im Einklang mit dem Hauptbuch.",
           "Kunden in der nördlichen Region baten um schnellere Lieferungen und klarere Rechnungen."),
}
COPIES = 8  # per language


@pytest.fixture(scope="module")
def near_copies(tmp_path_factory: pytest.TempPathFactory) -> tuple[KnowledgeBase, dict[str, tuple[str, str]]]:
    """An index of the template's copies; code -> (file name, the sentence that holds the code)."""
    root = tmp_path_factory.mktemp("near-copies")
    docs = root / "docs"
    docs.mkdir()
    rng = random.Random(5)
    codes = {}
    for lang, (first, middle, last) in TEMPLATES.items():
        for n in range(COPIES):
            code = "zq" + "".join(rng.choices(string.ascii_lowercase, k=10))
            sentence = middle.format(code=code)
            # Half the copies put the code's sentence between the others (one passage of three sentences).
            lines = [first, sentence, last] if n % 2 else [sentence, first, last]
            name = f"{lang}-{n}.txt"
            (docs / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
            codes[code] = (name, sentence)
    ingest([docs], store_for(root / "index"), progress=False)
    return KnowledgeBase(config_for(root / "index")), codes


def _rank(kb: KnowledgeBase, query: str, name: str, group: bool = False) -> int | None:
    shown = [r.source.rsplit("/", 1)[-1] for r in kb.search(query, k=10, group=group).results]
    return shown.index(name) + 1 if name in shown else None


@pytest.mark.parametrize("group", [False, True], ids=["passages", "documents"])
def test_a_code_finds_its_document_first(near_copies, group):
    kb, codes = near_copies
    ranks = {code: _rank(kb, code, name, group) for code, (name, _) in codes.items()}
    assert all(ranks.values()), {c: r for c, r in ranks.items() if not r}
    assert sum(r == 1 for r in ranks.values()) >= 0.9 * len(ranks), ranks


def test_a_copied_sentence_finds_its_document(near_copies):
    kb, codes = near_copies
    ranks = {code: _rank(kb, sentence, name) for code, (name, sentence) in codes.items()}
    assert all(ranks.values()), {c: r for c, r in ranks.items() if not r}
    assert sum(r <= 3 for r in ranks.values()) >= 0.9 * len(ranks), ranks


def test_a_page_of_documents_shows_the_one_holding_the_query_words():
    # A code in a long document about other things: its words alone find it (lexical), while dense similarity ranks
    # a dozen other documents above it. Found by an attack: grouped hybrid search missed 3 of 188 such documents.
    import numpy as np

    from index.ranking import _lexical_best_shown
    docs = np.array([*range(12), 12, 12])  # twelve other documents, then the code's document in two passages
    scores = np.array([*np.linspace(0.5, 0.3, 12), 0.1, 0.05], np.float32)
    lexical = np.zeros(14, np.float32)
    lexical[13] = 0.3  # its second passage holds the code
    raised = _lexical_best_shown(scores, lexical, 0.1, float("-inf"), 0.0, k=10, docs=docs, group=True)
    best_per_doc = {int(d): max(float(s) for s, e in zip(raised, docs) if e == d) for d in set(docs.tolist())}
    page = sorted(best_per_doc, key=lambda d: -best_per_doc[d])[:10]
    assert 12 in page and raised[13] > raised[12]  # on the page, by the passage that holds the code
    # Not where another document's passage matches the words as well: nothing then tells which is meant.
    lexical[0] = 0.3
    assert np.array_equal(_lexical_best_shown(scores, lexical, 0.1, float("-inf"), 0.0, k=10, docs=docs, group=True),
                          scores)


DANISH = ("Kundeloyalitet handler om at opbygge langvarige relationer med kunderne. Virksomheden skal forstå hvad "
          "kunden værdsætter og levere det hver dag. zqrrrrrrux8 er et begreb der beskriver denne proces. "
          "Medarbejderne uddannes til at imødekomme kundernes behov.")


@pytest.mark.parametrize("group", [False, True], ids=["passages", "documents"])
def test_a_marker_in_a_repeated_paragraph_finds_its_document(index_copy, tmp_path, group):
    # Found by an attack: an upload repeating its paragraph holds its one marker word in two identical passages,
    # which tied with each other for the best lexical score; the tie was read as doubt about which document is meant,
    # so hybrid search (k=5, passages) showed five seed passages and not the one document holding the word.
    folder = tmp_path / "upload"
    folder.mkdir()
    (folder / "doc8.txt").write_text(f"{DANISH}\n\n{DANISH}\n\nDokument nummer 8.", encoding="utf-8")
    ingest([folder], store_for(index_copy), progress=False)
    kb = KnowledgeBase(config_for(index_copy))
    found = [r.source.rsplit("/", 1)[-1] for r in kb.search("zqrrrrrrux8", k=5, group=group).results]
    assert "doc8.txt" in found, found
