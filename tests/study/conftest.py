"""Fixtures of the study tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from nasbench_lab.search.base import STRATEGIES
from study.study_fakes import Knobs, ProxyUser, Scripted


@pytest.fixture
def bench_path(synthetic_bench_path: Path) -> Path:
    """The session's synthetic benchmark (digits, seeds 777 and 888, 12 columns, proxies); read only."""
    return synthetic_bench_path



@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the test strategies for one test only (the global registry is restored afterwards)."""
    for name, cls in (("t_scripted", Scripted), ("t_knobs", Knobs), ("t_proxy", ProxyUser)):
        monkeypatch.setitem(STRATEGIES._items, name, cls)
        monkeypatch.setattr(cls, "registry_name", name, raising=False)

