"""Tie snapshots (ties.parquet), the step each tie formed, and the knowledge_lost column.

A saved snapshot must be the model's tie table exactly; taking snapshots must not change a
run; a run whose snapshot file is missing or damaged is redone; knowledge_lost is the
mastery forgetting takes, by hand on two learners, in both engines.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_model import scenario

import sim.experiment.jobs
from sim import api
from sim.engines import make_model
from sim.experiment.jobs import replication_seeds, run_replication
from sim.experiment.snapshots import (
    KIND_NAMES,
    ORIGIN_NAMES,
    final_snapshots,
    origin_codes,
    snapshot_steps,
    tie_snapshot,
)
from sim.model import LearningModel
from sim.reference import ReferenceModel
from sim.scenario import load_scenario
from sim.world.ties import TieOrigin, TieTable

ROOT = Path(__file__).resolve().parent.parent
# A community that forms ties of every origin, and loses some (decay, floor).
HYBRID = ROOT / "scenarios" / "hybrid.yaml"
SMALL = [
    "population.n_agents=80",
    "network.n_groups=8",
    "ties.p_chance=0.01",
    "ties.p_triadic=0.01",
    "ties.decay=0.05",
]


def run_folder(tmp_path: Path, steps: int, every: int = 0, replications: int = 2):
    overrides = [*SMALL, f"metrics.snapshot_every={every}"]
    return api.run_scenario(
        HYBRID,
        replications=replications,
        steps=steps,
        overrides=overrides,
        out=tmp_path / "out",
        figures=False,
    )


def model_after(sc, seed: int, steps: int):
    model = make_model(sc, rng=seed)
    for _ in range(steps):
        model.step()
    return model


def assert_snapshot_is_the_table(snap: pd.DataFrame, ties: TieTable, threshold: float) -> None:
    """The saved rows are the table's ties, in table order, every value exactly."""
    snap = snap.reset_index(drop=True)
    assert snap["u"].tolist() == ties.u.tolist()
    assert snap["v"].tolist() == ties.v.tolist()
    assert np.array_equal(snap["strength"].to_numpy(), ties.strength)  # bit for bit
    assert origin_codes(snap["origin"]).tolist() == ties.origin.tolist()
    assert snap["formed_step"].tolist() == ties.formed.tolist()
    assert snap["formed_step"].dtype == np.int32  # whatever width the table keeps
    kinds = [KIND_NAMES[k] for k in ties.kind(threshold)]
    assert snap["kind"].astype(str).tolist() == kinds


# ---------------------------------------------------------------------------------------------
# The step a tie formed


def test_the_table_keeps_the_step_each_tie_formed_through_removals_and_additions():
    t = TieTable.from_edges(5, np.array([0, 1, 2]), np.array([1, 2, 3]), np.full(3, 0.5))
    assert t.formed.tolist() == [0, 0, 0]  # the starting network: step 0
    origin = np.array([TieOrigin.TRIADIC, TieOrigin.HELP])
    t.change(np.array([False, True, False]), np.array([0, 3]), np.array([4, 4]), 0.1, origin, 7)
    assert list(zip(t.u.tolist(), t.v.tolist(), strict=True)) == [(0, 1), (2, 3), (0, 4), (3, 4)]
    assert t.formed.tolist() == [0, 0, 7, 7]
    t.change(
        np.array([True, False, False, False]), np.array([1]), np.array([4]), 0.1, origin[:1], 9
    )
    assert t.formed.tolist() == [0, 7, 7, 9]
    assert t.formed.dtype == t.last_used.dtype == np.int16  # 2 B per tie while steps fit
    assert len(t.formed) == len(t.u) == len(t.origin) == len(t.last_used)
    # A step past int16's 32,767 widens both stamps once, keeping every value.
    t.change(np.zeros(4, dtype=bool), np.array([1]), np.array([3]), 0.1, origin[:1], 40_000)
    assert t.formed.dtype == t.last_used.dtype == np.int32
    assert t.formed.tolist() == [0, 7, 7, 9, 40_000]
    assert t.last_used.tolist() == [-1, 7, 7, 9, 40_000]


