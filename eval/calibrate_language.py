"""`python -m eval.calibrate_language`: fit the short-query confidence (Platt scaling) on CLDR phrases.

The calibration data are short phrases that Unicode CLDR (shipped in `babel`) gives in every query
language: names of languages, currencies and units, and relative dates ("next week"). Phrases
spelled the same in two of the languages are dropped. They are independent of
eval/short-queries.jsonl, so the accuracy reported there is not fitted to. Prints the
coefficients for `index.language.CALIBRATION` and a reliability table.
"""
from __future__ import annotations

import argparse
import math
import sys

import numpy as np
from babel import Locale

from index import language
from index.language import QUERY_LANGUAGES


def cldr_phrases(max_words: int = 3) -> list[tuple[str, str]]:
    """(phrase, language) pairs: one to `max_words` words, unique to one query language."""
    per_lang: dict[str, set[str]] = {}
    for lang in QUERY_LANGUAGES:
        data = Locale.parse({"no": "nb"}.get(lang, lang))._data
        items = set(data["currency_names"].values()) | set(data["languages"].values())
        items |= {names["long"] for names in data["unit_display_names"].values() if "long" in names}
        items |= {text for field in data["date_fields"].values() for text in field.values() if isinstance(text, str)}
        per_lang[lang] = {s for s in items if 1 <= len(s.split()) <= max_words and len(s) >= 4
                          and not any(c in s for c in "{}0123456789")}
    pairs = []
    for lang, phrases in per_lang.items():
        others = set().union(*(p for other, p in per_lang.items() if other != lang))
        pairs += [(phrase, lang) for phrase in sorted(phrases - others)]
    return pairs


def _top_probability(text: str) -> tuple[str, float]:
    """The uncalibrated best guess: invert the calibration of `detect_query`."""
    found = language.detect_query(text)
    slope, intercept = language.CALIBRATION
    c = min(max(found.confidence, 1e-6), 1 - 1e-6)
    logit = (math.log(c / (1 - c)) - intercept) / slope
    return found.guess, logit


def fit(logits: np.ndarray, right: np.ndarray) -> tuple[float, float]:
    """Logistic regression of `right` on `logits` (Newton's method)."""
    coef = np.array([1.0, 0.0])
    design = np.stack([logits, np.ones_like(logits)], axis=1)
    for _ in range(50):
        p = 1 / (1 + np.exp(-design @ coef))
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + 1e-9 * np.eye(2)
        coef -= np.linalg.solve(hessian, design.T @ (p - right))
    return float(coef[0]), float(coef[1])


def main(argv: list[str] | None = None) -> int:
    """Fit and print the coefficients with a reliability table."""
    argparse.ArgumentParser(prog="python -m eval.calibrate_language", description=__doc__).parse_args(argv)
    pairs = cldr_phrases()
    guesses = [_top_probability(text) for text, _ in pairs]
    logits = np.array([logit for _, logit in guesses])
    right = np.array([float(guess == lang) for (guess, _), (_, lang) in zip(guesses, pairs)])
    slope, intercept = fit(logits, right)
    print(f"{len(pairs)} CLDR phrases, raw accuracy {right.mean():.3f}")
    print(f"CALIBRATION = ({slope:.3f}, {intercept:.3f})")
    calibrated = 1 / (1 + np.exp(-(slope * logits + intercept)))
    print(f"{'confidence':<12} {'n':>5} {'predicted':>9} {'right':>6}")
    for low, high in ((0, 0.3), (0.3, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01)):
        band = (calibrated >= low) & (calibrated < high)
        if band.any():
            print(f"{low:.1f}-{min(high, 1):.1f}    {band.sum():>5} {calibrated[band].mean():>9.2f} {right[band].mean():>6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
