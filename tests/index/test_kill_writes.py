"""Kill safety of the segmented store: a real writer process killed at random moments of its writes
(segment writes, deletion files, publishes, inline merges) always leaves a verified, searchable index holding
the content of one of its publishes, never a mixture."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.__main__ import main as index_main
from index.service import KnowledgeBase
from tests.configs import config_for, store_for

ROOT = Path(__file__).resolve().parents[2]
WINDOW = 3  # each publish serves the last WINDOW documents written

# Writes step after step: document d<k> added, d<k-WINDOW> deleted (ingest --prune), one publish per step.
WRITER = r"""
import sys
from pathlib import Path
from index.stores import IndexSettings
from ingest.pipeline import ingest
from tests.configs import store_for

corpus, index_dir, window = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
corpus.mkdir(exist_ok=True)
step = max([int(p.stem[1:]) for p in corpus.glob("d*.txt")], default=-1) + 1
while True:
    wanted = {f"d{k}.txt" for k in range(max(0, step - window + 1), step + 1)}
    (corpus / f"d{step}.txt").write_text(
        f"Dokument {step}. Kundelojalitet bygger på tillit nummer {step}. "
        f"Tilliten må fortjenes hver dag i år {1900 + step}, også etter pandemien. " * 3, encoding="utf-8")
    for path in corpus.glob("d*.txt"):
        if path.name not in wanted:
            path.unlink()
    ingest([corpus], store_for(index_dir), IndexSettings(embedder="hash:64"), prune=True, progress=False)
    print(step, flush=True)
    step += 1
"""


def _valid_state(sources: set[str]) -> bool:
    """The documents of one publish: d<k-WINDOW+1> .. d<k> for some k."""
    steps = sorted(int(s[1:-4]) for s in sources)
    return bool(steps) and steps == list(range(steps[-1] - min(WINDOW, steps[-1] + 1) + 1, steps[-1] + 1))


# A new random seed each run; each kill restarts a writer process (about 5 s): 3 in `make test`, 12 in `make soak`.
@pytest.mark.stress
def test_kills_at_random_moments_leave_a_verified_index_with_one_publishs_content(tmp_path, sized):
    seed = int.from_bytes(os.urandom(4), "little")
    rng = random.Random(seed)
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for kill in range(sized(3, 12)):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(corpus), str(index_dir), str(WINDOW)],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            first = proc.stdout.readline()  # the writer is past its start-up and in its loop of writes
            assert first, f"the writer died on its own (seed {seed})"
            time.sleep(rng.uniform(0.0, 1.5))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        assert index_main(["verify", "--index-dir", str(index_dir)]) == 0, f"kill {kill}, seed {seed}"
        assert store_for(index_dir).verify() == [], f"kill {kill}, seed {seed}"
        kb = KnowledgeBase(config_for(index_dir, embedder="hash:64"))
        sources = {d["source"] for d in kb.documents()}
        assert _valid_state(sources), f"kill {kill}, seed {seed}: {sorted(sources)}"
        assert kb.stats()["documents"] == len(sources)
        newest = max(sources, key=lambda s: int(s[1:-4]))
        hits = kb.search(f"år {1900 + int(newest[1:-4])}", k=WINDOW, mode="lexical").results
        assert hits and hits[0].source == newest, f"kill {kill}, seed {seed}"
