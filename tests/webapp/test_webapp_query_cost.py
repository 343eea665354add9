"""Bounded query cost over HTTP: the cut is reported, an overloaded encoder and nginx's per-client limits answer
JSON 503 / 429 with Retry-After, and ordinary searches still answer beside costly ones."""
from __future__ import annotations

import argparse
import http.client
import json
import random
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote, urlencode, urlsplit

import pytest
from flask import Flask

from index.embedders.base import QUERY_TOKEN_BUDGET
from index.service import ENCODER_QUEUE_TOKENS
from index.config import Config
from webapp.hooks import SECURITY_HEADERS
from webapp.serve import _prepare, make_plan

rng = random.Random(18)
HOSTILE = [
    "".join(chr(rng.randint(0x1F600, 0x1F64F)) for _ in range(1000)),
    "".join(chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(1000)),
    "".join("a" + chr(rng.randint(0x0300, 0x036F)) for _ in range(500)),
]


def test_the_cut_is_reported_and_documented(api):
    _, body = api(f"/api/search?q={quote(HOSTILE[1])}", expect=200)
    assert body["query_truncated"] is True and 0 < body["query_tokens"] <= QUERY_TOKEN_BUDGET
    assert 0 < body["query_encoded_chars"] < len(HOSTILE[1]) and body["query"] == HOSTILE[1]
    _, body = api(f"/api/search?q={quote('customer lock-on')}&mode=lexical", expect=200)
    assert body["query_tokens"] is None and body["query_encoded_chars"] is None and body["query_truncated"] is False


def test_the_search_page_says_when_the_query_was_cut(client):
    page = client.get(f"/?q={quote(HOSTILE[1])}").get_data(as_text=True)
    assert "Meaning search read only the first" in page
    assert "Meaning search read only the first" not in client.get("/?q=customer+lock-on").get_data(as_text=True)


def test_an_overloaded_encoder_is_a_json_503_with_retry_after(app: Flask, client, check_spec):
    gate = app.extensions["kb"].get().encoder_gate
    with gate.turn(ENCODER_QUEUE_TOKENS):  # the encoder busy with as much work as a query may wait behind
        api = client.get(f"/api/search?q={quote(HOSTILE[2])}")
        lookup = client.get(f"/api/concepts/lookup?q={quote(HOSTILE[1])}")
        page = client.get(f"/?q={quote(HOSTILE[2])}")
        lexical = client.get(f"/api/search?q={quote(HOSTILE[2])}&mode=lexical")
    for response, path in ((api, "/api/search"), (lookup, "/api/concepts/lookup")):
        assert response.status_code == 503 and response.headers["Retry-After"] == "1"
        assert response.get_json()["error"]["code"] == "overloaded"
        check_spec(path, 503, response.content_type, response.get_json())
    assert page.status_code == 503 and page.headers["Retry-After"] == "1" and page.mimetype == "text/html"
    assert lexical.status_code == 200  # lexical search needs no turn on the encoder
    assert client.get(f"/api/search?q={quote(HOSTILE[2])}").status_code == 200  # and the turn is free again


