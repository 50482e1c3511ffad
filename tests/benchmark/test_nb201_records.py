"""Tests of nasbench_lab/benchmark/nb201_records.py: NB201 / NATS-Bench records converted into RunRecords."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.nb201_fakes import arch_state, results_state
from nasbench_lab.benchmark import nb201_records as rec
from nasbench_lab.benchmark.errors import ImportFormatError
from nasbench_lab.space import Arch


def test_set_mapping_follows_nb201() -> None:
    res = results_state(5, "cifar100", 777, 12)
    record = rec.record_from_results(5, "cifar100", res, 12)
    assert record.seed == 777
    assert record.curves["valid_acc"][4] == res["eval_acc1es"]["x-valid@4"]
    assert record.curves["test_acc"][11] == res["eval_acc1es"]["x-test@11"]  # x-test, not ori-test
    assert record.curves["test_loss"][0] == res["eval_losses"]["x-test@0"]
    assert record.curves["train_acc"][3] == res["train_acc1es"][3]
    assert record.eval_time == pytest.approx(0.75 + 0.75)  # x-valid + x-test passes
    assert record.latency == pytest.approx(0.013) and record.flops == pytest.approx(70.005)

    res10 = results_state(5, "cifar10", 777, 12)
    record10 = rec.record_from_results(5, "cifar10", res10, 12)
    assert "valid_acc" not in record10.curves  # cifar10 has no validation set: stays NaN in the file
    assert record10.curves["test_acc"][7] == res10["eval_acc1es"]["ori-test@7"]
    assert record10.eval_time == pytest.approx(1.5)

    res_v = results_state(5, "cifar10-valid", 888, 12)
    record_v = rec.record_from_results(5, "cifar10-valid", res_v, 12)
    assert record_v.curves["valid_acc"][2] == res_v["eval_acc1es"]["x-valid@2"]
    assert record_v.curves["test_acc"][2] == res_v["eval_acc1es"]["ori-test@2"]


def test_last_epoch_only_curves_stay_nan() -> None:
    res = results_state(9, "ImageNet16-120", 999, 200, last_only=("x-valid", "x-test"))
    record = rec.record_from_results(9, "ImageNet16-120", res, 200)
    valid = record.curves["valid_acc"]
    assert np.isnan(valid[:-1]).all() and valid[-1] == res["eval_acc1es"]["x-valid@199"]
    assert np.isfinite(record.curves["train_acc"]).all()


def test_malformed_records_are_refused() -> None:
    state = arch_state(12, "12", {"cifar10": [111]})
    with pytest.raises(ImportFormatError, match="200 epochs|needs 200"):
        list(rec.records_from_arch(state, "200"))
    broken = arch_state(12, "12", {"cifar10": [111]})
    del broken["all_results"][("cifar10", 111)]["epochs"]
    with pytest.raises(ImportFormatError, match=r"arch 12, hp 12: not an NB201 ArchResults record \(KeyError: 'ep"):
        list(rec.records_from_arch(broken, "12"))
    state["arch_str"] = str(Arch.from_index(13))
    with pytest.raises(ImportFormatError, match="another arch order"):
        list(rec.records_from_arch(state, "12"))
    res = results_state(1, "cifar10", 111, 12)
    res["eval_acc1es"]["ori-test@12"] = 5.0
    with pytest.raises(ImportFormatError, match="ori-test: epoch 12 outside 0..11"):
        rec.record_from_results(1, "cifar10", res, 12)
    res = results_state(1, "cifar10", 111, 12)
    res["eval_losses"]["ori-test#3"] = 1.0
    with pytest.raises(ImportFormatError, match="cannot read eval key 'ori-test#3'"):
        rec.record_from_results(1, "cifar10", res, 12)
    with pytest.raises(ImportFormatError, match="unknown NB201 dataset"):
        rec.record_from_results(1, "mnist", res, 12)