def test_make_room_widens_the_stamps_only_when_a_step_does_not_fit():
    t = TieTable.from_edges(3, np.array([0, 1]), np.array([1, 2]), np.full(2, 0.5))
    t.make_room(32_767)  # int16's largest: still fits
    assert t.last_used.dtype == t.formed.dtype == np.int16
    t.make_room(32_768)
    assert t.last_used.dtype == t.formed.dtype == np.int32
    assert t.last_used.tolist() == [-1, -1] and t.formed.tolist() == [0, 0]


@pytest.mark.parametrize("engine", ["array", "agents"])
def test_a_run_past_step_32767_stamps_its_ties_with_the_true_step(engine):
    # Both engines call make_room before writing a step's number: without it the int16
    # stamps would wrap around to -32768 (numba) or raise (numpy).
    sc = load_scenario(HYBRID, [*SMALL, f"engine={engine}", "steps=40000"])
    model = model_after(sc, 3, 2)
    model.steps = 32_766  # Mesa's step counter: the next steps are 32,767 and 32,768
    model.step()
    assert model.ties.last_used.dtype == np.int16
    model.step()
    t = model.ties
    assert model.steps == 32_768 and t.last_used.dtype == t.formed.dtype == np.int32
    assert t.last_used.min() >= -1  # nothing wrapped around
    # Ties that existed before the last step and were used in it carry its number.
    assert ((t.last_used == 32_768) & (t.formed < 32_768)).any()
    assert set(np.unique(t.formed).tolist()) <= {0, 1, 2, 32_767, 32_768}
    assert (t.formed == 32_768).any()  # and one formed in it


@pytest.mark.parametrize("engine", ["array", "agents"])
def test_ties_formed_in_a_run_record_their_step_and_the_starting_ones_step_0(engine):
    sc = load_scenario(HYBRID, [*SMALL, f"engine={engine}", "steps=15"])
    model = model_after(sc, 3, 15)
    t = model.ties
    initial = t.origin == TieOrigin.INITIAL
    assert (t.formed[initial] == 0).all()
    assert (~initial).any() and (t.formed[~initial] >= 1).all() and (t.formed <= 15).all()
    # A tie formed at step s was used no earlier than s (its last use starts at s).
    assert (t.last_used[~initial] >= t.formed[~initial]).all()
    # The ties formed at each step, as counted by the metric, minus those gone since.
    formed = model.timeseries().set_index("step")["ties_formed"]
    counts = np.bincount(t.formed[~initial], minlength=16)
    assert (counts[1:] <= formed.loc[1:15].to_numpy()).all()


# ---------------------------------------------------------------------------------------------
# Snapshots


def test_snapshot_steps_are_every_k_steps_and_the_last():
    assert snapshot_steps(10, 0) == [10]
    assert snapshot_steps(10, 5) == [5, 10]
    assert snapshot_steps(7, 3) == [3, 6, 7]
    assert snapshot_steps(0, 3) == [0]
    assert snapshot_steps(4, 9) == [4]


def test_the_saved_final_snapshot_is_the_models_tie_table_exactly(tmp_path):
    res = run_folder(tmp_path, steps=12)
    saved = pd.read_parquet(res.folder / "ties.parquet")
    assert list(saved.columns) == [
        "replication", "seed", "step", "u", "v", "strength", "kind", "origin", "formed_step",
    ]  # fmt: skip
    assert saved["step"].unique().tolist() == [12]  # the last step only, by default
    assert saved["kind"].cat.categories.tolist() == KIND_NAMES
    assert saved["origin"].cat.categories.tolist() == ORIGIN_NAMES
    sc = res.scenario
    for r, seed in enumerate(replication_seeds(sc.seed, 2)):
        model = model_after(sc, seed, 12)
        rows = saved[saved["replication"] == r]
        assert (rows["seed"] == seed).all()
        assert_snapshot_is_the_table(rows, model.ties, sc.ties.strong_threshold)
        assert set(rows["origin"].astype(str)) == set(ORIGIN_NAMES)
    # The Results reader and the in-memory folder give the same table.
    pd.testing.assert_frame_equal(res.read_ties(), saved)
    pd.testing.assert_frame_equal(res.read_ties(final=True), saved)
    memory = api.run_scenario(
        HYBRID, replications=2, steps=12, overrides=[*SMALL, "metrics.snapshot_every=0"], out=None
    )
    pd.testing.assert_frame_equal(memory.read_ties(), saved)


