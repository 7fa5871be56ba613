"""The metrics registry: every column declared once, with its kind, everywhere the same."""

import re
from pathlib import Path

import numpy as np

from sim.metrics import PER_CLASS, REGISTRY, Kind, column_kinds, column_names, kind_of
from sim.model import LearningModel
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def test_every_row_column_is_a_registered_metric_with_a_kind():
    sc = load_scenario(ROOT / "scenarios" / "hybrid.yaml", ["population.n_agents=60"])
    m = LearningModel(sc, rng=1)
    m.step()
    row = m.rows[-1]
    assert list(row) == ["step", *column_names(m.items.class_names)]
    kinds = column_kinds(m.items.class_names)
    assert all(isinstance(k, Kind) for k in kinds.values())
    assert kind_of("step") is None and kind_of("replication") is None


def test_kinds_follow_what_the_columns_count():
    assert kind_of("exposures") == Kind.FLOW
    assert kind_of("gain_via_weak") == Kind.FLOW
    assert kind_of("redundancy") == Kind.RATIO
    assert kind_of("share_aware") == Kind.STOCK
    assert kind_of("share_aware__facts") == Kind.STOCK
    # A flow is a count or a sum over the step: on a graph without ties nothing flows (and
    # nothing is forgotten with forgetting off: the seed holders' mastery would decay).
    sc = load_scenario(
        ROOT / "scenarios" / "weak_ties.yaml",
        ["population.n_agents=30", "network.generator=empty", "help.enabled=false",
         "innovation.enabled=false", "ties.enabled=false", "forgetting.enabled=false"],
    )  # fmt: skip
    m = LearningModel(sc, rng=2)
    m.step()
    flows = [c for c, k in column_kinds(m.items.class_names).items() if k == Kind.FLOW]
    assert flows and all(m.rows[-1][c] == 0 for c in flows)


def test_reporters_are_named_functions_with_a_meaning():
    names = [metric.name for metric in REGISTRY]
    assert len(names) == len(set(names))
    assert all(metric.doc for metric in REGISTRY)
    assert set(PER_CLASS) <= set(names)


def test_the_readme_metrics_table_lists_every_column_with_its_kind():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Metrics", 1)[1].split("\n## ", 1)[0]
    listed = {}
    for line in section.splitlines():
        m = re.match(r"\| (`.*?) \| (stock|flow|ratio) \|", line)
        if m:
            for name in re.findall(r"`([a-z0-9_<>]+)`", m.group(1)):
                listed[name.replace("__<class>", "")] = m.group(2)
    assert {k: listed.get(k) for k in (x.name for x in REGISTRY)} == {
        x.name: x.kind.value for x in REGISTRY
    }


def test_datacollector_reporters_read_the_latest_row():
    sc = load_scenario(ROOT / "scenarios" / "weak_ties.yaml", ["population.n_agents=40"])
    m = LearningModel(sc, rng=1)
    m.step()
    dc = m.datacollector
    assert list(dc.model_reporters) == ["step", *column_names(m.items.class_names)]
    row = {c: r(m) for c, r in dc.model_reporters.items()}
    assert row.keys() == m.rows[-1].keys()
    assert all((np.isnan(row[c]) and np.isnan(v)) or row[c] == v for c, v in m.rows[-1].items())
