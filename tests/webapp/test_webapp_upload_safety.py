"""Hostile DOCX uploads through the full stack (nginx -> gunicorn -> app): zip bombs and damaged files are
refused at once with a JSON error naming the file, no worker's memory passes 1 GB, and nothing is queued."""
from __future__ import annotations

import io
import time
import zipfile

import pytest

from tests.ingest.files import W_CLOSE, W_OPEN, docx_paragraphs_xml, make_docx, make_docx_package, zeros_bomb_docx

from conftest import ADMIN_TOKEN, http_json, multipart, peak_rss_kb, worker_pids  # tests/webapp/conftest.py

pytestmark = pytest.mark.slow

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
GB_KB = 1024 * 1024
SENTENCE = "Kundelojalitet bygger på tillit som må fortjenes hver eneste dag, skriver han i boken sin. "
DOCUMENT_XML = "word/document.xml"


def declaring(data: bytes, member: str, size: int) -> bytes:
    """The archive with `member`'s uncompressed size in the central directory replaced by a lie."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    patched = bytearray(data)
    pos = archive.start_dir
    while patched[pos:pos + 4] == b"PK\x01\x02":
        name_len, extra_len, comment_len = (int.from_bytes(patched[pos + o:pos + o + 2], "little") for o in (28, 30, 32))
        if patched[pos + 46:pos + 46 + name_len] == member.encode():
            patched[pos + 24:pos + 28] = size.to_bytes(4, "little")
        pos += 46 + name_len + extra_len + comment_len
    assert zipfile.ZipFile(io.BytesIO(bytes(patched))).getinfo(member).file_size == size
    return bytes(patched)


def lying_bomb() -> bytes:
    """A bomb whose central directory understates its inflated size to pass the size and ratio checks: a well-formed
    document of millions of empty paragraphs, so that the parser reads all that the archive inflates."""
    bomb = make_docx_package({}, {DOCUMENT_XML: (b"<w:p/>" * (1 << 17), 1000, W_OPEN.encode(), W_CLOSE.encode())})
    compressed = zipfile.ZipFile(io.BytesIO(bomb)).getinfo(DOCUMENT_XML).compress_size
    return declaring(bomb, DOCUMENT_XML, 90 * compressed)


def hostile_files() -> dict[str, bytes]:
    """The issue's bombs and damaged files, by upload name."""
    xml = docx_paragraphs_xml([SENTENCE] * 20)
    good = make_docx([SENTENCE, "Andre avsnitt om kundenærhet og verdier."])
    return {
        # 211 MB of zeros in word/document.xml, 211 KB compressed (the 646 KB one drove a worker to 4.9 GB).
        "zeros-211mb.docx": zeros_bomb_docx(211),
        # Real XML, 1.1 GB inflated, in one entry with an honest declared size.
        "xml-1100mb.docx": make_docx_package(
            {}, {DOCUMENT_XML: (("<w:p><w:r><w:t>" + SENTENCE * 20 + "</w:t></w:r></w:p>").encode() * 600, 1000)}),
        # 786 MB of empty paragraphs (about 700:1) declaring 90 times its compressed size: passes the directory checks.
        "lying-sizes.docx": lying_bomb(),
        "half-xml.docx": make_docx_package({DOCUMENT_XML: xml[: len(xml) // 2]}),
        "truncated.docx": good[: len(good) // 2],
    }


# Slow: its own writable stack (worker pids must be its own), then each hostile file through nginx.
def test_zip_bombs_and_damaged_docx_are_refused_at_once_in_bounded_memory_and_queue_nothing(write_stack):
    base, index_dir = write_stack.base, write_stack.index_dir
    files = hostile_files()
    status, before_jobs, _ = http_json("GET", f"{base}/api/jobs", headers=AUTH)
    assert status == 200, before_jobs
    workers = worker_pids(write_stack)
    assert len(workers) == 2, workers
    before_rss = {pid: peak_rss_kb(pid) for pid in workers}

    for name, data in files.items():
        body, content_type = multipart({}, {"file": (name, data)})
        started = time.monotonic()
        status, error, headers = http_json("POST", f"{base}/api/documents", body,
                                           {**AUTH, "Content-Type": content_type}, timeout=60)
        seconds = time.monotonic() - started
        print(f"{name}: {len(data):,} bytes -> {status} in {seconds:.2f}s: {error}")
        assert 400 <= status < 500 and status in (400, 413, 415), (name, status, error)
        assert headers["Content-Type"].startswith("application/json"), headers
        assert set(error) == {"error"} and {"code", "message"} <= set(error["error"]), error
        assert name in error["error"]["message"], error
        assert seconds < 5, (name, seconds)

    after = worker_pids(write_stack)
    assert after == workers, f"workers {workers} became {after}: one died (see {write_stack.log})"
    after_rss = {pid: peak_rss_kb(pid) for pid in workers}
    for pid in workers:
        print(f"worker {pid}: VmHWM {before_rss[pid] / 1024:.0f} MB before, {after_rss[pid] / 1024:.0f} MB after")
    assert all(kb < GB_KB for kb in after_rss.values()), after_rss

    status, found, _ = http_json("GET", f"{base}/api/search?q=kundelojalitet&k=3", timeout=30)
    assert status == 200 and found["results"], found
    status, after_jobs, _ = http_json("GET", f"{base}/api/jobs", headers=AUTH)
    assert status == 200 and after_jobs["jobs"] == before_jobs["jobs"], after_jobs
    spool = index_dir / "jobs" / "spool"
    assert not spool.exists() or not any(spool.iterdir()), list(spool.iterdir())
