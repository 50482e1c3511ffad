"""Tests for nasbench_lab/benchmark/safe_pickle.py: what it loads, and what it refuses without running."""

from __future__ import annotations

import bz2
import collections
import pickle
from pathlib import Path

import numpy as np
import pytest
from conftest import NB201_DIR, nb201_file
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench_lab.benchmark import safe_pickle
from nasbench_lab.benchmark.safe_pickle import UnsafePickleError, decompression_cap, load_pbz2, loads
from nasbench_lab.errors import NasbenchLabError

SAMPLE = NB201_DIR / "nats-tss-simple-sample"


def _results_like() -> dict:
    """A structure shaped like a NATS ResultsCount state (OrderedDicts, numpy scalars, tuples, sets)."""
    return {
        "train_times": collections.OrderedDict([(0, 12.5), (1, 12.5)]),
        "params": np.float64(0.802426),
        "latency": [np.float64(0.0161)],
        "count": np.int64(3),
        "half": np.float32(1.5),
        "all_results": {("cifar10-valid", 777): {"seed": "0777"}},
        "evaluated": {1, 2},
        "frozen": frozenset({3}),
        "blob": b"\x00\xffbytes",
        "curve": np.linspace(0.0, 1.0, 5),
    }


def _assert_same(a, b) -> None:
    assert type(a) is type(b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            _assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y)
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype
    else:
        assert a == b


@pytest.mark.parametrize("protocol", [2, 3, 4])
def test_loads_results_structures(protocol: int) -> None:
    obj = _results_like()
    _assert_same(loads(pickle.dumps(obj, protocol=protocol)), obj)


@settings(max_examples=40, deadline=None)
@given(st.recursive(
    st.one_of(st.floats(allow_nan=False), st.integers(-10**6, 10**6), st.text(max_size=8),
              st.floats(allow_nan=False).map(np.float64), st.integers(-1000, 1000).map(np.int64)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=4), inner, max_size=4).map(collections.OrderedDict)),
    max_leaves=20,
), st.sampled_from([2, 4]))
def test_round_trip_property(obj, protocol: int) -> None:
    _assert_same(loads(pickle.dumps(obj, protocol=protocol)), obj)


class _Evil:
    """Pickles as a call of ``func(*args)``."""

    def __init__(self, func, *args) -> None:
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def test_payload_is_live_with_plain_pickle(tmp_path: Path) -> None:
    """The os.system payload used below really runs under plain pickle, so the refusals mean something."""
    import os

    marker = tmp_path / "pwned"
    pickle.loads(pickle.dumps(_Evil(os.system, f"touch {marker}")))
    assert marker.exists()


@pytest.mark.parametrize("protocol", [0, 2, 4])
def test_refuses_os_system_without_running_it(tmp_path: Path, protocol: int) -> None:
    import os

    marker = tmp_path / "pwned"
    data = pickle.dumps(_Evil(os.system, f"touch {marker}"), protocol=protocol)
    with pytest.raises(UnsafePickleError, match=r"refused to load global (posix|os|nt)\.system"):
        loads(data)
    assert not marker.exists()


