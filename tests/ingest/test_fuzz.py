"""Every loader fed random bytes answers with a document's text or a clear DocumentError, never a crash."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.errors import DocumentError
from ingest.loaders import SUPPORTED_SUFFIXES, load_bytes

from .files import HTML_PAGE, make_docx, make_pdf

SEEDS = {
    ".pdf": make_pdf(["Kundelojalitet og tillit."]),
    ".docx": make_docx(["Kundelojalitet og tillit."]),
    ".html": HTML_PAGE.encode(),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(suffix=st.sampled_from(sorted(SUPPORTED_SUFFIXES)), data=st.binary(max_size=2048))
def test_random_bytes(suffix, data):
    try:
        text = load_bytes(data, f"random{suffix}")
    except DocumentError as error:
        assert f"random{suffix}" in str(error)
    else:
        assert isinstance(text, str)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(suffix=st.sampled_from(sorted(SEEDS)), cut=st.integers(min_value=0, max_value=4000),
       flips=st.lists(st.tuples(st.integers(min_value=0, max_value=4000), st.integers(0, 255)), max_size=8))
def test_damaged_real_files(suffix, cut, flips):
    data = bytearray(SEEDS[suffix][: max(1, cut)])
    for position, value in flips:
        if position < len(data):
            data[position] = value
    try:
        text = load_bytes(bytes(data), f"damaged{suffix}")
    except DocumentError as error:
        assert f"damaged{suffix}" in str(error)
    else:
        assert isinstance(text, str)
