"""An HDF5 file replaced atomically: all writing goes to a temporary copy beside the target.

:class:`AtomicH5File` opens a copy of the target (or a new file) as ``<name>.<pid>-<token>.tmp.h5``
in the target's folder. :meth:`~AtomicH5File.commit` flushes and fsyncs the copy, renames it over the
target with :func:`os.replace` and fsyncs the folder, so after a crash the target is either the old
file or the new one, never a mix. :meth:`~AtomicH5File.abort` deletes the copy and leaves the target
untouched. :func:`remove_stale_copies` deletes copies left by killed processes (the pid in the name
tells them); the fill engine calls it before it starts.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

import h5py

from nasbench_lab.benchmark.errors import BenchmarkFormatError


class AtomicH5File:
    """One temporary working copy of ``path`` at a time.

    Args:
        path: the target file.
        overwrite: start from an empty file even if the target exists.
        cache_bytes: HDF5 chunk cache of the open copy.
    """

    def __init__(self, path: Path, *, overwrite: bool = False, cache_bytes: int = 1 << 20) -> None:
        self.path = path
        self.overwrite = overwrite
        self.cache_bytes = cache_bytes
        self.file: h5py.File | None = None
        self._tmp: Path | None = None

    def _copy_path(self) -> Path:
        return self.path.with_name(f"{self.path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp.h5")

    def open(self, *, fresh: Callable[[h5py.File], None], check: Callable[[h5py.File], None]) -> h5py.File:
        """Open the working copy: ``check`` runs on a copy of an existing target, ``fresh`` on a new file.

        Raises:
            BenchmarkFormatError: the existing target cannot be opened as HDF5 (truncated, not HDF5).
            Whatever ``check`` or ``fresh`` raise; the copy is deleted first.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self._copy_path()
        try:
            if self.path.exists() and not self.overwrite:
                shutil.copyfile(self.path, self._tmp)
                self.file = h5py.File(self._tmp, "a", rdcc_nbytes=self.cache_bytes)
                check(self.file)
            else:
                self.file = h5py.File(
                    self._tmp, "w", libver=("v110", "latest"), fs_strategy="fsm", fs_persist=True,
                    rdcc_nbytes=self.cache_bytes,
                )
                fresh(self.file)
        except BaseException as exc:
            self.abort()
            if isinstance(exc, OSError):
                raise BenchmarkFormatError(
                    f"cannot open {self.path} for writing ({exc}); it may be truncated or not a "
                    "benchmark file: restore it or write to a new path"
                ) from None
            raise
        return self.file

    def commit(self) -> None:
        """Flush, fsync and atomically move the working copy over the target (no-op when not open)."""
        if self.file is None or self._tmp is None:
            return
        self.file.flush()
        self.file.close()
        self.file = None
        with open(self._tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(self._tmp, self.path)
        self._tmp = None
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def abort(self) -> None:
        """Drop the working copy; the target stays as it was."""
        if self.file is not None:
            try:
                self.file.close()
            finally:
                self.file = None
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)
            self._tmp = None


def remove_stale_copies(path: Path) -> list[Path]:
    """Delete the working copies of ``path`` whose writer process is gone; returns what was deleted."""
    removed = []
    for tmp in path.parent.glob(f"{path.name}.*-*.tmp.h5"):
        pid = tmp.name[len(path.name) + 1 :].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True
