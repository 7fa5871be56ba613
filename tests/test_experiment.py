"""Running experiments: serial = pool = Dask, failures isolated, streaming, kill and resume."""

import json
import os
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim.experiment.jobs
from sim import analysis
from sim.cli import EXIT_ALL_FAILED, EXIT_OK, main
from sim.experiment import execute, jobs_table, plan_jobs, run_experiment, run_jobs, storage
from sim.scenario import load_experiment

ROOT = Path(__file__).resolve().parent.parent

SWEEP = """\
name: tiny_sweep
steps: {steps}
replications: {replications}
seed: 7
population: {{n_agents: 60, time_budget: 4}}
network: {{generator: clustered, n_groups: 6, p_within: 0.5, bridges_per_agent: 1.0}}
knowledge:
  item_classes:
    - {{name: facts, n_items: 4, sources_required: 1}}
    - {{name: practices, n_items: 2, complexity: 0.5, sources_required: 2}}
sweep:
  network.bridges_per_agent: [0.5, 2.0]
  ties.decay: [0.005, 0.05]
"""


def sweep_file(tmp_path: Path, steps: int = 10, replications: int = 3) -> Path:
    path = tmp_path / "tiny_sweep.yaml"
    path.write_text(SWEEP.format(steps=steps, replications=replications))
    return path


def only_folder(out: Path, name: str = "tiny_sweep") -> Path:
    (folder,) = sorted((out / name).iterdir())
    return folder


