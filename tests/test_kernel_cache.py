"""The kernel cache (sim.kernel_cache): where numba keeps the compiled kernels, whether they
are there yet, the one-line notice on a cold cache, and the parent's warm-up before a pool
(sim.experiment.runners.warm_up_kernels)."""

import hashlib
import importlib.util
import io
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numba
import numba.core.caching
import numba.core.config

from sim import kernel_cache
from sim.experiment import runners
from sim.experiment.jobs import Job, execute, replication_seeds, run_key
from sim.experiment.runners import run_jobs, warm_up_kernels, warm_up_scenario
from sim.scenario import load_scenario
from sim.world.network import StartNetwork

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sim"
TAG = f".py{sys.version_info[0]}{sys.version_info[1]}{sys.abiflags}.nbi"

KERNEL_MODULE = """import numba


@numba.njit(cache=True)
def twice(x):
    return 2 * x
"""


# ------------------------------------------------------------------ choosing the directory


def test_the_project_override_wins_over_numba_s_variable_and_the_package_folder(tmp_path):
    env = {"LEARNING_TIES_CACHE_DIR": str(tmp_path / "ours"), "NUMBA_CACHE_DIR": "/elsewhere"}
    chosen = kernel_cache.choose_cache_dir(env, PACKAGE, writable=lambda p: True)
    assert chosen == tmp_path / "ours"


def test_a_users_numba_cache_dir_is_honoured(tmp_path):
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "numba"), "XDG_CACHE_HOME": str(tmp_path / "x")}
    assert kernel_cache.choose_cache_dir(env, PACKAGE, writable=lambda p: False) == (
        tmp_path / "numba"
    )


def test_a_writable_package_keeps_numba_s_default_beside_the_modules(tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    assert kernel_cache.choose_cache_dir(env, PACKAGE, writable=lambda p: True) is None


def test_a_read_only_package_falls_back_to_the_user_cache_dir(tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path / "home")}
    chosen = kernel_cache.choose_cache_dir(env, PACKAGE, writable=lambda p: False)
    assert chosen == tmp_path / "xdg" / "learning-ties" / "numba"
    env.pop("XDG_CACHE_HOME")
    chosen = kernel_cache.choose_cache_dir(env, PACKAGE, writable=lambda p: False)
    assert chosen == tmp_path / "home" / ".cache" / "learning-ties" / "numba"


def test_one_read_only_subpackage_folder_is_enough_to_fall_back(tmp_path):
    folders = {p.name for p in kernel_cache._package_dirs(PACKAGE)}
    assert {"sim", "analysis", "metrics", "rules", "world"} <= folders
    assert "__pycache__" not in folders
    for name in ("sim", "world"):
        chosen = kernel_cache.choose_cache_dir(
            {"HOME": str(tmp_path)}, PACKAGE, writable=lambda p, name=name: p.name != name
        )
        assert chosen == tmp_path / ".cache" / "learning-ties" / "numba"


def test_a_folder_is_writable_unless_its_pycache_cannot_be_made_or_written(tmp_path):
    assert kernel_cache._writable(tmp_path)  # __pycache__ can be created
    (tmp_path / "__pycache__").mkdir()
    assert kernel_cache._writable(tmp_path)
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "__pycache__").write_text("a file where the folder should be")
    assert not kernel_cache._writable(blocked)


def test_configure_puts_the_choice_into_the_environment_workers_inherit(tmp_path):
    env = {"LEARNING_TIES_CACHE_DIR": str(tmp_path)}
    assert kernel_cache.configure(env) == tmp_path
    assert env["NUMBA_CACHE_DIR"] == str(tmp_path)
    untouched = {"HOME": str(tmp_path)}
    if kernel_cache.choose_cache_dir(untouched) is None:  # a writable checkout
        assert kernel_cache.configure(untouched) is None
        assert "NUMBA_CACHE_DIR" not in untouched


def test_sim_sets_numba_s_cache_dir_before_its_kernels_are_decorated(tmp_path):
    code = (
        "import numba.core.config as c, sim.world.ties as t; "
        "print(c.CACHE_DIR); print(t._ends_of_index._cache._cache_path)"
    )
    env = {**os.environ, "LEARNING_TIES_CACHE_DIR": str(tmp_path)}
    env.pop("NUMBA_CACHE_DIR", None)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[0] == str(tmp_path)
    assert out[1] == str(kernel_cache.module_cache_dir(PACKAGE / "world" / "ties.py", tmp_path))


