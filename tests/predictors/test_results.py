"""Tests of nasbench_lab/predictors/results.py: the summary, the CSV rows and the JSON summary."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest

from nasbench_lab.predictors import evaluate as E
from nasbench_lab.predictors import results as R
from predictors.evaluation_fakes import FakeBench, Flaky, Ridge, small


@pytest.fixture(scope="module")
def bench():
    return FakeBench()


def test_outputs_csv_and_json_summary(bench, tmp_path):
    res = E.evaluate({"ridge": Ridge(), "flaky": Flaky()}, bench, **small())
    res.write_csv(tmp_path / "results.csv")
    res.write_summary(tmp_path / "summary.json")
    with open(tmp_path / "results.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 18 and tuple(rows[0]) == R.COLUMNS
    assert rows[0]["fidelity"] == "" and rows[-1]["status"] == "failed"
    doc = json.loads((tmp_path / "summary.json").read_text())
    entry = next(s for s in doc["summary"] if s["predictor"] == "ridge" and s["train_size"] == 60)
    taus = [float(r["kendall_tau"]) for r in rows if r["predictor"] == "ridge" and r["train_size"] == "60"]
    assert entry["kendall_tau"]["mean"] == pytest.approx(np.mean(taus))
    assert entry["kendall_tau"]["se"] == pytest.approx(np.std(taus, ddof=1) / math.sqrt(3))
    flaky = next(s for s in doc["summary"] if s["predictor"] == "flaky" and s["train_size"] == 60)
    assert flaky["kendall_tau"]["mean"] is None and flaky["failed"] == 3
    assert doc["protocol"]["test_size"] == 40
