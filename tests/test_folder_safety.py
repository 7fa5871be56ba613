"""A results folder is safe: one run at a time holds it, --resume checks what it holds, and a
damaged run file is noticed, kept aside and redone."""

import contextlib
import json
import multiprocessing
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

import sim.experiment.jobs
from sim import api
from sim.cli import EXIT_INTERRUPTED, EXIT_INVALID, EXIT_OK, main
from sim.experiment import orchestrate
from sim.experiment.lock import LOCK_NAME, FolderBusy, FolderLock
from sim.experiment.storage import ResultsFolder

ROOT = Path(__file__).resolve().parent.parent
WEAK_TIES = ROOT / "scenarios" / "weak_ties.yaml"
TINY = ["--set", "population.n_agents=60", "--set", "network.n_groups=6"]
FORK = multiprocessing.get_context("fork")  # cheap: the child has sim imported already


def tiny_argv(out: Path, *extra: str, replications: int = 3, steps: int = 5) -> list[str]:
    return [
        str(WEAK_TIES),
        "--replications",
        str(replications),
        "--steps",
        str(steps),
        "--out",
        str(out),
        "--workers",
        "1",
        "--quiet",
        "--no-figures",
        *TINY,
        *extra,
    ]


def folders(out: Path) -> list[Path]:
    base = out / "weak_ties"
    return sorted(base.iterdir()) if base.exists() else []


def hidden(root: Path) -> list[Path]:
    return list(root.rglob(".*"))


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of a folder (hidden ones too) and its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def summary(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "summary.csv").sort_values("replication").reset_index(drop=True)


def set_status(folder: Path, status: str) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["status"] = status
    (folder / "manifest.json").write_text(json.dumps(manifest))


def quiet_resume(folder: Path, *extra: str) -> list[str]:
    return ["--resume", str(folder), "--workers", "1", "--quiet", "--no-figures", *extra]


@pytest.fixture(scope="module")
def complete(tmp_path_factory) -> Path:
    """An uninterrupted tiny run (3 replications of 5 steps): the reference."""
    out = tmp_path_factory.mktemp("reference")
    assert main(tiny_argv(out)) == EXIT_OK
    (folder,) = folders(out)
    return folder


@pytest.fixture
def copy(complete, tmp_path) -> Path:
    """A copy of the reference folder under a fresh results root ``tmp_path/out``."""
    target = tmp_path / "out" / "weak_ties" / complete.name
    shutil.copytree(complete, target)
    return target


# ---------------------------------------------------------------------------------------------
# Holding a folder from another process


def _hold(path: str, ready, release, seconds: float) -> None:
    lock = FolderLock(path)
    lock.acquire()
    ready.set()
    release.wait(seconds)
    lock.release()


@contextlib.contextmanager
def held(folder: Path, seconds: float = 120):
    """Another process holds `folder` until the block ends (or `seconds` pass)."""
    ready, release = FORK.Event(), FORK.Event()
    proc = FORK.Process(target=_hold, args=(str(folder), ready, release, seconds))
    proc.start()
    try:
        assert ready.wait(60), "the holder did not take the lock"
        yield proc, release
    finally:
        release.set()
        proc.join(60)
        if proc.is_alive():
            proc.kill()


# ---------------------------------------------------------------------------------------------
# (a) a second process on a held folder: exit 2, one line naming the folder and the pid


