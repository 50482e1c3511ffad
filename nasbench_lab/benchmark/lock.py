"""An exclusive, non-blocking lock file that keeps two writers off one benchmark file.

Every command that changes a benchmark file in place of its previous version (``fill``, every kind of
``import``, ``proxies compute``) holds ``BENCH.lock`` for its whole read-modify-write: a writer works on
a copy that it renames over the file (see :mod:`.atomic`), so without the lock the last writer to
finish would silently drop what another wrote meanwhile.

The lock is an ``flock`` on ``BENCH.lock`` held for the whole run. The kernel drops it when the holding
process dies (even by SIGKILL), so a crashed fill never leaves a stale lock behind; the pid written
into the file is only there to make the error message useful.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from nasbench_lab.errors import NasbenchLabError


class BenchmarkLockedError(NasbenchLabError):
    """Another writer (a fill, an import, a proxy computation) holds the lock of the benchmark file."""


def lock_path(bench_path: str | os.PathLike[str]) -> Path:
    """The lock file of a benchmark file (``BENCH.lock`` beside ``BENCH``)."""
    path = Path(bench_path)
    return path.with_name(path.name + ".lock")


class FileLock:
    """Context manager holding an exclusive ``flock`` on ``path`` (created if absent).

    Args:
        path: the lock file.
        what: what the lock protects, for the error message.

    Raises:
        BenchmarkLockedError: on entry, when another process already holds the lock.
    """

    def __init__(self, path: str | os.PathLike[str], what: str = "") -> None:
        self.path = Path(path)
        self.what = what or str(self.path)
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`BenchmarkLockedError` at once (never waits)."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise BenchmarkLockedError(
                f"{self.what} is being written by another process (a fill, import or proxy computation: "
                f"pid {holder} holds {self.path}); wait for it to finish or stop it, then run this command again"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Drop the lock (the file stays; it is harmless and reused)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock now."""
        return self._fd is not None

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
