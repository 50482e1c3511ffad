"""Read pickled image batches (CIFAR python batches, NB201's ImageNet16) without trusting them.

Those files are Python pickles: a dict of a ``uint8`` data array and a label list. Plain
``pickle.load`` would run whatever code a tampered file names, so :func:`load_batch` uses an unpickler
that resolves only the few numpy globals an array needs and refuses everything else.
"""

from __future__ import annotations

import codecs
import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from nasbench_lab.errors import NasbenchLabError

try:  # numpy >= 2 renamed numpy.core to numpy._core; old pickles name either
    from numpy._core import multiarray as _multiarray
    from numpy._core import numeric as _numeric
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core import multiarray as _multiarray  # type: ignore[no-redef]
    from numpy.core import numeric as _numeric  # type: ignore[no-redef]

# (module, name) pairs a pickled numpy array may reference.
_ALLOWED: dict[tuple[str, str], Any] = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype}
for _module in ("numpy.core.multiarray", "numpy._core.multiarray"):
    _ALLOWED[(_module, "_reconstruct")] = _multiarray._reconstruct
    _ALLOWED[(_module, "scalar")] = _multiarray.scalar
for _module in ("numpy.core.numeric", "numpy._core.numeric"):  # protocol 5 arrays
    _ALLOWED[(_module, "_frombuffer")] = _numeric._frombuffer  # type: ignore[attr-defined]  # private: not in numpy's stubs
# Protocol-2 pickles written by Python 3 store bytes as codecs.encode(text, "latin1"): pure, harmless.
_ALLOWED[("_codecs", "encode")] = codecs.encode


class UnsafeBatchError(NasbenchLabError):
    """A batch file references code other than numpy's array reconstruction, or is corrupt."""


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing to load global {module}.{name}") from None


def _text(key: Any) -> Any:
    return key.decode("latin1") if isinstance(key, bytes) else key


def load_batch(path: Path | str) -> dict[str, Any]:
    """Load one pickled batch file into a dict with ``str`` keys.

    Args:
        path: the batch file (CIFAR ``data_batch_1``, ``test``; ImageNet16 ``train_data_batch_1``...).

    Returns:
        The batch dict (keys decoded from bytes when the file was written by Python 2).

    Raises:
        UnsafeBatchError: the file asks for anything but numpy arrays and plain containers, or is not
            a pickle of a dict.
    """
    data = Path(path).read_bytes()
    try:
        obj = _RestrictedUnpickler(io.BytesIO(data), encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as exc:
        raise UnsafeBatchError(
            f"{path}: not a plain image batch ({exc}); delete it and fetch the dataset again"
        ) from None
    if not isinstance(obj, dict):
        raise UnsafeBatchError(f"{path}: expected a dict batch, found {type(obj).__name__}")
    return {_text(k): v for k, v in obj.items()}


def batch_arrays(path: Path | str, label_key: str) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(n, 3, H, W)`` uint8 and labels ``(n,)`` int64 of one square RGB batch file.

    Args:
        path: the batch file.
        label_key: ``"labels"`` (CIFAR-10, ImageNet16) or ``"fine_labels"`` (CIFAR-100).

    Raises:
        UnsafeBatchError: unreadable file, or the keys or shapes are not an image batch.
    """
    batch = load_batch(path)
    if "data" not in batch or label_key not in batch:
        raise UnsafeBatchError(f"{path}: batch lacks 'data' or {label_key!r}; keys: {sorted(map(str, batch))}")
    data = np.asarray(batch["data"], dtype=np.uint8)
    labels = np.asarray(batch[label_key], dtype=np.int64)
    side = int(round((data.shape[-1] / 3) ** 0.5)) if data.ndim == 2 else 0
    if data.ndim != 2 or 3 * side * side != data.shape[1] or len(labels) != len(data):
        raise UnsafeBatchError(f"{path}: data of shape {data.shape} with {len(labels)} labels is not an RGB batch")
    return data.reshape(-1, 3, side, side), labels
