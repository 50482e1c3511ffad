"""A restricted unpickler for benchmark files downloaded from the internet.

NAS-Bench-201 and NATS-Bench ship their results as pickles. ``pickle.load`` on such a file can run any
code its author chose, so this module resolves only the globals those formats need, from a fixed
table, and refuses every other one *before* anything is imported or called:

- ``collections.OrderedDict`` (the containers of ArchResults / ResultsCount state);
- numpy scalar and array reconstruction (``numpy.core.multiarray.scalar``, ``numpy.dtype``,
  ``numpy.core.multiarray._reconstruct``, ``numpy.ndarray``), also under numpy 2's ``numpy._core``
  names; object dtypes are refused, since they would let a pickle smuggle arbitrary objects into arrays;
- ``_codecs.encode`` restricted to latin-1 text, which protocol-2 pickles use to carry ``bytes``;
- the plain builtin containers ``set``, ``frozenset``, ``complex`` and ``slice``.

A refused global raises :class:`UnsafePickleError` naming it. Torch ``.pth`` files are read with
``torch.load(..., weights_only=True)`` instead (see :mod:`nasbench_lab.benchmark.importers`), whose own
restricted unpickler covers tensors; :func:`numpy_safe_globals` lists the numpy globals it must also
allow.
"""

from __future__ import annotations

import bz2
import codecs
import collections
import io
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from nasbench_lab.errors import NasbenchLabError


class UnsafePickleError(NasbenchLabError):
    """A pickle names a global outside the allowed table, or is not a readable pickle at all."""


def _checked_dtype(obj: Any, align: bool = False, copy: bool = False) -> np.dtype:
    """``numpy.dtype`` as pickles call it, refusing object dtypes."""
    dtype = np.dtype(obj, align=align, copy=copy)
    if dtype.hasobject:
        raise UnsafePickleError(f"refused numpy dtype {dtype!r}: object arrays can hold arbitrary objects")
    return dtype


def _checked_scalar(dtype: np.dtype, data: bytes | None = None) -> Any:
    """``numpy.core.multiarray.scalar`` for plain (non-object) dtypes."""
    if not isinstance(dtype, np.dtype) or dtype.hasobject or not isinstance(data, bytes):
        raise UnsafePickleError(f"refused numpy scalar of dtype {dtype!r}: only plain numeric scalars allowed")
    return np.frombuffer(data, dtype=dtype, count=1)[0]


def _checked_reconstruct(subtype: Any, shape: Any, dtype: Any) -> np.ndarray:
    """``numpy.core.multiarray._reconstruct`` for plain ndarrays only."""
    if subtype is not np.ndarray:
        raise UnsafePickleError(f"refused array subtype {subtype!r}: only numpy.ndarray allowed")
    return np.ndarray.__new__(np.ndarray, shape, _checked_dtype(dtype))


def _checked_encode(text: str, encoding: str = "utf-8") -> bytes:
    """``_codecs.encode`` as protocol-2 pickles use it: ``str`` to ``bytes`` through latin-1 only."""
    if not isinstance(text, str) or codecs.lookup(encoding).name != "iso8859-1":
        raise UnsafePickleError(f"refused _codecs.encode with encoding {encoding!r}: only latin-1 allowed")
    return text.encode("latin-1")


def _numpy_table() -> dict[tuple[str, str], Callable[..., Any]]:
    table: dict[tuple[str, str], Callable[..., Any]] = {("numpy", "dtype"): _checked_dtype,
                                                        ("numpy", "ndarray"): np.ndarray}
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        table[(module, "scalar")] = _checked_scalar
        table[(module, "_reconstruct")] = _checked_reconstruct
    return table


# (module, name) -> the object the unpickler hands back. Nothing outside this table is ever imported.
ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("_codecs", "encode"): _checked_encode,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "complex"): complex,
    ("builtins", "slice"): slice,
    **_numpy_table(),
}


