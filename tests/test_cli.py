"""The command line: results folder contents, reproducibility, errors and interruption."""

import importlib.metadata
import json
import platform
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import sim
import sim.experiment.jobs
import sim.experiment.storage
from sim.cli import EXIT_INTERRUPTED, EXIT_INVALID, EXIT_OK, main
from sim.scenario import load_scenario
from sim.world.streams import PURPOSES, STREAM_LAYOUT

ROOT = Path(__file__).resolve().parent.parent
WEAK_TIES = ROOT / "scenarios" / "weak_ties.yaml"
TINY = ["--set", "population.n_agents=60", "--set", "network.n_groups=6"]
STAMP = re.compile(r"^\d{8}T\d{6}Z(-\d+)?$")
FIGURES = {"spread.png", "depth.png", "redundancy.png", "ties.png", "groups.png", "learners.png"}


def tiny_argv(out: Path, *extra: str, replications: int = 2, steps: int = 5) -> list[str]:
    return [
        str(WEAK_TIES),
        "--replications",
        str(replications),
        "--steps",
        str(steps),
        "--out",
        str(out),
        "--quiet",
        *TINY,
        *extra,
    ]


def leftovers(root: Path) -> list[Path]:
    """Hidden files or folders (`.partial`, `.tmp`) anywhere under `root`."""
    return list(root.rglob(".*"))


def results_folders(out: Path, name: str = "weak_ties") -> list[Path]:
    base = out / name
    return sorted(base.iterdir()) if base.exists() else []


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """One tiny run of weak_ties (2 replications of 5 steps, 60 agents), shared by the checks."""
    out = tmp_path_factory.mktemp("results")
    status = main(tiny_argv(out))
    folders = results_folders(out)
    return status, out, folders


@pytest.fixture(scope="module")
def folder(tiny_run) -> Path:
    status, _, folders = tiny_run
    assert status == EXIT_OK
    assert len(folders) == 1
    return folders[0]


# ---------------------------------------------------------------------------------------------
# The results folder


def test_run_exits_0_and_writes_exactly_one_stamped_folder(tiny_run):
    status, out, folders = tiny_run
    assert status == EXIT_OK
    assert [p.name for p in out.iterdir()] == ["weak_ties"]
    assert len(folders) == 1
    assert STAMP.match(folders[0].name), folders[0].name
    assert leftovers(out) == []


def test_results_folder_has_every_file(folder):
    names = {p.name for p in folder.iterdir()}
    assert names == {
        "scenario.yaml",
        "manifest.json",
        "timeseries.parquet",
        "ties.parquet",
        "groups.parquet",
        "learners.parquet",
        "summary.csv",
        "figures",
        "runs",
    }
    assert len(list((folder / "runs").glob("*.parquet"))) == 2
    for table in ("ties", "groups", "learners"):
        assert len(list((folder / "runs" / table).glob("*.parquet"))) == 2
    assert json.loads((folder / "manifest.json").read_text())["status"] == "complete"
    assert {p.name for p in (folder / "figures").iterdir()} == FIGURES
    for png in (folder / "figures").iterdir():
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_timeseries_has_one_row_per_replication_and_step(folder):
    ts = pd.read_parquet(folder / "timeseries.parquet")
    assert len(ts) == 2 * (5 + 1)
    assert list(ts.columns[:3]) == ["replication", "seed", "step"]
    for column in ("share_aware", "mean_depth", "redundancy", "n_weak_ties", "n_strong_ties"):
        assert column in ts.columns
    assert sorted(zip(ts["replication"], ts["step"], strict=True)) == [
        (r, s) for r in range(2) for s in range(6)
    ]
    assert ts.groupby("replication")["seed"].nunique().tolist() == [1, 1]
    assert ts["seed"].nunique() == 2
    assert ts["share_aware"].between(0, 1).all()


def test_summary_has_one_row_per_replication(folder):
    summary = pd.read_csv(folder / "summary.csv")
    assert len(summary) == 2
    assert sorted(summary["replication"]) == [0, 1]
    assert {"time_to_50", "time_to_90", "share_aware"} <= set(summary.columns)
    ts = pd.read_parquet(folder / "timeseries.parquet")
    final = ts[ts["step"] == 5].sort_values("replication")["share_aware"].to_numpy()
    assert summary.sort_values("replication")["share_aware"].to_numpy() == pytest.approx(final)


