"""Uploads: stored under a content-hash name, duplicates detected, bad files refused with nothing changed."""
from __future__ import annotations

import pytest

from index import versions
from index.errors import DocumentError
from index.service import KnowledgeBase
from index.writer import delete_document
from ingest.pipeline import ingest_upload

from .files import make_docx


def test_upload_then_duplicate_then_delete(index_copy):
    before = versions.current_name(index_copy)
    data = make_docx(["Kundenærhet betyr å kjenne kundene sine bedre enn konkurrentene gjør.",
                      "Lojalitet må fortjenes hver dag."])
    first = ingest_upload(data, "../../etc/Kunde nærhet.docx", index_copy)
    assert not first.duplicate and first.version != before
    assert first.source.startswith("uploads/") and ".." not in first.source and first.source.endswith(".docx")
    assert (index_copy / first.source).read_bytes() == data
    assert first.title == "Kundenærhet betyr å kjenne kundene sine bedre enn konkurrentene gjør."
    kb = KnowledgeBase(index_copy)
    assert kb.stats()["documents"] == 6
    assert kb.search("Kundennähe", k=3).results

    again = ingest_upload(data, "another-name.docx", index_copy)
    assert again.duplicate and again.doc_id == first.doc_id and again.version is None
    assert versions.current_name(index_copy) == first.version
    assert len(list((index_copy / "uploads").iterdir())) == 1

    assert delete_document(index_copy, first.doc_id) is not None
    assert delete_document(index_copy, "no-such-doc") is None
    kb.refresh()
    assert kb.stats()["documents"] == 5


@pytest.mark.parametrize("name, data, reason", [
    ("empty.txt", b"", "empty file"),
    ("evil.exe", b"MZ\x90\x00", "unsupported file type .exe"),
    ("disguised.pdf", b"\x7fELF\x02\x01\x01" + bytes(200), "not a readable PDF"),
    ("disguised.txt", b"\x7fELF\x02\x01\x01" + bytes(200), "binary content"),
])
def test_bad_uploads_change_nothing(index_copy, name, data, reason):
    before = versions.current_name(index_copy)
    with pytest.raises(DocumentError) as error:
        ingest_upload(data, name, index_copy)
    assert reason in str(error.value)
    assert versions.current_name(index_copy) == before
    assert not (index_copy / "uploads").exists() or not any((index_copy / "uploads").iterdir())
