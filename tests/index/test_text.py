"""Text primitives: folding words for matching."""
from __future__ import annotations

from index.text import _REMEMBERED_WORDS, _remembered_fold, fold_token


def test_folding_remembers_only_short_words_and_a_bounded_number_of_them():
    assert fold_token("Kundnärhet") == "kundnarhet" and fold_token("Værdi") == "vaerdi"
    before = _remembered_fold.cache_info().currsize
    assert fold_token("Ø" * 1000) == "o" * 1000  # long: folded, not remembered
    assert _remembered_fold.cache_info().currsize == before
    for i in range(_REMEMBERED_WORDS + 10):
        fold_token(f"w{i}")
    assert _remembered_fold.cache_info().currsize == _REMEMBERED_WORDS