def test_a_second_run_py_on_a_held_folder_exits_2_with_one_line_and_touches_nothing(copy):
    (copy / ".summary.csv.abc.tmp").write_bytes(b"the holder's temporary")
    with held(copy) as (holder, _):
        before = snapshot(copy)
        done = subprocess.run(
            [sys.executable, "run.py", *quiet_resume(copy)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        after = snapshot(copy)
    assert done.returncode == EXIT_INVALID, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert str(copy) in lines[0]
    assert f"pid {holder.pid} " in lines[0]
    assert "--wait" in lines[0]
    assert after == before  # no clean_temp, no manifest, nothing


def test_the_same_command_on_a_held_unfinished_folder_exits_2_and_makes_no_new_folder(copy, capsys):
    set_status(copy, "running")  # the folder the command would resume
    out = copy.parent.parent
    with held(copy) as (holder, _):
        before = snapshot(copy)
        assert main(tiny_argv(out)) == EXIT_INVALID
        after = snapshot(copy)
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [err[0]] and str(copy) in err[0] and f"pid {holder.pid} " in err[0]
    assert after == before
    assert folders(out) == [copy]
    assert hidden(out) == []


def test_the_library_raises_folder_busy(copy):
    with held(copy) as (holder, _), pytest.raises(FolderBusy) as info:
        api.run_scenario(None, resume=copy, figures=False)
    assert info.value.folder == copy
    assert f"pid {holder.pid} " in str(info.value)


# ---------------------------------------------------------------------------------------------
# (b) the lock is let go after a run, an interrupt, an error; a dead holder's file is taken over


def test_the_lock_is_let_go_after_a_run(tmp_path):
    out = tmp_path / "out"
    assert main(tiny_argv(out, replications=1, steps=1)) == EXIT_OK
    (folder,) = folders(out)
    assert hidden(out) == []  # neither the folder's lock file nor the experiment's is left
    with FolderLock(folder) as lock:
        assert lock.try_acquire()


def test_the_lock_is_let_go_after_an_interrupt_and_after_an_error(tmp_path, monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    out = tmp_path / "out"
    monkeypatch.setattr(sim.experiment.jobs, "run_replication", interrupt)
    assert main(tiny_argv(out, replications=1, steps=1)) == EXIT_INTERRUPTED
    (folder,) = folders(out)
    assert hidden(out) == []
    monkeypatch.undo()

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(orchestrate, "_consolidate", broken)
    with pytest.raises(RuntimeError, match="boom"):
        api.run_scenario(None, resume=folder, figures=False)
    assert hidden(out) == []
    with FolderLock(folder) as lock:
        assert lock.try_acquire()


def test_a_lock_file_left_by_a_killed_process_does_not_block(copy, capsys):
    ready, release = FORK.Event(), FORK.Event()
    proc = FORK.Process(target=_hold, args=(str(copy), ready, release, 120))
    proc.start()
    assert ready.wait(60)
    proc.kill()  # SIGKILL: the lock file stays behind, the operating system drops the lock
    proc.join(60)
    stale = json.loads((copy / LOCK_NAME).read_text())
    assert stale["pid"] == proc.pid
    assert main(quiet_resume(copy)) == EXIT_OK, capsys.readouterr().err
    assert not (copy / LOCK_NAME).exists()


def test_clean_temp_never_removes_the_lock(copy):
    (copy / ".x.tmp").write_bytes(b"")
    with FolderLock(copy) as lock:
        lock.acquire()
        assert ResultsFolder(copy).clean_temp() == [copy / ".x.tmp"]
        assert (copy / LOCK_NAME).is_file()


# ---------------------------------------------------------------------------------------------
# (c) --wait waits for the holder, then runs


def test_wait_waits_for_the_holder_then_succeeds(copy, capsys):
    set_status(copy, "running")
    with held(copy) as (holder, release):
        timer = threading.Timer(1.5, release.set)
        t0 = time.monotonic()
        timer.start()
        status = main(quiet_resume(copy, "--wait"))
        elapsed = time.monotonic() - t0
        timer.join()
    assert status == EXIT_OK
    assert elapsed >= 1.5
    err = capsys.readouterr().err
    assert f"waiting for {copy}: in use by pid {holder.pid} " in err
    assert json.loads((copy / "manifest.json").read_text())["status"] == "complete"


# ---------------------------------------------------------------------------------------------
# (d) two identical commands started together: one folder, and a clear word from the other

TOGETHER = """
import os, sys, time
from sim.cli import main
ready, go = sys.argv[1], sys.argv[2]
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.002)
sys.exit(main(sys.argv[3:]))
"""


def start_together(argv: list[str], tmp_path: Path, n: int = 2) -> list[tuple[int, int, str]]:
    """Start `n` identical commands at the same instant (after their imports); (pid, status,
    stderr) of each."""
    go = tmp_path / "go"
    ready = [tmp_path / f"ready{i}" for i in range(n)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", TOGETHER, str(r), str(go), *argv],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for r in ready
    ]
    deadline = time.monotonic() + 600
    while not all(r.exists() for r in ready):
        assert time.monotonic() < deadline, "the commands did not start"
        assert all(p.poll() is None for p in procs), [p.stderr.read() for p in procs]
        time.sleep(0.01)
    go.touch()
    return [(p.pid, p.wait(600), p.stderr.read()) for p in procs]


def test_two_identical_commands_started_together_leave_one_complete_folder(complete, tmp_path):
    out = tmp_path / "out"
    # long enough (about a second of runs) that the two overlap
    argv = tiny_argv(out, replications=3, steps=60)
    ended = sorted(start_together(argv, tmp_path), key=lambda e: e[1])
    (winner, ok, _), (_, refused, err) = ended
    assert (ok, refused) == (EXIT_OK, EXIT_INVALID), ended
    lines = err.strip().splitlines()
    assert len(lines) == 1 and f"in use by pid {winner} " in lines[0], err
    (folder,) = folders(out)
    assert str(folder) in lines[0]
    assert json.loads((folder / "manifest.json").read_text())["status"] == "complete"
    assert hidden(out) == []
    clean = tmp_path / "clean"
    assert main(tiny_argv(clean, replications=3, steps=60)) == EXIT_OK
    pd.testing.assert_frame_equal(summary(folder), summary(folders(clean)[0]))


def test_two_identical_commands_with_wait_leave_one_folder(tmp_path):
    out = tmp_path / "out"
    argv = tiny_argv(out, "--wait", replications=3, steps=60)
    ended = start_together(argv, tmp_path)
    assert [e[1] for e in ended] == [EXIT_OK, EXIT_OK], ended
    assert sum("waiting for" in e[2] for e in ended) == 1, ended
    (folder,) = folders(out)
    assert json.loads((folder / "manifest.json").read_text())["status"] == "complete"
    assert hidden(out) == []


# ---------------------------------------------------------------------------------------------
# (e) --resume refuses a folder holding another scenario, unless --force


def test_resume_with_another_scenario_exits_2_naming_the_first_difference(copy, capsys):
    decay = yaml.safe_load((copy / "scenario.yaml").read_text())["ties"]["decay"]
    before = snapshot(copy)
    assert main(quiet_resume(copy, "--set", "ties.decay=0.0234")) == EXIT_INVALID
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert f"ties.decay: folder has {decay}, command has 0.0234" in err[0]
    assert str(copy) in err[0] and "--force" in err[0]
    assert snapshot(copy) == before

    out = copy.parent.parent
    assert main([*tiny_argv(out, steps=6), "--resume", str(copy)]) == EXIT_INVALID
    assert "steps: folder has 5, command has 6" in capsys.readouterr().err
    assert main([*tiny_argv(out, replications=2), "--resume", str(copy)]) == EXIT_INVALID
    assert "replications: folder has 3, command has 2" in capsys.readouterr().err
    assert snapshot(copy) == before


def test_resume_with_more_replications_or_the_folders_own_scenario_proceeds(copy):
    assert main(quiet_resume(copy)) == EXIT_OK
    out = copy.parent.parent
    assert main([*tiny_argv(out, replications=4), "--resume", str(copy)]) == EXIT_OK
    assert len(summary(copy)) == 4


def test_force_resumes_a_folder_holding_another_scenario(copy):
    assert main(quiet_resume(copy, "--set", "ties.decay=0.0234", "--force")) == EXIT_OK
    saved = yaml.safe_load((copy / "scenario.yaml").read_text())
    assert saved["ties"]["decay"] == 0.0234
    manifest = json.loads((copy / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert main(quiet_resume(copy, "--set", "ties.decay=0.0234")) == EXIT_OK  # now it matches


# ---------------------------------------------------------------------------------------------
# (f) (g) damaged run files: moved to runs/damaged/, reported, redone


def run_files(folder: Path) -> list[Path]:
    return sorted((folder / "runs").glob("*.parquet"))


def test_a_truncated_run_file_is_moved_aside_reported_and_redone(complete, copy, capsys):
    victim = run_files(copy)[1]
    whole = victim.read_bytes()
    victim.write_bytes(whole[: len(whole) // 2])
    set_status(copy, "running")  # as a power loss mid-run leaves it
    assert main(tiny_argv(copy.parent.parent)) == EXIT_OK  # the same command resumes it
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"damaged run file {victim} ("), err
    assert f"moved to {copy / 'runs' / 'damaged' / victim.name}" in err[0]
    assert (copy / "runs" / "damaged" / victim.name).read_bytes() == whole[: len(whole) // 2]
    assert victim.read_bytes() == whole  # redone, byte for byte
    manifest = json.loads((copy / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert [d["key"] for d in manifest["damaged_runs"]] == [victim.stem]
    assert manifest["damaged_runs"][0]["moved_to"] == f"runs/damaged/{victim.name}"
    pd.testing.assert_frame_equal(summary(copy), summary(complete))
    pd.testing.assert_frame_equal(
        pd.read_parquet(copy / "timeseries.parquet"),
        pd.read_parquet(complete / "timeseries.parquet"),
    )


def test_a_damaged_page_is_found_when_the_runs_are_read_and_redone(complete, copy, capsys):
    victim = run_files(copy)[0]
    data = bytearray(victim.read_bytes())
    chunk = pq.ParquetFile(victim).metadata.row_group(0).column(3)  # a metric column
    data[chunk.data_page_offset + chunk.total_compressed_size - 8] ^= 0xFF
    victim.write_bytes(bytes(data))
    pq.read_metadata(victim)  # the footer is fine: only reading the pages finds it
    with pytest.raises(OSError):
        pd.read_parquet(victim, page_checksum_verification=True)
    assert main(quiet_resume(copy)) == EXIT_OK
    err = capsys.readouterr().err
    assert f"damaged run file {victim} (" in err
    assert (copy / "runs" / "damaged" / victim.name).read_bytes() == bytes(data)
    pd.testing.assert_frame_equal(summary(copy), summary(complete))


def test_a_run_file_whose_key_is_not_its_name_is_damaged(complete, copy):
    first, second = run_files(copy)[:2]
    second.write_bytes(first.read_bytes())  # a whole file, under another run's name
    res = api.run_scenario(None, resume=copy, figures=False)
    (record,) = res.manifest["damaged_runs"]
    assert record["key"] == second.stem
    assert record["problem"] == f"its sim.key is {first.stem}, not {second.stem}"
    assert (copy / record["moved_to"]).read_bytes() == first.read_bytes()
    pd.testing.assert_frame_equal(
        res.summary.sort_values("replication").reset_index(drop=True), summary(complete)
    )


def test_run_files_without_metadata_from_earlier_versions_are_still_used(
    complete, copy, monkeypatch
):
    for path in run_files(copy):
        pd.read_parquet(path).to_parquet(path, index=False)  # as earlier versions wrote them
        assert b"sim.key" not in (pq.read_metadata(path).metadata or {})
    calls = []
    monkeypatch.setattr(sim.experiment.jobs, "run_replication", lambda *a, **k: calls.append(a))
    res = api.run_scenario(None, resume=copy, figures=False)
    assert calls == []
    assert "damaged_runs" not in res.manifest
    pd.testing.assert_frame_equal(summary(copy), summary(complete))


def test_run_files_carry_their_key_and_row_count(complete):
    for path in run_files(complete):
        meta = pq.read_metadata(path)
        assert meta.metadata[b"sim.key"] == path.stem.encode()
        assert meta.metadata[b"sim.rows"] == str(meta.num_rows).encode() == b"6"


def test_the_difference_of_a_comparison_folder_names_the_scenario_and_field(tmp_path):
    from sim.experiment.spec import compare_spec, folder_difference

    files = [ROOT / "scenarios" / "closed_community.yaml", WEAK_TIES]
    saved = compare_spec(files)
    folder = tmp_path / "compare"
    for name, text in saved.files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    manifest = {"kind": "compare", "fingerprint": saved.fingerprint, "status": "complete"}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert folder_difference(saved, folder) is None
    changed = compare_spec(files, ["ties.decay=0.0234"])
    assert folder_difference(changed, folder) == (
        "scenarios/closed_community.yaml: ties.decay: folder has "
        f"{saved.points[0].scenario.ties.decay}, command has 0.0234"
    )
    more = compare_spec(files, [f"replications={saved.replications + 5}"])
    assert folder_difference(more, folder) is None
    fewer = compare_spec(files, ["replications=1"])
    assert folder_difference(fewer, folder) == (
        f"scenarios/closed_community.yaml: replications: folder has {saved.replications}, "
        "command has 1"
    )
