"""The scripts of docs/examples/ run, at a small size, and do what their docstrings say."""

import ast
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
TWO_SCENARIOS = ROOT / "docs" / "examples" / "two_scenarios.py"
SMALL = ["--agents", "60", "--steps", "8"]


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("two_scenarios", TWO_SCENARIOS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_script_runs_and_writes_the_figure(tmp_path):
    out = tmp_path / "figures" / "two.png"
    done = subprocess.run(
        [sys.executable, str(TWO_SCENARIOS), *SMALL, "--out", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert done.stdout.splitlines()[-1] == f"figure: {out}"
    assert "social_network:" in done.stdout and "closed_community:" in done.stdout
    assert "60 learners, 60 community members" in done.stdout  # closed_community: all members


def test_the_default_figure_goes_to_a_temporary_folder(example, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where mkdtemp makes folders
    example.main(["--agents", "40", "--steps", "1"])
    path = Path(capsys.readouterr().out.splitlines()[-1].removeprefix("figure: "))
    assert path.name == "two_scenarios.png" and path.is_file()
    assert path.parent.parent == tmp_path


def test_the_same_seed_gives_the_same_tables_and_learners(example, tmp_path, capsys):
    first = example.main([*SMALL, "--seed", "5", "--out", str(tmp_path / "a.png")])
    printed_first = capsys.readouterr().out.splitlines()[:-1]
    again = example.main([*SMALL, "--seed", "5", "--out", str(tmp_path / "b.png")])
    printed_again = capsys.readouterr().out.splitlines()[:-1]
    other = example.main([*SMALL, "--seed", "6", "--out", str(tmp_path / "c.png")])
    printed_other = capsys.readouterr().out.splitlines()[:-1]
    for name in example.SCENARIOS:
        pd.testing.assert_frame_equal(first[name], again[name])
        assert list(first[name].index) == list(range(9))  # step 0 and 8 steps
    assert printed_first == printed_again  # the random pick of learners too
    assert printed_other != printed_first
    assert not first["social_network"].equals(other["social_network"])


def test_the_reporters_agree_with_the_model_metrics(example):
    scenario = example.small_scenario(example.SCENARIOS["closed_community"], 50, 12)
    assert (scenario.population.n_agents, scenario.steps) == (50, 12)
    model, table = example.run(scenario, seed=3)
    ts = model.timeseries()
    ties = 2 * (ts["n_weak_ties"] + ts["n_strong_ties"]) / 50
    np.testing.assert_allclose(table["mean_ties"].to_numpy(), ties.to_numpy())
    assert table["mean_ties"].iloc[-1] > 0  # closed_community starts without ties
    assert ((table["share_informed"] >= table["share_deep"]) & (table["share_deep"] > 0)).all()


def test_small_scenario_keeps_groups_of_about_twenty(example):
    social = example.small_scenario(example.SCENARIOS["social_network"], 100, None)
    assert (social.network.n_groups, social.steps) == (5, 200)
    full = example.small_scenario(example.SCENARIOS["social_network"], None, None)
    assert full == example.load_scenario(example.SCENARIOS["social_network"])


def test_the_script_draws_no_random_number_outside_the_model_rng():
    tree = ast.parse(TWO_SCENARIOS.read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {"random", "numpy.random"} & imported
    attributes = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert "random" not in attributes  # neither np.random nor model.random
    assert "shuffle" not in attributes and "shuffle_do" not in attributes  # Mesa's use random
