"""The candidates a linguist judges for the lists of common words: wordfreq's commonest forms, less function words,
each with the gloss it is shown today."""
from __future__ import annotations

from eval.common_words import candidates
from index.config import Config
from index.glosses.stopwords import STOPWORDS
from index.glosses.wordlists import function_word_senses


def test_candidates_are_common_content_forms_in_frequency_order_with_todays_gloss():
    rows = candidates("sv", 300, Config.from_env())
    ranks, forms = [r[0] for r in rows], [r[1] for r in rows]
    assert len(rows) > 50 and ranks == sorted(ranks) and ranks[-1] <= 300
    assert all(form.isalpha() and form == form.casefold() for form in forms)
    assert not set(forms) & (set(function_word_senses("sv")) | STOPWORDS["sv"])
    # A form the list already gives shows the list's sense, so a second reading starts from what readers see.
    assert next(r for r in rows if r[1] == "kom")[2] == "came"