def test_manifest(folder):
    manifest = json.loads((folder / "manifest.json").read_text())
    for key in (
        "version",
        "git_commit",
        "python",
        "packages",
        "replication_seeds",
        "wall_seconds",
        "command",
    ):
        assert key in manifest, key
    assert manifest["version"] == sim.__version__
    assert manifest["random_streams"] == {"layout": STREAM_LAYOUT, "purposes": list(PURPOSES)}
    assert manifest["git_commit"] is None or re.match(
        r"^[0-9a-f]{40}(-dirty)?$", manifest["git_commit"]
    )
    assert manifest["python"] == platform.python_version()
    assert manifest["packages"]["mesa"] == importlib.metadata.version("mesa")
    seeds = manifest["replication_seeds"]
    assert len(seeds) == 2
    assert all(isinstance(s, int) for s in seeds)
    ts = pd.read_parquet(folder / "timeseries.parquet")
    by_rep = ts.groupby("replication")["seed"].first()
    assert by_rep.tolist() == seeds
    assert isinstance(manifest["wall_seconds"], int | float)
    assert manifest["wall_seconds"] >= 0
    assert "weak_ties.yaml" in manifest["command"]
    assert "--replications 2" in manifest["command"]
    assert "population.n_agents=60" in manifest["command"]


def test_scenario_yaml_is_fully_resolved(folder):
    saved = load_scenario(folder / "scenario.yaml")
    expected = load_scenario(WEAK_TIES, [*TINY[1::2], "replications=2", "steps=5"])
    assert saved == expected
    assert saved.population.n_agents == 60
    assert saved.replications == 2
    assert saved.steps == 5


def test_rerunning_the_saved_scenario_reproduces_the_run(folder, tmp_path):
    status = main(
        [str(folder / "scenario.yaml"), "--out", str(tmp_path), "--quiet", "--no-figures"]
    )
    assert status == EXIT_OK
    (again,) = results_folders(tmp_path)
    pd.testing.assert_frame_equal(
        pd.read_parquet(again / "timeseries.parquet"),
        pd.read_parquet(folder / "timeseries.parquet"),
    )
    pd.testing.assert_frame_equal(
        pd.read_csv(again / "summary.csv"), pd.read_csv(folder / "summary.csv")
    )
    first = json.loads((folder / "manifest.json").read_text())
    second = json.loads((again / "manifest.json").read_text())
    assert second["replication_seeds"] == first["replication_seeds"]


def test_replication_seed_does_not_depend_on_the_number_of_replications(folder, tmp_path):
    assert main(tiny_argv(tmp_path, "--no-figures", replications=1)) == EXIT_OK
    (one,) = results_folders(tmp_path)
    ts_one = pd.read_parquet(one / "timeseries.parquet")
    ts_two = pd.read_parquet(folder / "timeseries.parquet")
    pd.testing.assert_frame_equal(ts_one, ts_two[ts_two["replication"] == 0])


def test_seed_option_changes_the_seeds(folder, tmp_path):
    assert main(tiny_argv(tmp_path, "--no-figures", "--seed", "7", steps=1)) == EXIT_OK
    (other,) = results_folders(tmp_path)
    first = json.loads((folder / "manifest.json").read_text())
    second = json.loads((other / "manifest.json").read_text())
    assert second["root_seed"] == 7
    assert second["replication_seeds"] != first["replication_seeds"]
    assert load_scenario(other / "scenario.yaml").seed == 7


def test_two_runs_get_two_folders(tmp_path):
    for _ in range(2):
        assert main(tiny_argv(tmp_path, "--no-figures", replications=1, steps=1)) == EXIT_OK
    folders = results_folders(tmp_path)
    assert len(folders) == 2
    assert all(STAMP.match(f.name) for f in folders)


def test_no_figures_option(tmp_path):
    assert main(tiny_argv(tmp_path, "--no-figures", replications=1, steps=1)) == EXIT_OK
    (folder,) = results_folders(tmp_path)
    assert not (folder / "figures").exists()


def test_without_quiet_prints_a_summary_table(tmp_path, capsys):
    argv = tiny_argv(tmp_path, "--no-figures", replications=1, steps=1)
    argv.remove("--quiet")
    assert main(argv) == EXIT_OK
    out = capsys.readouterr().out
    assert "share_aware" in out
    assert "results: " in out


# ---------------------------------------------------------------------------------------------
# Invalid input: exit 2, one line per problem naming the file, no traceback


