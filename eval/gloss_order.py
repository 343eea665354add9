"""How much a forward dictionary's sense order says about a word's main sense, measured without gold lists.

For every headword of a forward dictionary (nld-eng) with two senses or more that an English-to-X dictionary read
backwards (eng-nld) also lists under some of its translations, the sense holding the translation the reverse
dictionary weighs most (see `index.glosses.senses.reversed_senses`; ties left out) is taken as the main one.
Printed: where that sense falls per number of senses, and the log-likelihood of a sense order weighing the n-th
sense (1 + n)^-beta, for a few beta (the lexicon weighs senses 1/(1 + n), beta 1; beta 0 is an order that says
nothing). `python -m eval.gloss_order nld-eng eng-nld`.
"""
from __future__ import annotations

import argparse
import math
import sys
from collections import Counter

from index.config import Config
from index.glosses.freedict import Dictionary, forward
from index.glosses.senses import reversed_senses

BETAS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
_MAX_SHOWN = 5  # entries with more senses are counted with five in the table


def main_senses(forward_name: str, reverse_name: str, config: Config) -> list[tuple[int, int]]:
    """(number of senses, index of the main sense) per forward headword the reverse dictionary decides."""
    weights: dict[str, dict[str, float]] = {}
    for word, groups in reversed_senses(Dictionary(reverse_name, config.dict_dir)):
        found = weights.setdefault(word, {})
        for group in groups:
            for translation, weight in group:
                t = translation.casefold()
                found[t] = max(weight, found.get(t, 0.0))
    observed = []
    for form, groups, _ in forward(Dictionary(forward_name, config.dict_dir)):
        reverse = weights.get(form.casefold())
        if len(groups) < 2 or not reverse:
            continue
        best = {n: w for n, group in enumerate(groups)
                if (w := max((reverse.get(t.casefold(), 0.0) for t in group), default=0.0)) > 0}
        top = [n for n, w in best.items() if w == max(best.values(), default=0.0)]
        if len(top) == 1:
            observed.append((len(groups), top[0]))
    return observed


def log_likelihood(observed: list[tuple[int, int]], beta: float) -> float:
    """Log-likelihood of the main senses under sense weights (1 + n)^-beta."""
    return sum(-beta * math.log(1 + k) - math.log(sum((1 + j) ** -beta for j in range(n))) for n, k in observed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.gloss_order", description=__doc__.split("\n\n")[0])
    parser.add_argument("forward", help="a dictionary into English, e.g. nld-eng")
    parser.add_argument("reverse", help="a dictionary out of English to read backwards, e.g. eng-nld")
    args = parser.parse_args(argv)
    observed = main_senses(args.forward, args.reverse, Config.from_env())
    print(f"{args.forward} against {args.reverse}: {len(observed)} headwords decided")
    places = Counter((min(n, _MAX_SHOWN), k) for n, k in observed)
    for n in range(2, _MAX_SHOWN + 1):
        row = [places[(n, k)] for k in range(n)]
        print(f"  {n}{'+' if n == _MAX_SHOWN else ''} senses: main sense at place 1..{n}: {row}"
              f" (first: {row[0] / max(1, sum(row)):.2f}, by chance {1 / n:.2f})")
    for beta in BETAS:
        print(f"  beta {beta:.2f}: log-likelihood {log_likelihood(observed, beta):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
