"""Shared pytest fixtures: small synthetic benchmark files (made-up numbers, see benchmark/synthetic.py).

* ``synthetic_bench_path`` (session): a complete file, dataset ``digits``, recipe ``synthetic``, seeds
  777 and 888, 12 curve columns, every run filled, proxies ``syn_quality`` and ``syn_params``. Built once
  per test session: treat it as read-only (copy it, or use ``bench_path``, to write).
* ``partial_bench_path`` (session): the same with only half of the runs filled, for missing entries.
* ``bench_path``: a private, writable copy of ``synthetic_bench_path`` in ``tmp_path``.
* ``bench``: ``Benchmark.open(synthetic_bench_path)``, closed after the test.
* ``make_bench``: a function ``make_bench(name="bench.h5", **make_synthetic_kwargs) -> Path`` building a
  custom synthetic file in ``tmp_path``.

Real NB201 data (never committed) lives in ``../shared/nb201/`` beside the repository (see its
PROVENANCE.md), or where ``NASBENCH_LAB_NB201`` points. Tests reach it through one place:

* ``nb201_file(name) -> Path`` (a function: ``from conftest import nb201_file``, usable in module-scope
  fixtures): the file or folder ``name`` there, or a skip with the reason;
* ``nb201_dir`` (session fixture): the folder itself, or a skip.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nasbench_lab.benchmark.store import Benchmark
from nasbench_lab.benchmark.synthetic import make_synthetic

NB201_DIR = Path(os.environ.get("NASBENCH_LAB_NB201") or Path(__file__).resolve().parents[2] / "shared" / "nb201")


def nb201_file(name: str) -> Path:
    """The real NB201 file (or folder) ``name`` under :data:`NB201_DIR`; skips the calling test when absent."""
    path = NB201_DIR / name
    if not path.exists():
        pytest.skip(f"real NB201 data not found at {path} (../shared/nb201 beside the repository, or set "
                    "NASBENCH_LAB_NB201; see its PROVENANCE.md)")
    return path


@pytest.fixture(scope="session")
def nb201_dir() -> Path:
    """The real NB201 data folder; skips the test when it is absent."""
    return nb201_file(".")


@pytest.fixture(scope="session")
def synthetic_bench_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete small synthetic benchmark (read-only: shared by the whole session)."""
    return make_synthetic(tmp_path_factory.mktemp("synthetic") / "bench.h5", with_proxies=True)


@pytest.fixture(scope="session")
def partial_bench_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic benchmark with half of its runs unfilled (read-only)."""
    return make_synthetic(tmp_path_factory.mktemp("partial") / "bench.h5", fill_fraction=0.5, seed=1)


@pytest.fixture
def bench_path(synthetic_bench_path: Path, tmp_path: Path) -> Path:
    """A writable copy of ``synthetic_bench_path``."""
    return Path(shutil.copyfile(synthetic_bench_path, tmp_path / "bench.h5"))


@pytest.fixture
def bench(synthetic_bench_path: Path) -> Iterator[Benchmark]:
    """The session's synthetic benchmark, opened read-only."""
    with Benchmark.open(synthetic_bench_path) as opened:
        yield opened


@pytest.fixture
def make_bench(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``make_bench(name="bench.h5", **kwargs)`` writes a synthetic file in ``tmp_path``."""

    def build(name: str = "bench.h5", **kwargs: Any) -> Path:
        return make_synthetic(tmp_path / name, **kwargs)

    return build