def get(base: str, path: str, source: str = "127.0.0.1") -> tuple[int, dict, bytes]:
    """(status, lower-cased headers, body) of a GET sent from a loopback source address."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120, source_address=(source, 0))
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def assert_refusal(status: int, headers: dict, body: bytes) -> None:
    """A deliberate refusal: JSON error, security headers, Retry-After."""
    assert status in (429, 503), (status, body[:200])
    assert headers["content-type"].startswith("application/json") and int(headers["retry-after"]) >= 1
    assert all(headers.get(name.lower()) == value for name, value in SECURITY_HEADERS.items())
    assert json.loads(body)["error"]["code"] in ("too_many_requests", "overloaded")


def test_costly_queries_get_answers_or_refusals_and_ordinary_searches_answer(live_server):
    def hostile(i: int) -> list[tuple[int, dict, bytes]]:
        return [get(live_server, "/api/search?" + urlencode({"q": HOSTILE[(i + n) % 3]})) for n in range(2)]

    with ThreadPoolExecutor(12) as pool:
        attacks = [pool.submit(hostile, i) for i in range(12)]
        ordinary = get(live_server, "/api/search?" + urlencode({"q": "What are the three value disciplines?"}))
        answers = [answer for attack in attacks for answer in attack.result()]
    assert ordinary[0] == 200 and json.loads(ordinary[2])["results"], ordinary[2][:300]
    for status, headers, body in answers:
        if status == 200:
            answer = json.loads(body)
            if any(ch.isalnum() for ch in answer["query"]):
                assert answer["query_truncated"] is True
            else:  # emoji alone: no word to search, answered without an encode
                assert answer["results"] == [] and answer["query_tokens"] is None
        else:
            assert_refusal(status, headers, body)


def test_a_client_over_its_search_limits_gets_a_json_429(live_server):
    # Loopback's 127.0.0.1 is exempt from the per-client limits; 127.0.0.2 is a client like any other.
    # Cheap requests (a 400 for an empty q) arrive faster than KB_SEARCH_RATE and its burst allow.
    def burst(_: int) -> list[tuple[int, dict, bytes]]:
        return [get(live_server, "/api/search?q=", source="127.0.0.2") for _ in range(20)]

    def glossary(_: int) -> list[tuple[int, dict, bytes]]:  # each look-up of made-up compounds may split for a second
        return [get(live_server, "/api/glossary?lang=sv&term=", source="127.0.0.3") for _ in range(20)]

    with ThreadPoolExecutor(8) as pool:
        answers = [answer for batch in pool.map(burst, range(8)) for answer in batch]
    refused = [a for a in answers if a[0] == 429]
    assert refused and {a[0] for a in answers} <= {400, 429}
    assert_refusal(*refused[0])
    with ThreadPoolExecutor(8) as pool:
        looked_up = [answer for batch in pool.map(glossary, range(8)) for answer in batch]
    assert any(a[0] == 429 for a in looked_up) and {a[0] for a in looked_up} <= {400, 429}

    def listing(_: int) -> list[tuple[int, dict, bytes]]:  # lists and exports grow with the corpus
        return [get(live_server, path, source="127.0.0.4")
                for path in ("/api/documents", "/api/concepts/customer-loyalty", "/api/pack?items=x") * 7]

    with ThreadPoolExecutor(8) as pool:
        listed = [answer for batch in pool.map(listing, range(8)) for answer in batch]
    assert any(a[0] == 429 for a in listed) and {a[0] for a in listed} <= {200, 400, 429}
    status, _, body = get(live_server, "/api/search?q=customer+lock-on")  # other clients are not limited
    assert status == 200 and json.loads(body)["results"]


@pytest.mark.parametrize("environ", [{}, {"KB_SEARCH_RATE": "0", "KB_SEARCH_CONNECTIONS": "0"},
                                     {"KB_SEARCH_RATE": "3", "KB_TRUSTED_PROXIES": "10.0.0.7 192.168.0.0/16"}])
def test_limit_settings_render_a_config_nginx_accepts(tmp_path, environ):
    config = Config.from_env({**environ, "PORT": "5999", "KB_RUN_DIR": str(tmp_path), "KB_WORKERS": "1",
                              "KB_THREADS": "1"})
    _prepare(make_plan(argparse.Namespace(host="127.0.0.1", nginx=None), config))  # renders nginx.conf and has `nginx -t` check it
    conf = (tmp_path / "nginx.conf").read_text()
    rate = environ.get("KB_SEARCH_RATE", "10")
    assert (f"rate={rate}r/s" in conf and "limit_req zone=search burst=20 nodelay;" in conf) == (rate != "0")
    assert ("limit_conn search_connections 4;" in conf) == ("KB_SEARCH_CONNECTIONS" not in environ)
    trusted = "set_real_ip_from 10.0.0.7/32;" in conf and "set_real_ip_from 192.168.0.0/16;" in conf
    assert trusted == ("KB_TRUSTED_PROXIES" in environ) == ("real_ip_header X-Forwarded-For;" in conf)