def test_module_cache_dirs_are_named_as_numba_names_them(tmp_path):
    source = PACKAGE / "rules" / "ordering.py"
    sub = numba.core.caching.UserProvidedCacheLocator.get_suitable_cache_subpath(str(source))
    assert kernel_cache.module_cache_dir(source, tmp_path) == tmp_path / sub
    assert kernel_cache.module_cache_dir(source, None) == source.parent / "__pycache__"


def test_the_kernel_modules_are_found_and_others_are_not():
    found = {p.relative_to(PACKAGE).as_posix() for p in kernel_cache.kernel_sources()}
    assert {"world/ties.py", "rules/ordering.py", "metrics/kernels.py"} <= found
    assert "cli.py" not in found and "kernel_cache.py" not in found


# ------------------------------------------------------------------------- cold or warm


def _package(tmp_path: Path, text: str = KERNEL_MODULE) -> Path:
    pkg = tmp_path / "pkg"
    pkg.mkdir(exist_ok=True)
    (pkg / "kern.py").write_text(text)
    (pkg / "plain.py").write_text("x = 1\n")
    return pkg


def _compile(pkg: Path, cache: Path, monkeypatch) -> None:
    """Import pkg/kern.py with numba caching into `cache`, and call its kernel once."""
    monkeypatch.setattr(numba.core.config, "CACHE_DIR", str(cache))
    spec = importlib.util.spec_from_file_location("kern_for_cache_test", pkg / "kern.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.twice(21) == 42


def test_a_cache_is_cold_until_numba_has_compiled_a_kernel_into_it(tmp_path, monkeypatch):
    pkg, cache = _package(tmp_path), tmp_path / "cache"
    assert kernel_cache.cache_is_cold(cache, pkg)
    _compile(pkg, cache, monkeypatch)
    assert list(kernel_cache.module_cache_dir(pkg / "kern.py", cache).glob(f"kern.*{TAG}"))
    assert not kernel_cache.cache_is_cold(cache, pkg)
    assert kernel_cache.cache_is_cold(cache, pkg, numba_version="0.0.0")  # another numba
    assert kernel_cache.cache_is_cold(tmp_path / "other", pkg)  # another cache
    (pkg / "kern.py").write_text(KERNEL_MODULE + "\n# edited\n")  # the source changed
    assert kernel_cache.cache_is_cold(cache, pkg)


def _write_index(folder: Path, name: str, version: str, stamp, overloads) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / name, "wb") as f:
        pickle.dump(version, f, protocol=-1)
        f.write(pickle.dumps((stamp, overloads)))


def test_only_a_fresh_index_listing_a_signature_makes_the_cache_warm(tmp_path):
    pkg, cache = _package(tmp_path), tmp_path / "cache"
    folder = kernel_cache.module_cache_dir(pkg / "kern.py", cache)
    digest = hashlib.sha256((pkg / "kern.py").read_bytes()).digest()
    name = f"kern.twice-4{TAG}"
    _write_index(folder, name, numba.__version__, digest, {})
    assert kernel_cache.cache_is_cold(cache, pkg)  # no compiled signature
    _write_index(folder, name, numba.__version__, b"another text", {("sig",): "x.nbc"})
    assert kernel_cache.cache_is_cold(cache, pkg)  # stale
    (folder / name).write_bytes(b"not a pickle")
    assert kernel_cache.cache_is_cold(cache, pkg)  # damaged
    _write_index(folder, f"plain.x-1{TAG}", numba.__version__, digest, {("sig",): "x.nbc"})
    assert kernel_cache.cache_is_cold(cache, pkg)  # not a kernel module's
    _write_index(folder, name, numba.__version__, digest, {("sig",): "x.nbc"})
    assert not kernel_cache.cache_is_cold(cache, pkg)


def test_the_cold_message_is_one_line_printed_once(monkeypatch):
    monkeypatch.setattr(kernel_cache, "_announced", [])
    out = io.StringIO()
    assert kernel_cache.announce_if_cold(out, cold=lambda: True)
    assert not kernel_cache.announce_if_cold(out, cold=lambda: True)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("compiling the simulator's kernels, once")