def test_refuses_hand_written_os_system_global(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    data = f"cos\nsystem\n(S'touch {marker}'\ntR.".encode()
    with pytest.raises(UnsafePickleError, match=r"os\.system"):
        loads(data)
    assert not marker.exists()


def test_refuses_eval_and_popen(tmp_path: Path) -> None:
    import subprocess

    marker = tmp_path / "pwned"
    evil_eval = pickle.dumps(_Evil(eval, f"open({str(marker)!r}, 'w').close()"))
    with pytest.raises(UnsafePickleError, match=r"builtins\.eval"):
        loads(evil_eval)
    evil_popen = pickle.dumps(_Evil(subprocess.Popen, ["touch", str(marker)]))
    with pytest.raises(UnsafePickleError, match=r"subprocess\.Popen"):
        loads(evil_popen)
    assert not marker.exists()


def test_refusal_is_a_user_error_naming_the_source() -> None:
    with pytest.raises(NasbenchLabError, match=r"^weights\.pickle: refused to load global builtins\.getattr"):
        loads(pickle.dumps(_Evil(getattr, 1, "real")), source="weights.pickle")


def test_refuses_object_arrays_and_object_scalars() -> None:
    with pytest.raises(UnsafePickleError, match="object"):
        loads(pickle.dumps(np.array([1, "a"], dtype=object), protocol=2))
    with pytest.raises(UnsafePickleError, match="object"):
        loads(pickle.dumps(np.dtype(object)))


def test_refuses_codecs_other_than_latin1() -> None:
    import codecs

    data = pickle.dumps(_Evil(codecs.encode, "x", "rot13"))
    with pytest.raises(UnsafePickleError, match="latin-1"):
        loads(data)
    assert loads(pickle.dumps(_Evil(codecs.encode, "\xff", "latin1"))) == b"\xff"


def test_refuses_persistent_ids() -> None:
    class Persisting(pickle.Pickler):
        def persistent_id(self, obj):
            return "storage" if obj == "x" else None

    import io

    buf = io.BytesIO()
    Persisting(buf, protocol=2).dump(["x"])
    with pytest.raises(UnsafePickleError, match="persistent id"):
        loads(buf.getvalue())


@pytest.mark.parametrize("data", [b"", b"\x80\x04not a pickle", pickle.dumps({"a": [1.0] * 50})[:-10]])
def test_garbage_is_a_clear_error(data: bytes) -> None:
    with pytest.raises(UnsafePickleError, match="not a readable pickle"):
        loads(data, source="x.pickle")


def test_load_pbz2_round_trip_and_corrupt_files(tmp_path: Path) -> None:
    good = tmp_path / "000001.pickle.pbz2"
    raw = bz2.compress(pickle.dumps(_results_like(), protocol=4))
    good.write_bytes(raw)
    _assert_same(load_pbz2(good), _results_like())
    corrupt = tmp_path / "corrupt.pickle.pbz2"
    corrupt.write_bytes(b"BZh9" + b"\x00" * 64)
    with pytest.raises(UnsafePickleError, match=r"corrupt\.pickle\.pbz2: not valid bz2 data"):
        load_pbz2(corrupt)
    truncated = tmp_path / "truncated.pickle.pbz2"
    truncated.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(UnsafePickleError, match="truncated"):
        load_pbz2(truncated)
    with pytest.raises(FileNotFoundError):
        load_pbz2(tmp_path / "absent.pickle.pbz2")


def test_numpy_safe_globals_lets_torch_read_numpy_scalars(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    path = tmp_path / "x.pth"
    obj = {"params": np.float64(0.5), "n": np.int64(2), "curve": collections.OrderedDict([(0, 1.0)])}
    torch.save(obj, path, pickle_protocol=2)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    with torch.serialization.safe_globals(safe_pickle.numpy_safe_globals()):
        _assert_same(torch.load(path, weights_only=True), obj)


def test_reads_the_real_nats_sample() -> None:
    nb201_file(SAMPLE.name)
    meta = load_pbz2(SAMPLE / "meta.pickle.pbz2")
    assert len(meta["meta_archs"]) == 15625
    record = load_pbz2(SAMPLE / "000011.pickle.pbz2")
    assert isinstance(record, collections.OrderedDict) and list(record) == ["12", "200"]
    assert isinstance(record["200"]["all_results"][("cifar10", 777)]["params"], np.float64)


def test_numpy_1_module_names_resolve(tmp_path: Path) -> None:
    """Files written under numpy 1.x name ``numpy.core.multiarray``; both loaders must accept it."""
    data = pickle.dumps({"params": np.float64(1.5), "curve": np.arange(3.0)}, protocol=2)
    old = data.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    assert old != data
    _assert_same(loads(old), {"params": np.float64(1.5), "curve": np.arange(3.0)})
    torch = pytest.importorskip("torch")
    path = tmp_path / "legacy.pth"
    torch.save({"params": np.float64(1.5)}, path, pickle_protocol=2, _use_new_zipfile_serialization=False)
    raw = path.read_bytes()
    assert b"numpy._core.multiarray" in raw
    path.write_bytes(raw.replace(b"numpy._core.multiarray", b"numpy.core.multiarray"))
    with torch.serialization.safe_globals(safe_pickle.numpy_safe_globals()):
        assert torch.load(path, weights_only=True) == {"params": 1.5}


def test_decompression_is_capped_absolutely_and_by_ratio(tmp_path: Path) -> None:
    payload = pickle.dumps(b"\0" * 300_000, protocol=4)
    path = tmp_path / "zeros.pickle.pbz2"
    path.write_bytes(bz2.compress(payload))
    assert load_pbz2(path) == b"\0" * 300_000  # under the 1 MiB floor: read
    with pytest.raises(UnsafePickleError, match="decompresses to more than 100,000 bytes"):
        load_pbz2(path, max_bytes=100_000)
    assert decompression_cap(10) == 2**20  # the floor
    assert decompression_cap(50_000) == 16 * 2**20  # the absolute cap
    assert decompression_cap(5_000) == 5_000_000  # 1000x the input


def test_multi_stream_bz2_is_read_whole(tmp_path: Path) -> None:
    data = pickle.dumps(list(range(1000)), protocol=4)
    path = tmp_path / "multi.pickle.pbz2"
    path.write_bytes(bz2.compress(data[:100]) + bz2.compress(data[100:]))
    assert load_pbz2(path) == list(range(1000))
