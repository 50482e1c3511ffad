"""Fixtures of the oneshot tests: tiny search settings on digits (a few SGD steps, a narrow supernet)."""

from __future__ import annotations

from typing import Any

import pytest

from nasbench_lab.oneshot.context import SearchContext
from nasbench_lab.training.data import load_dataset
from nasbench_lab.training.trainer import Runtime

TINY_SEARCH: dict[str, Any] = {"epochs": 2, "batch_size": 32, "train_subset": 64, "C": 2, "N": 1}
TINY_CANDIDATES: dict[str, Any] = {"n_candidates": 3, "candidate_images": 32}


def tiny_cfg(**changes: Any) -> dict[str, Any]:
    """The training config of a tiny search (2 epochs x 2 steps, C=2, N=1)."""
    from nasbench_lab.oneshot.spec import SearchSettings

    return SearchSettings(**(TINY_SEARCH | changes)).training_config({})


@pytest.fixture
def make_ctx():
    """``make_ctx(seed=0, **cfg_changes) -> SearchContext`` on digits, CPU, one thread."""

    def make(seed: int = 0, **changes: Any) -> SearchContext:
        rt = Runtime.for_device("cpu", 1)
        return SearchContext(load_dataset("digits"), rt, tiny_cfg(**changes), seed)

    return make
