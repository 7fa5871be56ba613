"""Where numba keeps the compiled kernels, and whether they still have to be compiled.

The simulator's kernels are ``@numba.njit(cache=True)`` functions: the first run compiles
them (tens of seconds) and writes them to numba's disk cache, later runs load them (a few ms
each). This module is imported first by `sim` (before numba), so that it can choose the
cache directory while numba's choice is still open (numba picks a function's cache place
when the function is decorated, reading ``NUMBA_CACHE_DIR`` from the environment):

1. ``LEARNING_TIES_CACHE_DIR``, if set: this project's own override;
2. else ``NUMBA_CACHE_DIR``, if set: the user's choice for every numba program;
3. else, if the package's folders are writable: numba's default, a ``__pycache__`` beside
   each module;
4. else (e.g. a read-only system install): a user cache directory,
   ``$XDG_CACHE_HOME/learning-ties/numba`` or ``~/.cache/learning-ties/numba``.

The chosen directory is put into ``NUMBA_CACHE_DIR`` of this process's environment, so pool
workers (which inherit it) read and write the same cache. Only the standard library is
imported here.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import sys
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from typing import TextIO

OVERRIDE = "LEARNING_TIES_CACHE_DIR"
"""Environment variable: the kernel cache directory of this project (wins over the others)."""

NUMBA_VARIABLE = "NUMBA_CACHE_DIR"
"""numba's own environment variable for its cache directory."""

PACKAGE_DIR = Path(os.path.abspath(os.path.dirname(__file__)))
"""The `sim` package folder (absolute, not resolved: numba names cache folders after the
module's path as Python reports it)."""

COLD_MESSAGE = (
    "compiling the simulator's kernels, once (up to a minute; later runs load them from {where})"
)
"""The line printed to stderr before a run on a cold cache."""

_KERNEL = re.compile(r"^\s*@numba\.njit\([^)]*cache\s*=\s*True", re.MULTILINE)


def _writable(path: Path) -> bool:
    """Whether numba could keep a module's cache in ``path/__pycache__`` (create or write)."""
    cache = path / "__pycache__"
    if cache.is_dir():
        return os.access(cache, os.W_OK | os.X_OK)
    return not cache.exists() and os.access(path, os.W_OK | os.X_OK)


def _package_dirs(package_dir: Path) -> list[Path]:
    """The package folder and its subpackage folders (where kernel modules may live)."""
    subs = [
        p
        for p in sorted(package_dir.iterdir())
        if p.is_dir() and not p.name.startswith(("_", ".")) and any(p.glob("*.py"))
    ]
    return [package_dir, *subs]


def user_cache_dir(environ: Mapping[str, str]) -> Path:
    """``$XDG_CACHE_HOME/learning-ties/numba``, else ``~/.cache/learning-ties/numba``."""
    base = environ.get("XDG_CACHE_HOME") or os.path.join(
        environ.get("HOME") or os.path.expanduser("~"), ".cache"
    )
    return Path(base) / "learning-ties" / "numba"


def choose_cache_dir(
    environ: Mapping[str, str],
    package_dir: Path = PACKAGE_DIR,
    writable: Callable[[Path], bool] = _writable,
) -> Path | None:
    """The kernel cache directory to use, or None for numba's default beside each module.

    Args:
        environ: the environment (``os.environ``).
        package_dir: the `sim` package folder.
        writable: whether numba could write a folder's ``__pycache__`` (for tests).

    Returns:
        ``LEARNING_TIES_CACHE_DIR`` if set, else ``NUMBA_CACHE_DIR`` if set, else None when
        every folder of the package is writable, else `user_cache_dir`.
    """
    for name in (OVERRIDE, NUMBA_VARIABLE):
        if environ.get(name):
            return Path(environ[name]).expanduser()
    if all(writable(d) for d in _package_dirs(package_dir)):
        return None
    return user_cache_dir(environ)


def configure(environ: MutableMapping[str, str] | None = None) -> Path | None:
    """Choose the cache directory (`choose_cache_dir`) and tell numba about it.

    Sets ``NUMBA_CACHE_DIR`` in `environ` (default: this process's environment, which child
    processes inherit), and numba's live setting too if numba is imported already (kernels
    decorated after this call use it).

    Returns:
        The chosen directory, or None for numba's default.
    """
    environ = os.environ if environ is None else environ
    chosen = choose_cache_dir(environ)
    if chosen is not None:
        environ[NUMBA_VARIABLE] = str(chosen)
        config = sys.modules.get("numba.core.config")
        if config is not None and environ is os.environ:
            config.CACHE_DIR = str(chosen)
    return chosen


