"""Fixtures of the study tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from nasbench_lab.search.base import STRATEGIES
from study.study_fakes import Knobs, ProxyUser, Scripted, make_spec


@pytest.fixture
def bench_path(synthetic_bench_path: Path) -> Path:
    """The session's synthetic benchmark (digits, seeds 777 and 888, 12 columns, proxies); read only."""
    return synthetic_bench_path


@pytest.fixture(scope="session")
def finished_study(synthetic_bench_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished study folder (``make_spec``: random and REA x seeds 0, 1 x 12 queries); read only."""
    from nasbench_lab.study.runner import run_study

    out = tmp_path_factory.mktemp("finished") / "study"
    run_study(make_spec(synthetic_bench_path), out, progress=False)
    return out


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the test strategies for one test only (the global registry is restored afterwards)."""
    for name, cls in (("t_scripted", Scripted), ("t_knobs", Knobs), ("t_proxy", ProxyUser)):
        monkeypatch.setitem(STRATEGIES._items, name, cls)
        monkeypatch.setattr(cls, "registry_name", name, raising=False)