def tables(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    ts = pd.read_parquet(folder / "timeseries.parquet")
    ts = ts.sort_values(["point", "replication", "step"]).reset_index(drop=True)
    summary = pd.read_csv(folder / "summary.csv").sort_values(["point", "replication"])
    return ts, summary.reset_index(drop=True)


def assert_same_tables(a: Path, b: Path) -> None:
    ts_a, sum_a = tables(a)
    ts_b, sum_b = tables(b)
    pd.testing.assert_frame_equal(ts_a, ts_b)
    pd.testing.assert_frame_equal(sum_a, sum_b)
    pd.testing.assert_frame_equal(pd.read_csv(a / "points.csv"), pd.read_csv(b / "points.csv"))


def assert_readable(folder: Path) -> None:
    for path in storage.iter_files(folder):
        if path.suffix == ".parquet":
            pd.read_parquet(path)
        elif path.suffix == ".csv":
            pd.read_csv(path)
        elif path.suffix == ".json":
            json.loads(path.read_text())


@pytest.fixture(scope="module")
def serial_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serial")
    path = sweep_file(tmp)
    out = tmp / "out"
    assert main([str(path), "--out", str(out), "--workers", "1", "--quiet", "--no-figures"]) == 0
    return path, only_folder(out)


# ---------------------------------------------------------------------------------------------
# The sweep's results folder


def test_sweep_folder_has_points_tables_with_swept_columns_and_figures(tmp_path):
    path = sweep_file(tmp_path, steps=5, replications=2)
    assert main([str(path), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"]) == 0
    folder = only_folder(tmp_path / "out")
    points = pd.read_csv(folder / "points.csv")
    assert list(points.columns) == ["point", "network.bridges_per_agent", "ties.decay"]
    assert points.to_dict("records") == [
        {"point": 0, "network.bridges_per_agent": 0.5, "ties.decay": 0.005},
        {"point": 1, "network.bridges_per_agent": 0.5, "ties.decay": 0.05},
        {"point": 2, "network.bridges_per_agent": 2.0, "ties.decay": 0.005},
        {"point": 3, "network.bridges_per_agent": 2.0, "ties.decay": 0.05},
    ]
    ts, summary = tables(folder)
    assert list(ts.columns[:6]) == [
        "point",
        "network.bridges_per_agent",
        "ties.decay",
        "replication",
        "seed",
        "step",
    ]
    assert len(ts) == 4 * 2 * 6
    assert list(summary.columns[:5]) == [
        "point",
        "network.bridges_per_agent",
        "ties.decay",
        "replication",
        "seed",
    ]
    assert len(summary) == 8
    assert summary["point"].dtype == np.int64 and ts["point"].dtype == np.int64
    # common random numbers: replication r has one seed at every point
    assert (summary.groupby("replication")["seed"].nunique() == 1).all()
    assert summary["seed"].nunique() == 2
    figures = {p.name for p in (folder / "figures").iterdir()}
    assert figures == {
        "vs_network.bridges_per_agent.png",
        "vs_ties.decay.png",
        "heatmap_network.bridges_per_agent__ties.decay.png",
    }
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["kind"] == "sweep"
    assert manifest["swept"] == ["network.bridges_per_agent", "ties.decay"]
    assert (manifest["points"], manifest["runs"], manifest["finished"]) == (4, 8, 8)
    assert manifest["failed"] == 0
    # the saved scenario.yaml is the resolved base with its sweep: rerunning it reproduces
    again = load_experiment(folder / "scenario.yaml")
    assert [p.scenario for p in again.points] == [p.scenario for p in load_experiment(path).points]


def test_summary_rows_match_the_final_steps(serial_run):
    _, folder = serial_run
    ts, summary = tables(folder)
    last = ts[ts["step"] == ts["step"].max()].reset_index(drop=True)
    np.testing.assert_allclose(summary["share_aware"], last["share_aware"])
    assert (summary["point"] == last["point"]).all()


# ---------------------------------------------------------------------------------------------
# Serial = pool = Dask


def test_process_pool_gives_the_same_tables_as_serial(serial_run, tmp_path):
    path, serial = serial_run
    out = tmp_path / "pool"
    assert main([str(path), "--out", str(out), "--workers", "2", "--quiet", "--no-figures"]) == 0
    assert_same_tables(serial, only_folder(out))


def test_dask_cluster_gives_the_same_tables_as_serial(serial_run, tmp_path):
    distributed = pytest.importorskip(
        "distributed", reason="Dask distributed is not installed (pip install .[cluster])"
    )
    path, serial = serial_run
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        out = tmp_path / "dask"
        argv = [str(path), "--out", str(out), "--scheduler", cluster.scheduler_address]
        assert main([*argv, "--quiet", "--no-figures"]) == 0
        folder = only_folder(out)
        assert_same_tables(serial, folder)
        assert json.loads((folder / "manifest.json").read_text())["scheduler"] == (
            cluster.scheduler_address
        )


def test_run_jobs_gives_the_same_outcomes_in_every_executor(tmp_path):
    exp = load_experiment(sweep_file(tmp_path, steps=3, replications=2))
    jobs = plan_jobs(exp.points, 2, exp.base.seed)
    serial = {o.job.key: o.timeseries for o in run_jobs(jobs, workers=1)}
    pooled = {o.job.key: o.timeseries for o in run_jobs(jobs, workers=2, window=3)}
    assert serial.keys() == pooled.keys() == {j.key for j in jobs}
    for key, ts in serial.items():
        pd.testing.assert_frame_equal(ts, pooled[key])


# ---------------------------------------------------------------------------------------------
# Failures are isolated


def fail_at(point_decay: float):
    real = sim.experiment.jobs.run_replication

    def run(scenario, replication, seed, network=None):
        if scenario.ties.decay == point_decay and replication == 0:
            raise ValueError(f"boom at decay {scenario.ties.decay}")
        return real(scenario, replication, seed, network)

    return run


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sim.experiment.jobs, "run_replication", fail_at(0.05))
    path = sweep_file(tmp_path, steps=3, replications=2)
    argv = [str(path), "--out", str(tmp_path / "out"), "--workers", "1", "--no-figures"]
    assert main(argv) == EXIT_OK
    folder = only_folder(tmp_path / "out")
    failures = pd.read_csv(folder / "failures.csv")
    assert len(failures) == 2  # replication 0 of the two points with decay 0.05
    assert failures["point"].tolist() == [1, 3]
    assert failures["ties.decay"].tolist() == [0.05, 0.05]
    assert failures["network.bridges_per_agent"].tolist() == [0.5, 2.0]
    assert failures["replication"].tolist() == [0, 0]
    assert (failures["error_type"] == "ValueError").all()
    assert (failures["error"] == "boom at decay 0.05").all()
    record = json.loads(next((folder / "failures").glob("*.json")).read_text())
    assert "Traceback" in record["traceback"]
    _, summary = tables(folder)
    assert len(summary) == 6
    manifest = json.loads((folder / "manifest.json").read_text())
    assert (manifest["finished"], manifest["failed"]) == (6, 2)
    err = capsys.readouterr().err
    assert "2 of 8 runs failed" in err
    assert "2 x ValueError: boom at decay 0.05" in err

    # rerunning retries only the failed runs; once they pass, the failures are gone
    monkeypatch.undo()
    calls = []
    real = sim.experiment.jobs.run_replication

    def counting(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(sim.experiment.jobs, "run_replication", counting)
    assert main([str(path), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"]) == 0
    assert calls == [0, 0]
    assert not (folder / "failures.csv").exists()
    assert len(tables(folder)[1]) == 8


def test_when_every_run_fails_the_exit_status_is_1(tmp_path, monkeypatch, capsys):
    def always(*args, **kwargs):
        raise RuntimeError("model broke")

    monkeypatch.setattr(sim.experiment.jobs, "run_replication", always)
    path = sweep_file(tmp_path, steps=2, replications=1)
    argv = [str(path), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"]
    assert main(argv) == EXIT_ALL_FAILED
    folder = only_folder(tmp_path / "out")
    assert len(pd.read_csv(folder / "failures.csv")) == 4
    assert not (folder / "timeseries.parquet").exists()
    assert "4 of 4 runs failed" in capsys.readouterr().err


def test_failures_are_isolated_in_a_process_pool(tmp_path, monkeypatch):
    # fork: the workers inherit the patched function (forkserver workers would not)
    monkeypatch.setattr(sim.experiment.jobs, "run_replication", fail_at(0.005))
    exp = load_experiment(sweep_file(tmp_path, steps=2, replications=2))
    jobs = plan_jobs(exp.points, 2, exp.base.seed)
    outcomes = list(run_jobs(jobs, workers=2, start_method="fork"))
    failed = sorted((o.job.point, o.job.replication) for o in outcomes if not o.ok)
    assert failed == [(0, 0), (2, 0)]
    assert all(o.error == "boom at decay 0.005" for o in outcomes if not o.ok)
    assert sum(o.ok for o in outcomes) == 6


def test_execute_turns_an_exception_into_an_outcome(tmp_path, monkeypatch):
    monkeypatch.setattr(sim.experiment.jobs, "run_replication", fail_at(0.005))
    exp = load_experiment(sweep_file(tmp_path, steps=1, replications=1))
    (job, *_) = plan_jobs(exp.points, 1, exp.base.seed)
    outcome = execute(job)
    assert not outcome.ok
    record = outcome.failure_record({"ties.decay": 0.005})
    assert record["error_type"] == "ValueError"
    assert record["values"] == {"ties.decay": 0.005}
    assert record["seed"] == job.seed


# ---------------------------------------------------------------------------------------------
# Streaming: runs reach the disk as they finish; consolidation holds one run at a time


def test_each_run_is_on_disk_as_soon_as_it_finishes(tmp_path):
    exp = load_experiment(sweep_file(tmp_path, steps=2, replications=2))
    jobs = plan_jobs(exp.points, 2, exp.base.seed)
    folder = storage.ResultsFolder.create(tmp_path, "x")
    seen = []

    def check(outcome):
        assert folder.run_path(outcome.job.key).is_file()
        seen.append(outcome.job.key)

    assert run_experiment(jobs, folder, on_outcome=check) == (8, 0)
    assert len(seen) == 8
    # a second call finds every run done and runs nothing
    assert run_experiment(jobs, folder, on_outcome=check) == (0, 0)


def consolidate_peak(tmp_path: Path, n_runs: int) -> int:
    folder = storage.ResultsFolder.create(tmp_path, f"n{n_runs}")
    rng = np.random.default_rng(0)
    rows = []
    for r in range(n_runs):
        ts = pd.DataFrame(rng.random((2000, 40)), columns=[f"m{i}" for i in range(40)])
        ts.insert(0, "step", np.arange(2000, dtype=np.int64))
        ts.insert(0, "seed", np.int64(r))
        ts.insert(0, "replication", np.int64(0))
        key = f"{r:064d}"
        folder.write_run(key, ts)
        rows.append({"point": r, "replication": 0, "seed": r, "key": key})
    labels = pd.DataFrame({"point": range(n_runs), "x": np.linspace(0, 1, n_runs)})
    tracemalloc.start()
    try:
        n, n_rows = storage.consolidate(
            folder, pd.DataFrame(rows), labels, analysis.summarise_replications
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (n, n_rows) == (n_runs, n_runs * 2000)
    assert len(pd.read_parquet(folder.file("timeseries.parquet"), columns=["x"])) == n_runs * 2000
    return peak


def test_consolidation_memory_does_not_grow_with_the_number_of_runs(tmp_path):
    small = consolidate_peak(tmp_path, 4)
    large = consolidate_peak(tmp_path, 24)  # 6x the data (about 16 MB of time series)
    assert large < 1.5 * small + 2_000_000, (small, large)


# ---------------------------------------------------------------------------------------------
# Kill and resume: SIGKILL at any moment loses no finished run and leaves no corrupt file


def start(argv: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "run.py", *argv],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def wait_for_runs(out: Path, at_least: int, proc: subprocess.Popen, timeout: float = 180) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = list(out.glob("tiny_sweep/*/runs/*.parquet"))
        if len(runs) >= at_least:
            return len(runs)
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.01)
    raise AssertionError("no run finished in time")


def test_sigkill_mid_sweep_then_rerun_gives_the_uninterrupted_result(tmp_path):
    path = sweep_file(tmp_path, steps=150, replications=8)  # 32 runs of about 0.07 s
    out = tmp_path / "out"
    argv = [str(path), "--out", str(out), "--workers", "1", "--quiet", "--no-figures"]
    kept = 0
    for at_least in (1, 8):  # kill twice: after the first run, and later on
        proc = start(argv)
        wait_for_runs(out, at_least, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        folder = only_folder(out)
        assert json.loads((folder / "manifest.json").read_text())["status"] == "running"
        assert_readable(folder)  # every visible file is whole
        finished = folder.joinpath("runs")
        n = len([p for p in finished.glob("*.parquet") if not p.name.startswith(".")])
        assert n >= kept  # nothing finished was lost
        kept = n
    assert kept < 32, "the sweep finished before it could be killed"
    done = subprocess.run(
        [sys.executable, "run.py", *argv], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert only_folder(out) == folder  # resumed in place
    assert list(folder.rglob(".*.tmp")) == []
    manifest = json.loads((folder / "manifest.json").read_text())
    assert (manifest["status"], manifest["finished"]) == ("complete", 32)

    clean = tmp_path / "clean"
    assert main([str(path), "--out", str(clean), "--workers", "1", "--quiet", "--no-figures"]) == 0
    assert_same_tables(folder, only_folder(clean))


def test_resume_option_finishes_a_given_folder(tmp_path, monkeypatch):
    path = sweep_file(tmp_path, steps=3, replications=2)
    out = tmp_path / "out"
    monkeypatch.setattr(sim.experiment.jobs, "run_replication", fail_at(0.05))
    assert main([str(path), "--out", str(out), "--workers", "1", "--quiet", "--no-figures"]) == 0
    folder = only_folder(out)
    monkeypatch.undo()
    # --resume DIR alone reads the folder's own scenario.yaml
    assert main(["--resume", str(folder), "--workers", "1", "--quiet", "--no-figures"]) == 0
    assert only_folder(out) == folder
    assert len(tables(folder)[1]) == 8
    # more replications into the same folder: only the new runs are run
    calls = []
    real = sim.experiment.jobs.run_replication
    monkeypatch.setattr(
        sim.experiment.jobs,
        "run_replication",
        lambda *a, **k: calls.append(a[1]) or real(*a, **k),
    )
    argv = [str(path), "--replications", "3", "--resume", str(folder), "--workers", "1"]
    assert main([*argv, "--quiet", "--no-figures"]) == 0
    assert calls == [2, 2, 2, 2]
    assert len(tables(folder)[1]) == 12


def test_resume_of_something_else_is_an_error(tmp_path, capsys):
    path = sweep_file(tmp_path)
    assert main([str(path), "--resume", str(tmp_path), "--quiet"]) == 2
    assert "not a results folder" in capsys.readouterr().err


def test_jobs_table_orders_point_then_replication(tmp_path):
    exp = load_experiment(sweep_file(tmp_path, steps=1, replications=2))
    table = jobs_table(plan_jobs(exp.points, 2, exp.base.seed))
    assert table[["point", "replication"]].values.tolist() == [
        [p, r] for p in range(4) for r in range(2)
    ]


def test_pool_workers_exit_when_the_sweep_is_killed(tmp_path):
    psutil = pytest.importorskip("psutil", reason="psutil is installed with dask[distributed]")
    path = sweep_file(tmp_path, steps=150, replications=8)
    out = tmp_path / "out"
    proc = start([str(path), "--out", str(out), "--workers", "2", "--quiet", "--no-figures"])
    children = []
    try:
        wait_for_runs(out, 1, proc)
        children = psutil.Process(proc.pid).children(recursive=True)
        assert children, "the pool started no process"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        gone, alive = psutil.wait_procs(children, timeout=10)
        assert alive == [], f"pool processes outlived the killed sweep: {alive}"
    finally:
        for child in children:
            if child.is_running():
                child.kill()
    assert_readable(only_folder(out))