CACHE_DIR = configure()
"""The directory chosen when `sim` was imported (None: ``__pycache__`` beside each module)."""


# ---------------------------------------------------------------------------------------------
# Is the cache cold?


def kernel_sources(package_dir: Path = PACKAGE_DIR) -> list[Path]:
    """The package's modules holding at least one ``@numba.njit(cache=True)`` kernel."""
    return [
        p
        for p in sorted(package_dir.rglob("*.py"))
        if "__pycache__" not in p.parts and _KERNEL.search(p.read_text(encoding="utf-8"))
    ]


def module_cache_dir(source: Path, cache_dir: Path | None) -> Path:
    """Where numba keeps the kernels of one module (as numba's cache locators name it).

    Args:
        source: the module's file.
        cache_dir: the chosen cache directory, or None for ``__pycache__`` beside the module.
    """
    folder = os.path.dirname(os.path.abspath(source))
    if cache_dir is None:
        return Path(folder) / "__pycache__"
    digest = hashlib.sha1(folder.encode()).hexdigest()
    return Path(cache_dir) / f"{os.path.basename(folder)}_{digest}"


def _fresh(index: Path, source: Path, numba_version: str) -> bool:
    """Whether a numba index file is of this numba version and source text, with a kernel."""
    try:
        with open(index, "rb") as f:
            version = pickle.load(f)
            if version != numba_version:
                return False
            stamp, overloads = pickle.loads(f.read())
    except Exception:  # noqa: BLE001 - a damaged or foreign file is no compiled kernel
        return False
    text = source.read_bytes()
    st = source.stat()
    # numba >= 0.62 stamps the source's SHA-256, older numba its (mtime, size).
    current = (hashlib.sha256(text).digest(), (st.st_mtime, st.st_size))
    return stamp in current and bool(overloads)


def _numba_version() -> str:
    import numba  # already imported by sim's kernels whenever this is called

    return numba.__version__


def cache_is_cold(
    cache_dir: Path | None, package_dir: Path = PACKAGE_DIR, numba_version: str | None = None
) -> bool:
    """Whether the kernels will be compiled rather than loaded: a cheap heuristic.

    Cold when none of the package's kernel modules has a fresh index file in the cache: an
    ``<module>.<kernel>-<line>.pyXY.nbi`` written by this numba version for the module's
    current text, listing a compiled signature. So a fresh install, an emptied cache or a
    new numba version is cold; a cache where some modules changed since (a few kernels to
    recompile, seconds) is not. Kernels compiled for other argument types than a run needs
    are not looked at.

    Args:
        cache_dir: the cache directory, or None for ``__pycache__`` beside each module.
        package_dir: the package whose kernels are looked for.
        numba_version: the version whose index files count (default: the installed numba).
    """
    version = numba_version or _numba_version()
    tag = f".py{sys.version_info[0]}{sys.version_info[1]}{getattr(sys, 'abiflags', '')}.nbi"
    for source in kernel_sources(package_dir):
        folder = module_cache_dir(source, cache_dir)
        if not folder.is_dir():
            continue
        for index in folder.glob(f"{source.stem}.*{tag}"):
            if _fresh(index, source, version):
                return False
    return True


def is_cold() -> bool:
    """`cache_is_cold` of this package in the directory chosen at import (`CACHE_DIR`)."""
    return cache_is_cold(CACHE_DIR)


_announced: list[bool] = []
"""Non-empty once this process printed the cold-cache line."""


def announce_if_cold(stream: TextIO | None = None, cold: Callable[[], bool] | None = None) -> bool:
    """Print `COLD_MESSAGE` (one line, to stderr) if the cache is cold; once per process.

    Args:
        stream: where to print (default: ``sys.stderr``).
        cold: the test of coldness (default: `is_cold`).

    Returns:
        Whether the line was printed now.
    """
    if _announced or not (cold or is_cold)():
        return False
    _announced.append(True)
    where = CACHE_DIR if CACHE_DIR is not None else "__pycache__ beside the modules"
    print(COLD_MESSAGE.format(where=where), file=stream or sys.stderr, flush=True)
    return True