# Protocol 0-2 pickles name builtins by their Python 2 module.
_PY2_MODULES = {"__builtin__": "builtins"}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only :data:`ALLOWED_GLOBALS` and refuses persistent ids."""

    def find_class(self, module: str, name: str) -> Any:
        """Return the allowed object for ``module.name``; raise :class:`UnsafePickleError` otherwise."""
        try:
            return ALLOWED_GLOBALS[(_PY2_MODULES.get(module, module), name)]
        except KeyError:
            raise UnsafePickleError(
                f"refused to load global {module}.{name}: the file is not a plain NB201/NATS-Bench "
                "results pickle (only OrderedDict and numpy scalars/arrays are allowed); do not trust it"
            ) from None

    def persistent_load(self, pid: Any) -> Any:
        """Persistent ids (external object references) are never part of the supported formats."""
        raise UnsafePickleError(f"refused persistent id {pid!r}: not a plain results pickle")


def loads(data: bytes, *, source: str = "<bytes>") -> Any:
    """Unpickle ``data`` with :class:`RestrictedUnpickler`.

    Args:
        data: the pickle bytes.
        source: what to call the data in error messages (usually a file path).

    Returns:
        The unpickled object.

    Raises:
        UnsafePickleError: a refused global, or data that is not a valid pickle.
    """
    try:
        return RestrictedUnpickler(io.BytesIO(data)).load()
    except UnsafePickleError as exc:
        raise UnsafePickleError(f"{source}: {exc}") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError,
            AttributeError, UnicodeDecodeError, MemoryError, OverflowError) as exc:
        raise UnsafePickleError(
            f"{source}: not a readable pickle ({type(exc).__name__}: {exc}); the file is corrupt or of "
            "another format"
        ) from None


# Decompression caps. A real NATS-Bench topology arch file (both protocols, 3 datasets, all seeds)
# decompresses to about 0.33 MB and the meta file (15,625 arch strings) to 1.4 MB, at ratios of 4 and 39.
# A bz2 "bomb" of 1 KB expands to gigabytes, so output is capped both absolutely and relative to the input.
MAX_RECORD_BYTES = 16 * 2**20  # per-arch record or meta file: ~50x the largest real one
MAX_RATIO = 1000  # decompressed / compressed bytes, ~25x the highest real ratio ...
MIN_CAP_BYTES = 2**20  # ... but a small file may always expand to 1 MiB
_CHUNK = 2**20


def decompression_cap(compressed_bytes: int, max_bytes: int = MAX_RECORD_BYTES) -> int:
    """How many bytes ``compressed_bytes`` of bz2 data may expand to: ``min(max_bytes, max(1 MiB, 1000x))``."""
    return min(int(max_bytes), max(MIN_CAP_BYTES, MAX_RATIO * int(compressed_bytes)))


def bunzip_capped(raw: bytes, limit: int, source: str) -> bytes:
    """Stream-decompress (possibly multi-stream) bz2 ``raw``, refusing to produce more than ``limit`` bytes.

    Raises:
        UnsafePickleError: not bz2 data, truncated, or more than ``limit`` bytes of output.
    """
    out = bytearray()
    pending = raw
    try:
        while pending:
            decomp = bz2.BZ2Decompressor()
            while not decomp.eof:
                if decomp.needs_input and not pending:
                    raise EOFError("compressed data ends before the end-of-stream marker")
                out += decomp.decompress(pending, max_length=min(_CHUNK, limit + 1 - len(out)))
                pending = b""
                if len(out) > limit:
                    raise UnsafePickleError(
                        f"{source}: decompresses to more than {limit:,} bytes (from {len(raw):,}); a real "
                        "NB201/NATS-Bench record is far smaller, so this is not one: do not trust the file"
                    )
            pending = decomp.unused_data
    except (OSError, EOFError, ValueError) as exc:
        raise UnsafePickleError(
            f"{source}: not valid bz2 data ({exc}); the file is corrupt or truncated: download it again"
        ) from None
    return bytes(out)


def load_pbz2(path: str | Path, max_bytes: int = MAX_RECORD_BYTES) -> Any:
    """Read a bz2-compressed pickle (NATS-Bench ``*.pickle.pbz2``) with the restricted unpickler.

    Args:
        path: the ``.pickle.pbz2`` file.
        max_bytes: the most its pickle may decompress to (default: a per-arch record's cap); the cap
            is also at most 1000 times the compressed size (at least 1 MiB), see :func:`decompression_cap`.

    Returns:
        The unpickled object.

    Raises:
        UnsafePickleError: the file is not bz2 data, is truncated, expands beyond the cap, or holds a
            refused global.
        FileNotFoundError: the file does not exist.
    """
    path = Path(path)
    raw = path.read_bytes()
    data = bunzip_capped(raw, decompression_cap(len(raw), max_bytes), str(path))
    return loads(data, source=str(path))


def numpy_safe_globals() -> list[Any]:
    """The numpy globals NB201 ``.pth`` files need, for ``torch.serialization.safe_globals``.

    Returns:
        Entries for torch's weights-only unpickler: the checked wrappers above as ``(function,
        "module.name")`` pairs under the names pickles use, and the plain numeric dtype classes (torch
        applies a pickled dtype's state only to allowed types).
    """
    wrappers = [(func, f"{module}.{name}") for (module, name), func in ALLOWED_GLOBALS.items()
                if module.startswith("numpy") and name != "ndarray"]
    return wrappers + [type(np.dtype(code)) for code in "?bhilqBHILQefdFD"]
