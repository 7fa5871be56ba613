"""The command's entry points: `run.py`, `python -m sim`, `learning-ties`, `--version`, help."""

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import sim.cli as cli
from sim.cli import SUBCOMMANDS, build_parser, main, version_text

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
VERSION = PYPROJECT["project"]["version"]
LEARNING_TIES = Path(sys.executable).parent / "learning-ties"
WEAK_TIES = ROOT / "scenarios" / "weak_ties.yaml"
TINY = ["--set", "population.n_agents=60", "--set", "network.n_groups=6"]


def run(*command: str | Path, cwd: Path = ROOT, env: dict | None = None):
    return subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def subcommands() -> dict[str, str]:
    """Each subcommand of the parser and its one-line help."""
    (action,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return {c.dest: c.help for c in action._choices_actions}


# ---------------------------------------------------------------------------------------------
# --version


def test_the_package_version_is_the_pyproject_version():
    assert sim_version() == VERSION


def sim_version() -> str:
    import sim

    return sim.__version__


def test_python_m_sim_version_prints_the_pyproject_version_and_the_commit():
    done = run(sys.executable, "-m", "sim", "--version")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    pattern = rf"learning-ties {re.escape(VERSION)}( \(git [0-9a-f]{{40}}(-dirty)?\))?\n"
    assert re.fullmatch(pattern, done.stdout), done.stdout
    git = shutil.which("git")
    if git and (ROOT / ".git").exists():
        head = run(git, "rev-parse", "HEAD").stdout.strip()
        assert f"(git {head}" in done.stdout


def test_version_outside_a_git_checkout_is_the_version_alone(tmp_path):
    # A copy of the package in a folder that is not a git checkout, and no git on PATH.
    shutil.copytree(ROOT / "sim", tmp_path / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PATH": str(Path(sys.executable).parent), "PYTHONPATH": str(tmp_path)}
    where = run(
        sys.executable,
        "-c",
        "import importlib.util; print(importlib.util.find_spec('sim').origin)",
        cwd=tmp_path,
        env=env,
    )
    assert where.stdout.strip() == str(tmp_path / "sim" / "__init__.py")
    for path in (env["PATH"], os.environ.get("PATH", "")):  # without git, then with it
        done = run(
            sys.executable, "-m", "sim", "--version", cwd=tmp_path, env={**env, "PATH": path}
        )
        assert (done.returncode, done.stdout, done.stderr) == (0, f"learning-ties {VERSION}\n", "")


def test_version_option_prints_and_exits_without_running(monkeypatch, capsys):
    monkeypatch.setattr(cli, "git_commit", lambda: "abc123")
    monkeypatch.setattr(cli, "_cmd_run", lambda *a: pytest.fail("--version ran a scenario"))
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"learning-ties {VERSION} (git abc123)\n"
    monkeypatch.setattr(cli, "git_commit", lambda: None)
    assert version_text() == f"learning-ties {VERSION}"


# ---------------------------------------------------------------------------------------------
# Subcommands and --help


def test_every_subcommand_is_dispatched_by_main():
    assert set(subcommands()) == set(SUBCOMMANDS)


def test_help_lists_every_subcommand_on_one_line(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    helps = subcommands()
    for name, text in helps.items():
        (i,) = [i for i, line in enumerate(lines) if line.split()[:1] == [name]]
        assert lines[i].split(None, 1)[1] == text, lines[i]
        following = lines[i + 1] if i + 1 < len(lines) else ""
        assert following.split()[:1] in ([], *[[n] for n in helps]), f"{name}: help wraps"
    assert any("--version" in line for line in lines)


def test_a_scenario_file_without_a_subcommand_is_run(monkeypatch):
    seen = []
    monkeypatch.setattr(cli, "_cmd_run", lambda args, argv: seen.append(args) or 0)
    assert main(["some.yaml", "--steps", "3"]) == 0
    assert main(["run", "some.yaml", "--steps", "3"]) == 0
    assert main(["--resume", "folder"]) == 0
    bare, explicit, resume = seen
    assert (bare.command, bare.scenario, bare.steps) == ("run", Path("some.yaml"), 3)
    without_parser = [{k: v for k, v in vars(a).items() if k != "parser"} for a in seen[:2]]
    assert without_parser[0] == without_parser[1]
    assert (resume.scenario, resume.resume) == (None, Path("folder"))


def test_usage_names_the_command_as_typed(capsys):
    for prog in ("run.py", "python -m sim", "learning-ties"):
        with pytest.raises(SystemExit):
            main(["--help"], prog=prog)
        out = capsys.readouterr().out
        assert out.startswith(f"usage: {prog} [-h] [--version]")
        assert f"'{prog} SCENARIO.yaml' means '{prog} run SCENARIO.yaml'" in " ".join(out.split())


# ---------------------------------------------------------------------------------------------
# python -m sim and the installed learning-ties command


def test_the_module_entry_point_is_the_cli():
    spec = importlib.util.find_spec("sim.__main__")
    assert spec is not None and Path(spec.origin) == ROOT / "sim" / "__main__.py"


def test_learning_ties_is_installed_next_to_python():
    assert LEARNING_TIES.is_file(), "learning-ties missing: run pip install -e '.[test]'"
    entry = PYPROJECT["project"]["scripts"]["learning-ties"]
    module, _, function = entry.partition(":")
    assert (module, function) == ("sim.cli", "learning_ties")


def test_learning_ties_help_is_the_command_line_help(monkeypatch, capsys):
    done = run(LEARNING_TIES, "--help", env={**os.environ, "COLUMNS": "80"})
    assert done.returncode == 0, done.stderr
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit):
        main(["--help"], prog="learning-ties")
    assert done.stdout == capsys.readouterr().out
    assert done.stdout.startswith("usage: learning-ties [-h] [--version]")


def test_learning_ties_runs_a_scenario_without_a_subcommand(tmp_path):
    out = tmp_path / "results"
    done = run(
        LEARNING_TIES,
        WEAK_TIES,
        "--replications",
        "1",
        "--steps",
        "2",
        "--out",
        out,
        "--quiet",
        "--no-figures",
        *TINY,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    (folder,) = sorted((out / "weak_ties").iterdir())
    assert f"results: {folder}" in done.stdout
    assert (folder / "summary.csv").is_file()


def test_python_m_sim_with_a_broken_file_exits_2_with_one_line(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("ties:\n  decay: 1.5\n")
    done = run(sys.executable, "-m", "sim", bad, "--out", tmp_path / "results", "--quiet")
    assert done.returncode == 2
    assert done.stderr == f"{bad}: ties.decay: must be between 0 and 1 (got 1.5)\n"
    assert not (tmp_path / "results").exists()