def test_no_message_on_a_warm_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(kernel_cache, "_announced", [])
    pkg, cache = _package(tmp_path), tmp_path / "cache"
    _compile(pkg, cache, monkeypatch)
    out = io.StringIO()
    assert not kernel_cache.announce_if_cold(out, lambda: kernel_cache.cache_is_cold(cache, pkg))
    assert out.getvalue() == ""
    assert kernel_cache.announce_if_cold(out, lambda: kernel_cache.cache_is_cold(None, pkg))
    assert out.getvalue().count("\n") == 1


# --------------------------------------------------------------------- warm-up before a pool


def _jobs(n: int, overrides: list[str]) -> list[Job]:
    sc = load_scenario(ROOT / "scenarios" / "weak_ties.yaml", overrides)
    return [Job(0, r, s, run_key(sc, s), sc) for r, s in enumerate(replication_seeds(7, n))]


def test_the_warm_up_runs_only_on_a_cold_cache_and_on_a_small_copy(monkeypatch):
    calls = []
    monkeypatch.setattr(runners, "run_replication", lambda sc, *a, **k: calls.append(sc))
    job = _jobs(1, ["steps=40"])[0]
    assert not warm_up_kernels(job, cold=lambda: False)
    assert calls == []
    assert warm_up_kernels(job, cold=lambda: True)
    (small,) = calls
    assert small.steps == runners.WARM_UP_STEPS
    assert small.population == job.scenario.population
    assert small.model_dump(exclude={"steps"}) == job.scenario.model_dump(exclude={"steps"})


def test_a_large_scenario_is_warmed_up_at_a_small_size_unless_its_network_is_fixed():
    sc = load_scenario(ROOT / "scenarios" / "closed_community.yaml", ["population.n_agents=50000"])
    small = warm_up_scenario(sc, None)
    assert small.population.n_agents == runners.WARM_UP_AGENTS
    assert small.steps == min(sc.steps, runners.WARM_UP_STEPS)
    network = StartNetwork.__new__(StartNetwork)  # any fixed network: not resized
    assert warm_up_scenario(sc, network) is None
    assert warm_up_scenario(sc.model_copy(update={"steps": 3}), None).steps == 3


def test_a_failing_warm_up_is_left_to_the_runs(monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(runners, "run_replication", fail)
    assert not warm_up_kernels(_jobs(1, ["steps=5"])[0], cold=lambda: True)


def test_a_warm_up_changes_no_run(monkeypatch):
    (job,) = _jobs(1, ["steps=15"])
    before = execute(job).timeseries
    assert warm_up_kernels(job, cold=lambda: True)
    assert execute(job).timeseries.equals(before)


def test_the_pool_warms_up_in_the_parent_before_its_workers_run(monkeypatch):
    jobs = _jobs(3, ["steps=8"])
    serial = {o.job.key: o.timeseries for o in run_jobs(jobs, workers=1)}
    warmed = []
    monkeypatch.setattr(runners, "warm_up_kernels", lambda job: warmed.append(job.key))
    pooled = {o.job.key: o.timeseries for o in run_jobs(jobs, workers=2)}
    assert warmed == [jobs[0].key]
    assert pooled.keys() == serial.keys()
    assert all(pooled[k].equals(serial[k]) for k in serial)


def test_the_cache_module_imports_only_the_standard_library():
    text = (PACKAGE / "kernel_cache.py").read_text()
    imports = [line for line in text.splitlines() if line.startswith(("import ", "from "))]
    modules = {line.split()[1].split(".")[0] for line in imports}
    assert modules <= set(sys.stdlib_module_names) | {"__future__"}, modules


class _FakeClient:
    def __init__(self, addresses):
        self.addresses = addresses

    def scheduler_info(self):
        return {"workers": {a: {} for a in self.addresses}}


def test_dask_workers_warm_up_from_the_parent_only_when_they_run_here():
    here = runners._workers_here
    assert here(_FakeClient(["tcp://127.0.0.1:4001", "tcp://localhost:4002"]))
    assert not here(_FakeClient(["tcp://127.0.0.1:4001", "tcp://10.255.255.1:4002"]))
    assert not here(_FakeClient([]))
