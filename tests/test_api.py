"""The library API (`sim.api`, exported by `sim`): in memory, into a folder, sweeps,
comparisons, errors, and the README's "From Python / Jupyter" snippet."""

import json
import re
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim import Results, compare_scenarios, plot_results, run_scenario, run_sweep
from sim.cli import EXIT_INVALID, main
from sim.metrics import kind_of
from sim.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parent.parent
WEAK_TIES = ROOT / "scenarios" / "weak_ties.yaml"
CLOSED = ROOT / "scenarios" / "closed_community.yaml"
TINY = ["population.n_agents=60", "network.n_groups=6"]
SMALL = {"replications": 2, "steps": 4, "seed": 11, "overrides": TINY}


@pytest.fixture(scope="module")
def in_memory(tmp_path_factory):
    """weak_ties in memory, run from an empty working folder (which must stay empty)."""
    cwd = tmp_path_factory.mktemp("cwd")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd)
        res = run_scenario(WEAK_TIES, out=None, **SMALL)
    return res, cwd


@pytest.fixture(scope="module")
def on_disk(tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    return run_scenario(WEAK_TIES, out=out, figures=False, **SMALL)


def test_in_memory_writes_nothing_and_returns_the_tables(in_memory):
    res, cwd = in_memory
    assert isinstance(res, Results)
    assert list(cwd.iterdir()) == []
    assert res.folder is None
    assert res.kind == "scenario" and res.status == "complete"
    assert len(res.timeseries) == 2 * (4 + 1)
    assert list(res.timeseries.columns[:3]) == ["replication", "seed", "step"]
    assert sorted(res.summary["replication"]) == [0, 1]
    assert res.differences is None
    assert res.failures.empty
    assert res.scenario.population.n_agents == 60
    assert res.scenario.steps == 4 and res.scenario.replications == 2
    assert [s.name for s in res.scenarios] == ["weak_ties"]


def test_in_memory_tables_equal_the_folder_tables(in_memory, on_disk):
    res, _ = in_memory
    folder = on_disk.folder
    assert folder is not None and folder.is_dir()
    pd.testing.assert_frame_equal(res.summary, on_disk.summary)
    pd.testing.assert_frame_equal(res.summary, pd.read_csv(folder / "summary.csv"))
    pd.testing.assert_frame_equal(res.timeseries, on_disk.timeseries)
    pd.testing.assert_frame_equal(res.timeseries, pd.read_parquet(folder / "timeseries.parquet"))


def test_folder_run_writes_the_results_folder(on_disk):
    folder = on_disk.folder
    names = {p.name for p in folder.iterdir()}
    assert {"scenario.yaml", "manifest.json", "timeseries.parquet", "summary.csv"} <= names
    assert "figures" not in names
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest == on_disk.manifest
    assert manifest["status"] == "complete"
    assert manifest["version"] == sim.__version__
    assert manifest["command"].startswith("sim.api.run_scenario(")
    assert load_scenario(folder / "scenario.yaml") == on_disk.scenario


def test_manifest_records_the_declared_kind_of_every_metric_column(on_disk):
    columns = on_disk.manifest["columns"]
    metric = [c for c in on_disk.timeseries.columns if kind_of(c) is not None]
    assert list(columns) == metric
    assert all(columns[c] == str(kind_of(c)) for c in metric)
    assert columns["share_aware"] == "stock"
    assert columns["exposures"] == "flow"
    assert columns["redundancy"] == "ratio"


def test_plot_results_redraws_a_folder(tmp_path):
    res = run_scenario(WEAK_TIES, out=tmp_path, replications=1, steps=2, overrides=TINY)
    written = plot_results(res.folder)
    standard = {"spread.png", "depth.png", "redundancy.png", "ties.png"}
    assert {p.name for p in written} == standard | {"groups.png", "learners.png"}


def test_a_scenario_object_runs_like_its_file():
    scenario = load_scenario(WEAK_TIES, TINY)
    from_object = run_scenario(scenario, replications=2, steps=4, seed=11, out=None)
    from_file = run_scenario(WEAK_TIES, out=None, **SMALL)
    pd.testing.assert_frame_equal(from_object.summary, from_file.summary)


def test_compare_scenarios_pairs_by_replication():
    res = compare_scenarios([CLOSED, WEAK_TIES], replications=2, steps=3, overrides=TINY, out=None)
    assert res.kind == "compare"
    assert res.scenario.name == "closed_community"
    assert [s.name for s in res.scenarios] == ["closed_community", "weak_ties"]
    assert set(res.summary["scenario"]) == {"closed_community", "weak_ties"}
    assert res.differences is not None
    assert set(res.differences["scenario"]) == {"weak_ties"}
    seeds = res.summary.groupby("scenario")["seed"].apply(sorted)
    assert seeds["closed_community"] == seeds["weak_ties"]


def test_run_sweep_runs_every_point(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text(
        "name: small_sweep\npopulation: {n_agents: 40}\nnetwork: {n_groups: 4}\n"
        "sweep:\n  ties.decay: [0.001, 0.02]\n"
    )
    res = run_sweep(path, replications=2, steps=2, out=None)
    assert res.kind == "sweep"
    assert len(res.scenarios) == 2
    assert sorted(res.summary["point"].unique()) == [0, 1]
    assert "ties.decay" in res.summary.columns
    assert len(res.timeseries) == 2 * 2 * (2 + 1)


def test_run_sweep_of_a_file_without_sweep_is_an_error():
    with pytest.raises(ScenarioError, match="no sweep block"):
        run_sweep(WEAK_TIES, replications=1, steps=1, out=None)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: run_scenario(WEAK_TIES, overrides=["ties.decay=2"], out=None), "ties.decay"),
        (lambda: run_scenario(WEAK_TIES, steps=-1, out=None), "steps"),
        (lambda: run_scenario(ROOT / "nope.yaml", out=None), "nope.yaml"),
        (lambda: compare_scenarios([WEAK_TIES], out=None), "at least two"),
        (lambda: compare_scenarios([WEAK_TIES, WEAK_TIES], out=None), "names must differ"),
    ],
)
def test_invalid_input_raises_scenario_error(call, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError, match=message):
        call()
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# Edge-list files: read once before any folder exists; a bad one is invalid input


