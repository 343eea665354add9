"""Parameter checks and input hygiene (webapp/params.py), without a server."""
from __future__ import annotations

import pytest

from index.errors import InvalidQuery
from webapp import params


@pytest.mark.parametrize("path, query, message", [
    ("/api/search", b"q=%00%ff%fe", "q is not valid UTF-8"),
    ("/api/search", b"q=a&q=%C3%28", "q is not valid UTF-8"),
    ("/api/search", b"q=ok&lang=%7f", "lang contains the control character U+007F"),
    ("/api/search", b"%ff=1", "a parameter name is not valid UTF-8"),
    ("/api/search", b"a%0Ab=1", "a parameter name contains the control character U+000A"),
    ("/api/search", b"x" * 50 + b"=%01", "a parameter contains the control character U+0001"),
    ("/api/suggestions", b"doc_id=%09", "doc_id contains the control character U+0009"),  # only q, term, items
    ("/api/pack", b"format=ris%0A&items=concept:x", "format contains the control character U+000A"),  # are texts
    ("/api/documents/a\x00b", b"", "the path contains the control character U+0000"),
    ("/api/documents/\xc3", b"", "the path is not valid UTF-8"),  # WSGI path: bytes as latin-1
])
def test_bad_text_is_refused_naming_where(path, query, message):
    with pytest.raises(InvalidQuery) as caught:
        params.check_request(path, query)
    assert str(caught.value) == message


def test_good_text_passes():
    path = "/api/documents/" + "Kundennähe".encode().decode("latin-1")
    params.check_request(path, b"q=Kundenn%C3%A4he+und+Treue%0Aim+Netz%09ok&k=5&lang=de-AT&%E6%BC%A2=1")
    params.check_request("/api/glossary", b"term=p%C3%A5%0Agrund%09av&lang=sv")
    params.check_request("/api/pack", b"format=ris&items=concept:a,%0A%09concept:b")


@pytest.mark.parametrize("query", [b"k=1&k=5000", b"mode=lexical&q=x&mode=zzz", b"q=a&q=b"])
def test_a_repeated_parameter_is_refused(query):
    with pytest.raises(InvalidQuery, match="given more than once"):
        params.check_request("/api/search", query)


@pytest.mark.parametrize("args", [{"k": ""}, {"k": "5\n"}, {"k": "+3"}, {"k": "\u0663"}, {"k": "\uff15"}, {"lang": ""},
                                  {"lang": "sv\n"}, {"lang": "s"}, {"group": ""}, {"group": "maybe"}])
def test_present_parameters_must_be_valid(args):
    with pytest.raises(InvalidQuery):
        params.search_options(args)


def test_the_ui_drops_empty_form_fields_first():
    assert params.search_options(params.filled({"k": "", "lang": "", "mode": "", "group": ""})) == {
        "k": 10, "lang": None, "mode": "hybrid", "group": False, "ui_lang": None}


@pytest.mark.parametrize("name", ["a\nb.txt", "a\x1b.txt", "bad\ufffd.txt"])
def test_upload_names_with_controls_are_refused(name):
    with pytest.raises(InvalidQuery):
        params.file_name(name)


def test_upload_names_lose_their_folders():
    assert params.file_name("C:\\Users\\x\\Kundennähe notes.txt") == "Kundennähe notes.txt"
    assert params.file_name("../../etc/notes.md") == "notes.md"
