"""Bit-identity of results across refactorings: every shipped scenario at reduced size.

`tests/data/golden.json` holds, for every `scenarios/**/*.yaml` (the first, middle and
last points of a sweep), a SHA-256 of each replication's time series and final state
(knowledge, tie table) from both engines. A change that is meant to keep results identical
for a seed (a reorganisation, a faster kernel) must leave every fingerprint as it is. A
change that alters results on purpose regenerates the file and says why in its commit:

    python tests/test_golden.py --write
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))

from sim.engines import make_model  # noqa: E402
from sim.experiment.jobs import replication_seeds, start_network  # noqa: E402
from sim.scenario import Engine, load_experiment  # noqa: E402

GOLDEN = Path(__file__).parent / "data" / "golden.json"
FILES = sorted(p for p in (ROOT / "scenarios").rglob("*.yaml"))
REPLICATIONS = 2


def _reduced(path: Path) -> list[str]:
    """Overrides that make a scenario quick: fewer steps, fewer learners where allowed."""
    data = path.read_text()
    out = ["replications=2"]
    if "steps: 0" not in data:
        out.append("steps=12")
    if "edge_list" not in data and "seeding: {agents" not in data:
        out.append("population.n_agents=150")
    return out


def _digest(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str(a.dtype).encode() + str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:24]


def fingerprints(path: Path) -> dict[str, str]:
    """Fingerprint of every (point, engine, replication) of a shipped scenario file."""
    experiment = load_experiment(path, _reduced(path))
    out: dict[str, str] = {}
    points = experiment.points
    for point in sorted(
        {id(p): p for p in (points[0], points[len(points) // 2], points[-1])}.values(),
        key=lambda p: p.index,
    ):
        scenario = point.scenario
        network = start_network(scenario)
        for label, engine in (("arrays", Engine.ARRAY), ("agents", Engine.AGENTS)):
            sc = scenario.model_copy(update={"engine": engine})
            if engine == Engine.AGENTS and sc.population.n_agents > 300:
                continue  # the per-agent engine is slow; the small files cover it
            for r, seed in enumerate(replication_seeds(sc.seed, REPLICATIONS)):
                model = make_model(sc, rng=seed, start_network=network)
                for _ in range(sc.steps):
                    model.step()
                ts = model.timeseries()
                t = model.ties
                out[f"{point.index}/{label}/{r}"] = _digest(
                    pd.util.hash_pandas_object(ts, index=False).to_numpy(),
                    np.asarray(ts.columns.tolist(), dtype=str),
                    model.knowledge,
                    t.u,
                    t.v,
                    t.strength,
                    t.origin,
                    # Its values, as int32: the table keeps its stamps int16 while the
                    # steps fit (issue 16), a storage choice, not a result.
                    t.last_used.astype(np.int32),
                    model.repository,
                )
    return out


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", FILES, ids=_name)
def test_results_are_bit_identical_to_the_golden_run(path):
    golden = json.loads(GOLDEN.read_text())
    assert _name(path) in golden, f"{_name(path)}: no golden entry (python {__file__} --write)"
    assert fingerprints(path) == golden[_name(path)]


if __name__ == "__main__":
    if "--write" not in sys.argv:
        sys.exit("usage: python tests/test_golden.py --write")
    GOLDEN.parent.mkdir(exist_ok=True)
    result = {_name(p): fingerprints(p) for p in FILES}
    GOLDEN.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN} ({sum(len(v) for v in result.values())} fingerprints)")
