"""Sensitivity indices through sim.analysis.sensitivity: known answers, noise, scales."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.sensitivity import SENSITIVITY_COLUMNS, Factor, analyse, design, noise_share


def _tables(x: np.ndarray, y_runs: np.ndarray, factors):
    """points and summary tables as a sweep folder holds them (y_runs: points x replications)."""
    points = pd.DataFrame(x, columns=[f.name for f in factors])
    points.insert(0, "point", np.arange(len(x)))
    reps = y_runs.shape[1]
    summary = pd.DataFrame(
        {
            "point": np.repeat(np.arange(len(x)), reps),
            "replication": np.tile(np.arange(reps), len(x)),
            "y": y_runs.ravel(),
        }
    )
    return points, summary


def test_sobol_indices_of_the_ishigami_function_match_the_analytic_values():
    # Ishigami (a = 7, b = 0.1) on [-pi, pi]^3 (Ishigami & Homma 1990): V = a^2/8 + b pi^4/5
    # + b^2 pi^8/18 + 1/2; V1 = (1 + b pi^4/5)^2 / 2, V2 = a^2/8, V13 = b^2 pi^8 (1/18 - 1/50).
    a, b = 7.0, 0.1
    v1, v2 = 0.5 * (1 + b * math.pi**4 / 5) ** 2, a**2 / 8
    v13 = b**2 * math.pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    s1 = {"x1": v1 / v, "x2": v2 / v, "x3": 0.0}
    st = {"x1": (v1 + v13) / v, "x2": v2 / v, "x3": v13 / v}
    factors = [Factor(f"x{i}", -math.pi, math.pi) for i in (1, 2, 3)]
    x = design(factors, "sobol_indices", 1024, seed=3)
    assert x.shape == (1024 * (3 + 2), 3)
    y = np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])
    points, summary = _tables(x, y[:, None], factors)
    # One replication per point: no noise part. Six intervals at 99.9 % each: a correct
    # estimator misses any of them with probability at most 0.6 %.
    res = analyse(points, summary, factors, "sobol_indices", ["y"], confidence=0.999, seed=1)
    got = res.set_index(["parameter", "index"])
    for name in s1:
        for index, truth in (("S1", s1[name]), ("ST", st[name])):
            r = got.loc[(name, index)]
            assert r["ci_lo"] <= truth <= r["ci_hi"], (name, index, r["value"], truth)
            assert r["noise_half"] == 0.0
    # Not vacuous: the intervals are narrow enough to tell x1's S1 from its ST.
    assert got.loc[("x1", "S1"), "ci_hi"] < st["x1"]
    assert math.isnan(got.loc[("", "noise_share"), "value"])


def test_morris_elementary_effects_of_a_linear_function_are_its_slopes():
    # y = 2 x1 + 0 x2 + 5 log10(x3). SALib's elementary effects are per whole range of a
    # factor (inputs scaled to [0, 1]): x1 on [0, 2] gives exactly 2 * 2 = 4 every time
    # (sigma 0), x2 exactly 0, and x3, sampled on a log scale over 3 decades, 5 * 3 = 15.
    factors = [Factor("x1", 0.0, 2.0), Factor("x2", 0.0, 1.0), Factor("x3", 0.01, 10.0, log=True)]
    x = design(factors, "morris", 20, seed=4)
    assert x.shape == (20 * 4, 3) and x[:, 2].min() >= 0.01 and x[:, 2].max() <= 10.0
    y = 2 * x[:, 0] + 5 * np.log10(x[:, 2])
    points, summary = _tables(x, y[:, None], factors)
    got = analyse(points, summary, factors, "morris", ["y"]).set_index(["parameter", "index"])
    assert got.loc[("x1", "mu_star"), "value"] == pytest.approx(4.0)
    assert got.loc[("x1", "sigma"), "value"] == pytest.approx(0.0, abs=1e-9)
    assert got.loc[("x2", "mu_star"), "value"] == pytest.approx(0.0, abs=1e-12)
    assert got.loc[("x3", "mu_star"), "value"] == pytest.approx(15.0)


def test_noise_share_is_the_within_point_share_of_variance():
    # y = x1 + N(0, sigma^2), x1 uniform on [0, 1]: between-point variance 1/12, within
    # sigma^2. With 400 points x 5 replications the estimate's relative sd is a few percent.
    rng = np.random.default_rng(0)
    x1 = rng.random(400)
    for sigma in (0.1, 1.0):
        y = x1[:, None] + rng.normal(0.0, sigma, (400, 5))
        _, summary = _tables(x1[:, None], y, [Factor("x1", 0, 1)])
        truth = sigma**2 / (sigma**2 + 1 / 12)
        assert noise_share(summary, "y") == pytest.approx(truth, rel=0.15)


def test_replication_noise_widens_the_intervals_and_is_reported():
    # pawn on an LHS-like design: y = x1 + noise. With small noise x1 dominates and x2's
    # index is small; with large noise the noise part of every interval is larger.
    rng = np.random.default_rng(1)
    factors = [Factor("x1", 0.0, 1.0), Factor("x2", 0.0, 1.0)]
    x = rng.random((300, 2))
    out = {}
    for sigma in (0.05, 1.0):
        y = x[:, [0]] + rng.normal(0.0, sigma, (300, 4))
        points, summary = _tables(x, y, factors)
        res = analyse(points, summary, factors, "pawn", ["y"], n_boot=20, seed=2)
        out[sigma] = res.set_index(["parameter", "index"])
    quiet, noisy = out[0.05], out[1.0]
    assert quiet.loc[("x1", "pawn"), "value"] > 3 * quiet.loc[("x2", "pawn"), "value"]
    assert quiet.loc[("x1", "S1"), "ci_lo"] > 0.8 > quiet.loc[("x2", "S1"), "ci_hi"]
    assert noisy.loc[("x1", "S1"), "noise_half"] > 3 * quiet.loc[("x1", "S1"), "noise_half"]
    assert noisy.loc[("", "noise_share"), "value"] > 0.5 > quiet.loc[("", "noise_share"), "value"]
    # The interval adds the two halves in variance.
    r = noisy.loc[("x1", "S1")]
    half = math.hypot(r["design_half"], r["noise_half"])
    assert r["ci_hi"] - r["value"] == pytest.approx(half)


def test_design_refuses_a_method_without_a_design():
    with pytest.raises(ValueError, match="no design of its own"):
        design([Factor("x", 0, 1)], "lhs", 8, seed=0)


def test_the_figure_sorts_parameters_by_total_effect(tmp_path):
    import matplotlib.pyplot as plt

    from sim.analysis.sensitivity import plot_sensitivity

    table = pd.DataFrame(
        [
            ["y", "a", "S1", 0.1, 0.0, 0.2, 0.1, 0.0],
            ["y", "a", "ST", 0.2, 0.1, 0.3, 0.1, 0.0],
            ["y", "b", "S1", 0.5, 0.4, 0.6, 0.1, 0.0],
            ["y", "b", "ST", 0.7, 0.6, 0.8, 0.1, 0.0],
            ["y", "", "noise_share", 0.3, np.nan, np.nan, np.nan, np.nan],
        ],
        columns=SENSITIVITY_COLUMNS,
    )
    opened = []
    real = plt.subplots
    plt.subplots = lambda *a, **k: opened.append(real(*a, **k)) or opened[-1]
    try:
        path = plot_sensitivity(table, "y", "sobol_indices", tmp_path / "s.png")
    finally:
        plt.subplots = real
    assert path.exists() and path.stat().st_size > 0
    ax = opened[0][1]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["b", "a"]  # ST 0.7 before 0.2
    assert "noise" in ax.get_title() and "0.30" in ax.get_title()
    assert plot_sensitivity(table, "other", "sobol_indices", tmp_path / "t.png") is None


# ---------------------------------------------------------------------------------------------
# Through the real pipeline: a sweep folder, then `run.py sensitivity`


def _cascade_doc(name: str, sweep: dict, replications: int = 2) -> dict:
    """The independent cascade (docs/validation.md) at 300 learners, with a sweep block."""
    import yaml

    root = Path(__file__).resolve().parent.parent
    doc = yaml.safe_load((root / "scenarios/validation/cascade_er.yaml").read_text())
    doc.update(name=name, steps=30, replications=replications)
    doc["population"]["n_agents"] = 300
    doc["knowledge"]["item_classes"][0]["seeding"]["n_holders"] = 3
    doc["sweep"] = sweep
    return doc


@pytest.fixture(scope="module")
def cascade_sweep(tmp_path_factory):
    # The independent cascade (docs/validation.md): the final spread grows with the chance a
    # newly aware learner passes the item on (p_share), and cannot depend on help.p_ask,
    # since help is switched off. 48 LHS points x 3 replications of 300 learners.
    import yaml

    from sim import run_sweep

    sweep = {
        "method": "lhs",
        "samples": 48,
        "sharing.p_share": {"min": 0.2, "max": 1.0},
        "help.p_ask": {"min": 0.01, "max": 0.5},
    }
    doc = _cascade_doc("cascade_sensitivity", sweep, replications=3)
    path = tmp_path_factory.mktemp("sens") / "cascade.yaml"
    path.write_text(yaml.safe_dump(doc))
    res = run_sweep(path, out=path.parent / "results", workers=1)
    return res.folder


def test_a_parameter_that_is_switched_off_ranks_below_one_that_drives_the_spread(cascade_sweep):
    from sim import sensitivity_analysis

    table = sensitivity_analysis(cascade_sweep, ["share_aware"], n_boot=30, seed=0)
    got = table.set_index(["parameter", "index"])
    # The switched-off parameter's first-order index is within its interval of 0, the
    # driver's is large and its interval clear of the other's; PAWN (a KS distance, biased
    # upwards with few points per slice) ranks them in the same order.
    ask, drive = got.loc[("help.p_ask", "S1")], got.loc[("sharing.p_share", "S1")]
    assert ask["ci_lo"] <= 0.0 <= ask["ci_hi"]
    assert drive["ci_lo"] > 0.5 and drive["ci_lo"] > ask["ci_hi"]
    assert got.loc[("sharing.p_share", "pawn"), "value"] > got.loc[("help.p_ask", "pawn"), "value"]
    assert 0.0 <= got.loc[("", "noise_share"), "value"] < 0.5
    assert (cascade_sweep / "sensitivity.csv").is_file()
    assert (cascade_sweep / "figures" / "sensitivity_share_aware.png").is_file()
    saved = pd.read_csv(cascade_sweep / "sensitivity.csv", keep_default_na=False)
    assert list(saved.columns) == list(table.columns) and len(saved) == len(table)


def test_the_command_prints_the_indices_and_refuses_a_folder_that_is_no_sweep(
    cascade_sweep, tmp_path, capsys
):
    from sim.cli import main

    assert main(["sensitivity", str(cascade_sweep), "--outcome", "share_aware"]) == 0
    out = capsys.readouterr().out
    assert "share_aware  (noise share" in out and "sharing.p_share" in out
    lines = [ln for ln in out.splitlines() if "pawn" in ln and ln.startswith("  ")]
    assert lines[0].split()[0] == "sharing.p_share"  # sorted by index, the driver first
    assert main(["sensitivity", str(tmp_path)]) == 2
    assert "not a finished sweep" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# Design sweeps: sobol_indices and morris run, analyse themselves and resume


@pytest.fixture(scope="module")
def sobol_sweep(tmp_path_factory):
    # The independent cascade again, on Saltelli's design: 32 * (2 + 2) = 128 points x 2
    # replications. help is switched off, so help.p_ask changes no draw and no outcome: with
    # common random numbers the outcome at a point equals the outcome at the point that
    # differs from it in p_ask alone, and Jansen's total-index estimator (the mean of
    # (f(A) - f(AB_i))^2) is exactly 0.
    import yaml

    from sim import run_sweep

    doc = _cascade_doc(
        "cascade_sobol",
        {
            "method": "sobol_indices",
            "samples": 32,
            "sharing.p_share": {"min": 0.2, "max": 1.0},
            "help.p_ask": {"min": 0.01, "max": 0.5},
        },
    )
    path = tmp_path_factory.mktemp("sobol") / "cascade.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path, run_sweep(path, out=path.parent / "results", workers=1, progress=False)


def test_a_sobol_indices_sweep_gives_the_known_answer_by_itself(sobol_sweep):
    _, res = sobol_sweep
    assert res.sensitivity is not None and len(res.summary) == 128 * 2
    got = res.sensitivity.set_index(["outcome", "parameter", "index"])
    for index in ("S1", "ST"):
        off = got.loc[("share_aware", "help.p_ask", index)]
        assert off["value"] == 0.0 and off["ci_lo"] <= 0.0 <= off["ci_hi"]
        # The outcome is a function of p_share alone (the seeds are common to all points), so
        # its true S1 and ST are 1: each 95 % interval covers 1 (a correct estimator misses
        # with probability 0.05 per interval), and is clear of the switched-off parameter's.
        drive = got.loc[("share_aware", "sharing.p_share", index)]
        assert drive["ci_lo"] <= 1.0 <= drive["ci_hi"]
        assert drive["ci_lo"] > off["ci_hi"]
    assert got.loc[("share_aware", "sharing.p_share", "ST"), "ci_lo"] > 0.5
    saved = pd.read_csv(res.folder / "sensitivity.csv", keep_default_na=False)
    assert len(saved) == len(res.sensitivity)
    assert (res.folder / "figures" / "sensitivity_share_aware.png").is_file()


def test_the_command_recomputes_the_same_indices_from_the_folder(sobol_sweep):
    from sim import sensitivity_analysis

    _, res = sobol_sweep
    again = sensitivity_analysis(res.folder, figures=False)
    pd.testing.assert_frame_equal(again, res.sensitivity)


def test_an_interrupted_design_sweep_resumes_to_the_same_indices(sobol_sweep, tmp_path):
    # Lose a third of the run files (as a killed sweep would), then resume: the missing runs
    # are done again on their seeds and the indices are those of the uninterrupted sweep.
    import shutil

    from sim import run_sweep

    path, res = sobol_sweep
    copy = tmp_path / "copy"
    shutil.copytree(res.folder, copy)
    for name in ("summary.csv", "timeseries.parquet", "sensitivity.csv"):
        (copy / name).unlink()
    runs = sorted((copy / "runs").glob("*.parquet"))
    for f in runs[::3]:
        f.unlink()
    again = run_sweep(path, resume=copy, workers=1, progress=False, figures=False)
    pd.testing.assert_frame_equal(again.sensitivity, res.sensitivity)


def test_a_morris_sweep_prints_its_elementary_effects(tmp_path, capsys):
    # y does not depend on help.p_ask (help off): every elementary effect of it is exactly 0.
    import yaml

    from sim.cli import main

    doc = _cascade_doc(
        "cascade_morris",
        {
            "method": "morris",
            "samples": 6,
            "levels": 4,
            "sharing.p_share": {"min": 0.2, "max": 1.0},
            "help.p_ask": {"min": 0.01, "max": 0.5},
        },
    )
    path = tmp_path / "cascade.yaml"
    path.write_text(yaml.safe_dump(doc))
    assert main([str(path), "--out", str(tmp_path / "r"), "--no-figures"]) == 0
    out = capsys.readouterr().out
    assert "Morris mu_star" in out
    lines = [ln.split() for ln in out.splitlines() if "mu_star" in ln and ln.startswith("  ")]
    assert lines[0][0] == "sharing.p_share"  # ranked first, by mu_star
    ask = next(ln for ln in lines if ln[0] == "help.p_ask")
    assert float(ask[2]) == 0.0
    folder = next((tmp_path / "r" / "cascade_morris").iterdir())
    table = pd.read_csv(folder / "sensitivity.csv", keep_default_na=False)
    assert set(table["index"]) == {"mu_star", "sigma", "noise_share"}