def test_invalid_scenario_exits_2_with_one_line_per_problem(tmp_path, capsys):
    bad = tmp_path / "broken.yaml"
    bad.write_text("ties:\n  decay: 1.5\nnetwork:\n  generatr: clustered\n")
    out = tmp_path / "results"
    assert main([str(bad), "--out", str(out), "--quiet"]) == EXIT_INVALID
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 2
    assert all(line.startswith(f"{bad}: ") for line in lines)
    assert f"{bad}: ties.decay: must be between 0 and 1 (got 1.5)" in lines
    assert f"{bad}: network.generatr: unknown field (did you mean 'generator'?)" in lines
    assert "Traceback" not in err
    assert not out.exists()


def test_missing_scenario_file_exits_2(tmp_path, capsys):
    missing = tmp_path / "nope.yaml"
    assert main([str(missing), "--out", str(tmp_path), "--quiet"]) == EXIT_INVALID
    err = capsys.readouterr().err
    assert err.startswith(f"{missing}: ")
    assert "Traceback" not in err


def test_negative_steps_exits_2_naming_steps(tmp_path, capsys):
    assert main(tiny_argv(tmp_path, steps=-1)) == EXIT_INVALID
    err = capsys.readouterr().err
    assert err.startswith(f"{WEAK_TIES}: steps: ")
    assert "(got -1)" in err
    assert results_folders(tmp_path) == []


def test_zero_replications_exits_2(tmp_path, capsys):
    assert main(tiny_argv(tmp_path, replications=0)) == EXIT_INVALID
    assert "replications" in capsys.readouterr().err


def test_bad_override_exits_2(tmp_path, capsys):
    assert main(tiny_argv(tmp_path, "--set", "ties.decay=2", "--set", "nosuch.x=1")) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2
    assert any("ties.decay" in line for line in lines)
    assert any("nosuch" in line and "unknown field" in line for line in lines)


def test_override_breaking_a_cross_field_constraint_exits_2(tmp_path, capsys):
    # 60 agents in 6 groups of 10: at most 10 holders in one group
    seeding = "knowledge.item_classes.0.seeding"
    argv = tiny_argv(
        tmp_path, "--set", f"{seeding}.strategy=one_group", "--set", f"{seeding}.n_holders=11"
    )
    assert main(argv) == EXIT_INVALID
    err = capsys.readouterr().err
    assert "knowledge.item_classes.0.seeding.n_holders" in err


def test_non_integer_option_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main([str(WEAK_TIES), "--steps", "many", "--out", str(tmp_path)])
    assert info.value.code == 2
    assert "--steps" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# Ctrl-C: exit 130, finished runs kept, no half-written or hidden file, and a rerun resumes


def assert_whole_files(root: Path) -> None:
    """Every file under `root` is whole (parses), and no temporary is left behind."""
    assert leftovers(root) == []
    for path in sim.experiment.storage.iter_files(root):
        if path.suffix == ".parquet":
            pd.read_parquet(path)
        elif path.suffix == ".csv":
            pd.read_csv(path)
        elif path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix == ".png":
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def assert_same_results(folder: Path, tmp_path: Path, argv: list[str]) -> None:
    """`folder` holds exactly what an uninterrupted run of `argv` writes."""
    clean_out = tmp_path / "clean"
    assert (
        main(
            [
                *argv[: argv.index("--out")],
                "--out",
                str(clean_out),
                *argv[argv.index("--out") + 2 :],
            ]
        )
        == 0
    )
    (clean,) = results_folders(clean_out)
    for name in ("timeseries.parquet",):
        pd.testing.assert_frame_equal(pd.read_parquet(folder / name), pd.read_parquet(clean / name))
    pd.testing.assert_frame_equal(
        pd.read_csv(folder / "summary.csv"), pd.read_csv(clean / "summary.csv")
    )


def test_interrupt_during_replications_keeps_finished_runs_and_rerun_resumes(
    tmp_path, monkeypatch, capsys
):
    real = sim.experiment.jobs.run_replication
    started = []

    def interrupt_second(scenario, replication, seed, network=None):
        started.append(replication)
        if replication == 1:
            raise KeyboardInterrupt
        return real(scenario, replication, seed, network)

    monkeypatch.setattr(sim.experiment.jobs, "run_replication", interrupt_second)
    argv = tiny_argv(tmp_path / "out", "--workers", "1", "--no-figures", replications=3)
    assert main(argv) == EXIT_INTERRUPTED
    assert started == [0, 1]
    (folder,) = results_folders(tmp_path / "out")
    assert json.loads((folder / "manifest.json").read_text())["status"] == "running"
    assert len(list((folder / "runs").glob("*.parquet"))) == 1
    assert not (folder / "timeseries.parquet").exists()
    assert_whole_files(tmp_path)
    err = capsys.readouterr().err
    assert "interrupted" in err and "--resume" in err

    monkeypatch.undo()
    assert main(argv) == EXIT_OK
    assert results_folders(tmp_path / "out") == [folder]  # the same folder, resumed
    assert json.loads((folder / "manifest.json").read_text())["status"] == "complete"
    assert_whole_files(tmp_path)
    assert_same_results(folder, tmp_path, argv)