def test_snapshot_every_k_saves_steps_k_2k_and_the_last_each_equal_to_the_model(tmp_path):
    res = run_folder(tmp_path, steps=7, every=3, replications=1)
    saved = res.read_ties()
    assert sorted(saved["step"].unique().tolist()) == [3, 6, 7]
    sc, seed = res.scenario, replication_seeds(res.scenario.seed, 1)[0]
    model = make_model(sc, rng=seed)
    for step in range(1, 8):
        model.step()
        if step in (3, 6, 7):
            rows = saved[saved["step"] == step]
            assert_snapshot_is_the_table(rows, model.ties, sc.ties.strong_threshold)
    pd.testing.assert_frame_equal(
        res.read_ties(step=6), saved[saved["step"] == 6].reset_index(drop=True)
    )
    pd.testing.assert_frame_equal(
        res.read_ties(final=True), saved[saved["step"] == 7].reset_index(drop=True)
    )


def test_a_sweep_labels_its_snapshots_like_its_time_series(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text(
        f"extends: {HYBRID}\nname: tiny\nsteps: 4\nreplications: 2\n"
        "population: {n_agents: 60}\nnetwork: {n_groups: 6}\n"
        "sweep:\n  ties.decay: [0.01, 0.2]\n"
    )
    res = api.run_sweep(path, out=tmp_path / "out", figures=False)
    saved = res.read_ties()
    assert list(saved.columns[:4]) == ["point", "ties.decay", "replication", "seed"]
    assert sorted(set(zip(saved["point"], saved["replication"], strict=True))) == [
        (0, 0), (0, 1), (1, 0), (1, 1),
    ]  # fmt: skip
    for point, sc in enumerate(res.scenarios):
        seed = replication_seeds(sc.seed, 2)[1]
        rows = saved[(saved["point"] == point) & (saved["replication"] == 1)]
        assert (rows["ties.decay"] == sc.ties.decay).all()
        assert_snapshot_is_the_table(rows, model_after(sc, seed, 4).ties, sc.ties.strong_threshold)


def test_taking_snapshots_changes_nothing_in_the_run():
    sc = load_scenario(HYBRID, [*SMALL, "steps=10", "metrics.snapshot_every=1"])
    taken: list[pd.DataFrame] = []
    with_snapshots = run_replication(sc, 0, 5, ties=taken)
    pd.testing.assert_frame_equal(with_snapshots, run_replication(sc, 0, 5))
    assert [int(s["step"].iloc[0]) for s in taken] == list(range(1, 11))
    # A snapshot is a copy: changing it leaves the model's table alone.
    model = make_model(sc, rng=5)
    snap = tie_snapshot(model.ties, 0, 0.5)
    before = model.ties.strength.copy()
    snap["strength"] *= 0
    snap["u"] += 1
    assert np.array_equal(model.ties.strength, before)


def test_final_snapshots_keep_each_runs_last_step():
    table = pd.DataFrame(
        {"replication": [0, 0, 0, 1, 1], "step": [5, 10, 10, 5, 5], "u": [0, 1, 2, 3, 4]}
    )
    assert final_snapshots(table)["u"].tolist() == [1, 2, 3, 4]


# ---------------------------------------------------------------------------------------------
# Resume: a run whose snapshot file is missing or damaged is done again


def resume_counting(folder: Path, monkeypatch) -> tuple[api.Results, list[int]]:
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "status": "running"}))
    calls: list[int] = []
    real = sim.experiment.jobs.run_replication

    def counting(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(sim.experiment.jobs, "run_replication", counting)
    return api.run_scenario(None, resume=folder, figures=False), calls


def test_a_missing_snapshot_file_makes_its_run_be_done_again(tmp_path, monkeypatch):
    res = run_folder(tmp_path, steps=5, replications=3)
    whole = pd.read_parquet(res.folder / "ties.parquet")
    (victim,) = [p for p in sorted((res.folder / "runs" / "ties").glob("*.parquet"))][1:2]
    victim.unlink()
    again, calls = resume_counting(res.folder, monkeypatch)
    assert len(calls) == 1
    assert victim.is_file()
    pd.testing.assert_frame_equal(pd.read_parquet(res.folder / "ties.parquet"), whole)
    pd.testing.assert_frame_equal(again.summary, res.summary)


def test_a_damaged_snapshot_file_is_moved_aside_and_its_run_done_again(tmp_path, monkeypatch):
    res = run_folder(tmp_path, steps=5, replications=3)
    whole = pd.read_parquet(res.folder / "ties.parquet")
    victim = sorted((res.folder / "runs" / "ties").glob("*.parquet"))[0]
    data = victim.read_bytes()
    victim.write_bytes(data[: len(data) // 2])
    again, calls = resume_counting(res.folder, monkeypatch)
    assert len(calls) == 1
    (record,) = again.manifest["damaged_runs"]
    assert record["key"] == victim.stem
    assert record["file"] == f"runs/ties/{victim.name}"
    assert record["moved_to"] == f"runs/damaged/{victim.stem}.ties.parquet"
    assert (res.folder / record["moved_to"]).read_bytes() == data[: len(data) // 2]
    assert victim.read_bytes() == data  # redone, byte for byte
    pd.testing.assert_frame_equal(pd.read_parquet(res.folder / "ties.parquet"), whole)


# ---------------------------------------------------------------------------------------------
# knowledge_lost


def forgetting_only():
    """Two learners without ties, each holding one item; only forgetting acts (rate 1/2)."""
    return scenario(
        steps=5,
        population={"n_agents": 2},
        knowledge={
            "n_topics": 1,
            "item_classes": [
                {
                    "name": "a",
                    "n_items": 1,
                    "complexity": 0.0,
                    "seeding": {"agents": [0], "level": 0.8},
                },
                {
                    "name": "b",
                    "n_items": 1,
                    "complexity": 0.0,
                    "seeding": {"agents": [1], "level": 0.4},
                },
            ],
        },  # fmt: skip
        forgetting={"enabled": True, "rate": 0.5, "floor": 0.1},
    )


@pytest.mark.parametrize("model_class", [LearningModel, ReferenceModel])
def test_knowledge_lost_is_the_mastery_forgetting_takes(model_class):
    # By hand: 0.8 halves to 0.4, 0.2, 0.1 (the floor: kept), then 0.05 < 0.1 is lost;
    # 0.4 halves to 0.2, 0.1, then is lost. Per step: 0.4+0.2, 0.2+0.1, 0.1+0.1, 0.1, 0.
    model = model_class(forgetting_only(), rng=1)
    totals = [float(model.knowledge.sum(dtype=np.float64))]
    for _ in range(5):
        model.step()
        totals.append(float(model.knowledge.sum(dtype=np.float64)))
    ts = model.timeseries()
    lost = ts["knowledge_lost"].tolist()
    assert lost[0] == 0.0  # step 0: the initial state
    assert lost[1:] == pytest.approx([0.6, 0.3, 0.2, 0.1, 0.0], abs=1e-6)
    # Exactly the drop in total mastery (nothing else changes it here).
    assert lost[1:] == pytest.approx(-np.diff(totals), abs=1e-12)
    assert sum(lost) == pytest.approx(float(np.float32(0.8)) + float(np.float32(0.4)), abs=1e-12)
    assert (ts[["gain_via_weak", "gain_via_innovation"]] == 0).all().all()


def test_knowledge_lost_is_zero_without_forgetting_and_totalled_in_the_summary(tmp_path):
    off = scenario(steps=3, forgetting={"enabled": False})
    model = LearningModel(off, rng=1)
    for _ in range(3):
        model.step()
    assert (model.timeseries()["knowledge_lost"] == 0).all()
    res = api.run_scenario(forgetting_only(), replications=1, out=None)
    assert res.summary["total_knowledge_lost"].iloc[0] == pytest.approx(1.2, abs=1e-6)
    assert res.manifest["columns"]["knowledge_lost"] == "flow"
