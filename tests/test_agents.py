"""The Mesa layer: learners as real Mesa agents, other agent types, the DataCollector,
`running`, `mesa.batch_run`, and how a model is built from a scenario."""

from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import pytest

from sim.agents import Learner
from sim.engines import ENGINES, make_model
from sim.experiment.jobs import run_replication
from sim.model import LearningModel
from sim.reference import ReferenceLearner, ReferenceModel
from sim.scenario import Engine, Scenario, ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parent.parent
WEAK_TIES = ROOT / "scenarios" / "weak_ties.yaml"
SMALL = ["population.n_agents=60", "steps=6", "replications=2"]


class Moderator(mesa.Agent):
    """Another kind of agent a user might add (e.g. a community moderator)."""

    def step(self) -> None:
        self.seen = self.model.steps


def small() -> Scenario:
    return load_scenario(WEAK_TIES, SMALL)


@pytest.mark.parametrize("cls", [LearningModel, ReferenceModel])
def test_other_agent_types_do_not_disturb_the_learners(cls):
    m = cls(small(), rng=3)
    n = m.n_agents
    Moderator.create_agents(m, 2)
    assert len(m.agents) == n + 2
    assert len(m.learners) == n
    assert all(isinstance(a, m.learner_class) for a in m.learners)
    assert [a.index for a in m.learners] == list(range(n))
    # A learner's ties are learners, the right ones.
    t = m.ties
    a = int(np.argmax(t.degree))
    got = sorted(b.index for b, _ in m.learner(a).ties)
    assert got == sorted(t.nbr[t.indptr[a] : t.indptr[a + 1]].tolist())
    assert set(m.agent_types) >= {m.learner_class, Moderator}
    m.step()  # the moderators do not break a step
    m.agents_by_type[Moderator].do("step")
    assert all(x.seen == 1 for x in m.agents_by_type[Moderator])


def test_array_engine_creates_learners_only_when_asked():
    m = LearningModel(small(), rng=1)
    m.step()
    assert m.learner_class not in super(LearningModel, m).agents_by_type
    assert len(m.learners) == m.n_agents


def test_reference_snapshot_is_read_only_during_the_learners_phase():
    seen = []

    class Writer(ReferenceLearner):
        def step(self):
            seen.append((self.model.k0.flags.writeable, self.knowledge.flags.writeable))
            with pytest.raises(ValueError, match="read-only"):
                self.model.k0[self.index, 0] = 1.0
            with pytest.raises(ValueError, match="read-only"):
                self.knowledge[0] = 1.0
            super().step()

    class Model(ReferenceModel):
        learner_class = Writer

    m = Model(small(), rng=1)
    m.step()
    assert len(seen) == m.n_agents and not any(w for pair in seen for w in pair)


def test_datacollector_holds_the_timeseries_columns_and_values():
    sc = small()
    m = LearningModel(sc, rng=5)
    for _ in range(sc.steps):
        m.step()
    df = m.datacollector.get_model_vars_dataframe()
    ts = m.timeseries()
    pd.testing.assert_frame_equal(df, ts)
    # ... which are the columns of timeseries.parquet after its identifiers.
    stored = run_replication(sc, 0, 5)
    assert list(stored.columns) == ["replication", "seed", *df.columns]
    assert m.datacollector.get_model_vars_dataframe().shape == ts.shape  # read twice: no repeats
    m.step()
    assert len(m.datacollector.get_model_vars_dataframe()) == sc.steps + 2


def test_running_turns_false_after_the_scenarios_steps():
    sc = small()
    m = LearningModel(sc, rng=5)
    count = 0
    while m.running:
        m.step()
        count += 1
    assert count == sc.steps and m.steps == sc.steps


def test_mesa_batch_run_works_on_the_model(monkeypatch):
    monkeypatch.chdir(ROOT)
    results = mesa.batch_run(
        LearningModel,
        parameters={"scenario": "scenarios/weak_ties.yaml", "rng": [1, 2]},
        iterations=2,
        max_steps=20,
        number_processes=1,
        display_progress=False,
    )
    df = pd.DataFrame(results)
    assert len(df) == 4
    assert {"share_aware", "mean_depth", "redundancy", "rng", "iteration"} <= set(df.columns)
    assert df["share_aware"].between(0, 1).all()
    # Same rng, same run, whatever the iteration.
    one = df[df["rng"] == 1]
    assert one["share_aware"].nunique() == 1


def test_a_model_accepts_a_scenario_a_dict_or_a_path():
    sc = small()
    by_object = LearningModel(sc, rng=2)
    by_dict = LearningModel(sc.model_dump(mode="json"), rng=2)
    path_model = LearningModel(WEAK_TIES, rng=2)
    assert path_model.scenario == load_scenario(WEAK_TIES)
    for m in (by_object, by_dict):
        m.step()
    assert by_object.timeseries().equals(by_dict.timeseries())
    with pytest.raises(ScenarioError, match="ties.decay"):
        LearningModel({"ties": {"decay": 2.0}})
    with pytest.raises(TypeError, match="expected a Scenario"):
        LearningModel(42)


def test_make_model_follows_the_engine_field():
    assert ENGINES == {Engine.ARRAY: LearningModel, Engine.AGENTS: ReferenceModel}
    sc = small()
    assert type(make_model(sc, rng=1)) is LearningModel
    ref = make_model(sc.model_copy(update={"engine": Engine.AGENTS}), rng=1)
    assert type(ref) is ReferenceModel
    assert all(isinstance(a, ReferenceLearner) for a in ref.learners)
    assert issubclass(ReferenceLearner, Learner)


def test_no_mesa_private_attribute_is_touched():
    private = ("._all_agents", "._agents_by_type", "._agents[", "._agents ")
    for path in (ROOT / "sim").rglob("*.py"):
        text = path.read_text()
        assert not [p for p in private if p in text], path
