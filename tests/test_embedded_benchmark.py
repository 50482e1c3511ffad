"""The committed embedded benchmark data/nb201-digits.h5 is complete and consistent (issue 4 section 5, issue 7).

The file ships with the repository, so these tests fail (not skip) when it is missing or incomplete.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.stats import kendalltau

from nasbench_lab.benchmark.store import Benchmark
from nasbench_lab.proxies import PROXIES
from nasbench_lab.space import N_ARCHS, class_ids, valid_mask

EMBEDDED = Path(__file__).resolve().parents[1] / "data" / "nb201-digits.h5"
ALL = np.arange(N_ARCHS)


@pytest.fixture(scope="module")
def bench() -> Benchmark:
    assert EMBEDDED.is_file(), f"{EMBEDDED} is part of the repository and must be there"
    with Benchmark.open(EMBEDDED) as opened:
        yield opened


def test_every_arch_answers_with_two_seeds_and_full_curves(bench: Benchmark) -> None:
    assert bench.recipes("digits") == ["digits"]
    assert bench.seeds("digits") == [0, 1]
    assert bench.filled("digits").all()
    assert len(bench.eval_points("digits")) >= 10
    for metric in ("train_loss", "train_acc", "valid_acc", "valid_loss", "test_acc", "train_time"):
        for seed in (0, 1):
            curves = bench.curves_many(ALL, "digits", metric, seed=seed)
            assert np.isfinite(curves).all(), f"{metric} seed {seed} has gaps"
    for metric in ("params", "flops", "latency"):
        assert (bench.query_many(ALL, "digits", metric) > 0).all(), metric


def test_mapped_entries_copy_a_trained_member_of_their_class(bench: Benchmark) -> None:
    mapped = bench.mapped_from("digits")
    classes = class_ids(ALL)
    for seed in (0, 1):
        source = mapped[:, seed]
        copies = np.flatnonzero(source >= 0)
        assert len(copies) == N_ARCHS - len(np.unique(classes))  # one trained entry per class
        assert (source[source[copies]] < 0).all()  # sources are trained, not copies themselves
        np.testing.assert_array_equal(classes[copies], classes[source[copies]])
        acc = bench.query_many(ALL, "digits", "valid_acc", seed=seed)
        np.testing.assert_array_equal(acc[copies], acc[source[copies]])


def test_table_separates_architectures(bench: Benchmark) -> None:
    """Spread target (>= 3 points) holds; seed tau is 0.444, below the 0.5 target (docs/calibration.md).

    The tau bound here is a regression guard for the committed file, not the issue's target.
    """
    first, second = (bench.query_many(ALL, "digits", "valid_acc", seed=s) for s in (0, 1))
    p10, p90 = np.percentile((first + second) / 2, [10, 90])
    assert p90 - p10 >= 3.0
    assert kendalltau(first, second).statistic > 0.4


def test_every_registered_proxy_is_stored_for_every_arch(bench: Benchmark) -> None:
    assert bench.proxy_names("digits") == sorted(PROXIES.names())
    dead = ~valid_mask(ALL)  # cells whose output does not depend on the input
    for name in PROXIES.names():
        times = bench.proxy_time(ALL, "digits", name)  # raises if any arch lacks the proxy
        assert (times > 0).all(), name
        scores = bench.proxy(ALL, "digits", name)
        assert not np.isinf(scores).any(), name
        undefined = np.isnan(scores)
        assert not undefined[~dead].any(), f"{name} is NaN for a connected cell"