def test_interrupt_before_any_run_finishes_leaves_an_empty_resumable_folder(tmp_path, monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.experiment.jobs, "run_replication", interrupt)
    argv = tiny_argv(tmp_path, "--workers", "1", "--no-figures", replications=1, steps=1)
    assert main(argv) == EXIT_INTERRUPTED
    assert_whole_files(tmp_path)
    monkeypatch.undo()
    assert main(argv) == EXIT_OK
    assert len(results_folders(tmp_path)) == 1


@pytest.mark.parametrize("where", ["run file", "summary", "timeseries"])
def test_interrupt_while_writing_leaves_only_whole_files(tmp_path, monkeypatch, where):
    def half_then_interrupt(self, path, *args, **kwargs):
        # half a file on disk, as a real interrupt mid-write could leave
        Path(path).write_bytes(b"half")
        raise KeyboardInterrupt

    if where == "run file":
        monkeypatch.setattr(pd.DataFrame, "to_parquet", half_then_interrupt)
    elif where == "summary":
        monkeypatch.setattr(pd.DataFrame, "to_csv", half_then_interrupt)
    else:

        def interrupt_stream(self, df):
            Path(self._tmp).write_bytes(b"half")
            raise KeyboardInterrupt

        monkeypatch.setattr(sim.experiment.storage.ParquetStream, "write", interrupt_stream)
    argv = tiny_argv(tmp_path / "out", "--workers", "1", "--no-figures", replications=1, steps=1)
    assert main(argv) == EXIT_INTERRUPTED
    assert_whole_files(tmp_path)
    (folder,) = results_folders(tmp_path / "out")
    assert not (folder / ("summary.csv" if where == "summary" else "timeseries.parquet")).exists()
    monkeypatch.undo()
    assert main(argv) == EXIT_OK
    assert results_folders(tmp_path / "out") == [folder]
    assert_whole_files(tmp_path)
    assert_same_results(folder, tmp_path, argv)


def test_interrupt_while_plotting_leaves_whole_files_and_rerun_draws(tmp_path, monkeypatch):
    import sim.analysis.plotting

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.analysis.plotting, "plot_run", interrupt)
    argv = tiny_argv(tmp_path, "--workers", "1", replications=1, steps=1)
    assert main(argv) == EXIT_INTERRUPTED
    (folder,) = results_folders(tmp_path)
    assert json.loads((folder / "manifest.json").read_text())["status"] == "running"
    assert_whole_files(tmp_path)
    monkeypatch.undo()
    assert main(argv) == EXIT_OK
    assert results_folders(tmp_path) == [folder]
    assert {p.name for p in (folder / "figures").iterdir()} == FIGURES


# ---------------------------------------------------------------------------------------------
# The real entry point


def run_script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "run.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_run_py_writes_results(tmp_path):
    done = run_script(*tiny_argv(tmp_path, "--no-figures", replications=1, steps=2))
    assert done.returncode == 0, done.stderr
    (folder,) = results_folders(tmp_path)
    assert f"results: {folder}" in done.stdout
    assert len(pd.read_parquet(folder / "timeseries.parquet")) == 3
    assert "Traceback" not in done.stderr


def test_run_py_with_broken_file_exits_2_without_traceback(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("ties:\n  decay: 1.5\nsharing: {policy: shout}\n")
    done = run_script(str(bad), "--out", str(tmp_path / "results"), "--quiet")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2
    assert all(line.startswith(f"{bad}: ") for line in lines)
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("workers", ["0", "-4"])
def test_workers_below_one_is_invalid_input(tmp_path, capsys, workers):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_info:
        main([str(WEAK_TIES), "--workers", workers, "--out", str(out), "--quiet"])
    assert exit_info.value.code == EXIT_INVALID
    assert f"--workers: must be at least 1 (got {workers})" in capsys.readouterr().err
    assert not out.exists()


def test_the_api_refuses_workers_below_one(tmp_path):
    from sim import run_scenario

    with pytest.raises(ValueError, match="workers: must be at least 1"):
        run_scenario(WEAK_TIES, workers=0, out=None)