def edge_list_scenario(tmp_path: Path, edges: str | None) -> Path:
    if edges is not None:
        (tmp_path / "ties.csv").write_text(edges)
    path = tmp_path / "real.yaml"
    path.write_text(
        "name: real\npopulation: {n_agents: 10}\nnetwork: {generator: edge_list, path: ties.csv}\n"
    )
    return path


@pytest.mark.parametrize(
    ("edges", "message"),
    [(None, "network.path: file not found"), ("source,target\n0,1\n1,1\n", "self-loop")],
)
def test_a_bad_edge_list_exits_2_with_one_line_and_no_folder(tmp_path, capsys, edges, message):
    path = edge_list_scenario(tmp_path, edges)
    out = tmp_path / "results"
    assert main([str(path), "--out", str(out), "--quiet"]) == EXIT_INVALID
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{path}: network.path: ")
    assert message in lines[0]
    assert not out.exists()
    with pytest.raises(ScenarioError, match=message):
        run_scenario(path, out=out)
    assert not out.exists()


def test_a_good_edge_list_runs(tmp_path):
    path = edge_list_scenario(tmp_path, "source,target\n0,1\n1,2\n2,3\n")
    res = run_scenario(path, replications=2, steps=2, out=None)
    assert len(res.timeseries) == 2 * 3


# ---------------------------------------------------------------------------------------------
# The README snippet


def readme_snippet() -> str:
    """Every python block under 'From Python / Jupyter', in order, as one program."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## From Python / Jupyter", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) >= 2, "the API and the Mesa blocks under 'From Python / Jupyter'"
    return "\n".join(blocks)


def test_readme_python_snippet_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    code = readme_snippet()
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    assert isinstance(namespace["res"], Results)
    assert namespace["res"].folder is None
    out = capsys.readouterr().out
    assert "share_aware" in out and "difference" in out
    model = namespace["model"]
    assert model.steps == 5 and len(model.learners) == model.n_agents
    runs = namespace["runs"]
    assert len(runs) == 2 and all(0 <= r["share_aware"] <= 1 for r in runs)


def test_sim_exports_the_api():
    for name in ("run_scenario", "run_sweep", "compare_scenarios", "plot_results", "Results"):
        assert hasattr(sim, name)
    assert sim.__version__ == "0.1.0"
    assert callable(sim.make_model)
    assert sim.LearningModel.__name__ == "LearningModel"
