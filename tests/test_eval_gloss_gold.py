"""The gold gloss lists are well formed, and their scoring counts first senses, coverage and listed senses."""
from __future__ import annotations

import pytest

from eval.gloss_gold import GOLD_DIR, LANGS, read_gold, score
from index.glosses import Gloss

FOLDERS = [GOLD_DIR, *(GOLD_DIR.with_name(f"gloss-gold-{n}") for n in ("fresh", "third", "fourth", "fifth"))]


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.name)
def test_lists_hold_100_words_per_language_with_senses_and_a_sentence(folder) -> None:
    for lang in LANGS:
        rows = read_gold(lang, folder)
        assert len(rows) >= 100, (folder.name, lang)
        assert all(r["senses"].strip() and r["word"].casefold() in r["context"].casefold() for r in rows)
        assert {r["half"] for r in rows} == {"dev", "test"}


def test_score_counts_the_first_sense_coverage_and_any_listed_sense() -> None:
    rows = [{"word": w, "senses": s} for w, s in
            [("bygger", "builds|build"), ("heter", "is called|called"), ("okänt", "unknown"), ("Linux", "-")]]
    shown = {"bygger": Gloss(0, 6, "bygger", "build, construct", "freedict:swe-eng", "en"),
             "heter": Gloss(0, 5, "heter", "hot", "freedict:swe-eng", "en", senses=("called",))}
    report = score(rows, lambda row: shown.get(row["word"]))
    assert report["words"] == 3  # "-": nothing to gloss
    assert report["first_sense_accuracy"] == round(1 / 3, 3)
    assert report["coverage"] == round(2 / 3, 3)
    assert report["any_sense"] == round(2 / 3, 3)  # heter: its second sense is right
    assert report["misses"] == ["heter -> 'hot' (gold: is called|called)", "okänt -> None (gold: unknown)"]
