"""Exclusive results folders: an operating-system lock held for the whole of a run.

A run holds ``<folder>/.lock`` with ``flock(LOCK_EX)``; the file says who holds it (pid,
host, since when). The operating system drops the lock when its holder exits, however it
exits (even ``kill -9``), so a lock file left behind by a dead process does not block: the
next run takes it over. The holder removes the file when it lets go. The name is hidden, so
listings of the folder's files (`sim.experiment.storage.iter_files`) never show it.

A second process asking for a held folder gets `FolderBusy` (one line naming the folder and
the holder's pid), or, if it asked to wait, waits until the holder lets go.

POSIX only (``fcntl``). On a network file system the lock is as good as the file system's
``flock``: NFS v4 emulates it with byte-range locks, which work between machines.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from sim.scenario import ScenarioError

LOCK_NAME = ".lock"
"""The lock file inside a locked folder."""


class FolderBusy(ScenarioError):
    """Another process holds the folder's lock (exit status 2 on the command line)."""

    def __init__(self, folder: Path, holder: str) -> None:
        super().__init__(
            [f"{folder}: in use by {holder}; wait for it to finish, or rerun with --wait"]
        )
        self.folder = Path(folder)
        self.holder = holder


class FolderLock:
    """The lock of one folder (see the module docstring).

    Args:
        folder: the folder to lock; it must exist.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; False if another process (or object) holds it."""
        return self._acquire(blocking=False)

    def acquire(self, wait: bool = False, notify: Callable[[str], None] | None = None) -> None:
        """Take the lock, or wait for it with `wait`.

        Args:
            wait: wait until the holder lets go, instead of raising.
            notify: called with one line before waiting.

        Raises:
            FolderBusy: if another process holds the lock and `wait` is false.
        """
        if self._acquire(blocking=False):
            return
        if not wait:
            raise FolderBusy(self.folder, self.holder())
        if notify is not None:
            notify(f"waiting for {self.folder}: in use by {self.holder()}")
        self._acquire(blocking=True)

    def _acquire(self, blocking: bool) -> bool:
        if self._fd is not None:
            raise RuntimeError(f"{self.path}: already held by this object")
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                os.close(fd)
                return False
            except BaseException:
                os.close(fd)
                raise
            # The holder we waited for removes the file as it lets go: a lock on a removed
            # file locks nothing, so check it is still the file under the name.
            if _same_file(fd, self.path):
                self._fd = fd
                self._write_holder()
                return True
            os.close(fd)

    def _write_holder(self) -> None:
        assert self._fd is not None
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, (json.dumps(info) + "\n").encode("utf-8"), 0)

    def release(self) -> None:
        """Let go of the lock and remove the lock file (nothing if not held)."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            if _same_file(self._fd, self.path):
                self.path.unlink()
        os.close(self._fd)  # closing the last descriptor drops the flock
        self._fd = None

    def holder(self) -> str:
        """Who holds the lock, as read from the lock file, e.g. ``pid 1234 on host``."""
        text = ""
        for _ in range(20):  # the holder writes its pid just after taking the lock
            with contextlib.suppress(OSError):
                text = self.path.read_text(encoding="utf-8")
            if text.strip():
                break
            time.sleep(0.025)
        try:
            info = json.loads(text)
            return f"pid {info['pid']} on {info['host']} (since {info['since']})"
        except (ValueError, KeyError, TypeError):
            return "another process (pid unknown)"

    def __enter__(self) -> FolderLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _same_file(fd: int, path: Path) -> bool:
    """Whether the open file `fd` is the file now at `path`."""
    try:
        a, b = os.fstat(fd), os.stat(path)
    except FileNotFoundError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


@contextlib.contextmanager
def locked(
    folder: str | Path, wait: bool = False, notify: Callable[[str], None] | None = None
) -> Iterator[FolderLock]:
    """Hold a folder's lock for the ``with`` block (see `FolderLock.acquire`)."""
    lock = FolderLock(folder)
    lock.acquire(wait, notify)
    try:
        yield lock
    finally:
        lock.release()
