"""synflow on the real NB201 CIFAR network against real NB201 results (reads ../shared/nb201)."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import NB201_DIR, nb201_file
from scipy.stats import spearmanr

from nasbench_lab.proxies.datafree import Synflow
from nasbench_lab.training.network import build_network

FREEREA = NB201_DIR / "freerea_nats_tss_zc_metrics.csv.gz"
NWOT = NB201_DIR / "nwot_arch_score_acc.csv"
N_ARCHS = 300


def _column(path: Path, name: str) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as fh:  # type: ignore[operator]
        return np.array([float(row[name]) if row[name] else np.nan for row in csv.DictReader(fh)])


@pytest.fixture(scope="module")
def synflow_scores() -> tuple[np.ndarray, np.ndarray]:
    nb201_file(FREEREA.name), nb201_file(NWOT.name)
    torch.set_num_threads(1)
    indices = np.random.default_rng(2024).choice(15625, N_ARCHS, replace=False)
    x = torch.zeros(1, 3, 32, 32)
    scores = []
    for index in indices:
        torch.manual_seed(0)
        scores.append(Synflow().score(build_network(int(index)), x, None, None))  # type: ignore[arg-type]
    return indices, np.array(scores)


def test_synflow_agrees_with_freerea(synflow_scores: tuple[np.ndarray, np.ndarray]) -> None:
    indices, scores = synflow_scores
    reference = _column(FREEREA, "cifar10:synflow")[indices]
    assert np.isfinite(scores).all()
    rho = spearmanr(scores, reference).statistic
    assert rho >= 0.95, f"Spearman with FreeREA's synflow is {rho:.3f}"


def test_synflow_predicts_test_accuracy_as_published(synflow_scores: tuple[np.ndarray, np.ndarray]) -> None:
    # Published: 0.737 (Abdelfattah et al. 2021, all archs) ... 0.77 (FreeREA); allow 0.05 either side.
    indices, scores = synflow_scores
    rho = spearmanr(scores, _column(NWOT, "test_top1")[indices]).statistic
    assert 0.687 <= rho <= 0.82, f"Spearman with cifar10 test accuracy is {rho:.3f}"
