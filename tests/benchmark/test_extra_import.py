"""Tests of nasbench_lab/benchmark/extra_import.py and extras.py: per-arch scores from elsewhere, with provenance."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pytest

from nasbench_lab.benchmark.csv_import import ColumnMap
from nasbench_lab.benchmark.errors import ImportFormatError
from nasbench_lab.benchmark.extra_import import import_arch_metrics, import_proxy_scores
from nasbench_lab.benchmark.store import Benchmark
from nasbench_lab.cli import main
from nasbench_lab.errors import ConfigError
from nasbench_lab.space import Arch

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "nb201"
HW = ("arch,edgegpu_latency,edgegpu_energy,pixel3_latency\n0,5.5,20.25,\n6111,7.75,31.5,120\n"
      "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,1,2,3\n")


def _hw(tmp_path: Path, text: str = HW) -> Path:
    path = tmp_path / "hw.csv"
    path.write_text(text)
    return path


def test_arch_metrics_are_stored_per_dataset_with_provenance(tmp_path: Path) -> None:
    table, out = _hw(tmp_path), tmp_path / "b.h5"
    maps = [ColumnMap.parse(t, "cifar10", metrics=None) for t in
            ("edgegpu_latency=edgegpu_latency", "edgegpu_energy=edgegpu_energy", "cifar100:pixel3_latency=pixel3")]
    counts = import_arch_metrics(table, out, maps, note="HW-NAS-Bench v1", unit="ms")
    assert counts == {("cifar10", "edgegpu_latency"): 3, ("cifar10", "edgegpu_energy"): 3, ("cifar100", "pixel3"): 2}
    none_index = Arch.parse("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|").index
    with Benchmark.open(out) as bench:
        assert bench.arch_metric_names("cifar10") == ["edgegpu_energy", "edgegpu_latency"]
        assert bench.arch_metric_names("cifar100") == ["pixel3"]
        assert bench.arch_metric_names("ImageNet16-120") == []
        latency = bench.arch_metric("edgegpu_latency", "cifar10")
        assert latency.shape == (15625,) and latency.dtype == np.float64
        assert latency[0] == 5.5 and latency[6111] == 7.75 and latency[none_index] == 1
        assert int(np.isfinite(latency).sum()) == 3
        pixel = bench.arch_metric("pixel3", "cifar100")
        assert math.isnan(pixel[0]) and pixel[6111] == 120 and pixel[none_index] == 3
        prov = bench.arch_metric_provenance("edgegpu_latency", "cifar10")
        assert prov["sha256"] == hashlib.sha256(table.read_bytes()).hexdigest()
        assert (prov["source"], prov["column"], prov["note"], prov["unit"]) == ("hw.csv", "edgegpu_latency",
                                                                               "HW-NAS-Bench v1", "ms")
        assert prov["date"].startswith("20")
        with pytest.raises(ConfigError, match="no extra per-arch metric 'energy'.*stored: edgegpu_energy, edgegpu_latency"):
            bench.arch_metric("energy", "cifar10")
    with pytest.raises(ConfigError, match="already stored: use --replace"):
        import_arch_metrics(table, out, maps[:1])
    import_arch_metrics(table, out, maps[:1], replace=True)


@pytest.mark.parametrize(("cell", "match"), [("-1", "negative cost"), ("inf", "not a finite number"),
                                             ("1e999", "not a finite number")])
def test_arch_metrics_refuse_negative_and_infinite_values(tmp_path: Path, cell: str, match: str) -> None:
    table = _hw(tmp_path, f"arch,lat\n0,1\n1,{cell}\n")
    with pytest.raises(ImportFormatError, match=match):
        import_arch_metrics(table, tmp_path / "b.h5", [ColumnMap("lat", "lat", "d")])
    assert not (tmp_path / "b.h5").exists()


def test_proxy_scores_join_a_recipe_like_our_proxies(tmp_path: Path, bench_path: Path) -> None:
    table = _hw(tmp_path, "arch,score\n3,1500.5\n4,nan\n6111,1700\n")
    counts = import_proxy_scores(table, bench_path, [ColumnMap("score", "naswot_pub", "digits")], note="published")
    assert counts == {("digits", "naswot_pub"): 2}
    with Benchmark.open(bench_path) as bench:
        assert "naswot_pub" in bench.proxy_names("digits")
        scores = bench.proxy([3, 4, 6111, 5], "digits", "naswot_pub", missing="nan")
        assert scores[0] == 1500.5 and scores[2] == 1700 and np.isnan(scores[[1, 3]]).all()
        assert bench.proxy([3, 6111], "digits", "naswot_pub").tolist() == [1500.5, 1700.0]
        with pytest.raises(Exception, match="no proxy naswot_pub for arch 4"):
            bench.proxy([4], "digits", "naswot_pub")
        settings = bench.proxy_settings("digits", "naswot_pub")
        assert settings["imported"]["note"] == "published" and settings["imported"]["column"] == "score"
        assert bench.proxy([3], "digits", "syn_quality").shape == (1,)  # our own proxies untouched
    with pytest.raises(ConfigError, match="already stored"):
        import_proxy_scores(table, bench_path, [ColumnMap("score", "naswot_pub", "digits")])
    with pytest.raises(ConfigError, match="no dataset 'cifar10'"):
        import_proxy_scores(table, bench_path, [ColumnMap("score", "x", "cifar10")])
    with pytest.raises(ConfigError, match="no benchmark at"):
        import_proxy_scores(table, tmp_path / "absent.h5", [ColumnMap("score", "x", "digits")])


def test_cli_and_info_show_provenance(tmp_path: Path, bench_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = _hw(tmp_path)
    assert main(["import", "arch-metrics", str(table), "--out", str(bench_path), "--dataset", "digits",
                 "--map", "edgegpu_latency=edgegpu_latency", "--unit", "ms", "--note", "edge GPU"]) == 0
    assert "digits/edgegpu_latency: 3 archs" in capsys.readouterr().out
    scores = _hw(tmp_path, "arch,score\n3,1.5\n")
    assert main(["import", "proxy-scores", str(scores), "--out", str(bench_path), "--dataset", "digits",
                 "--map", "score=pub", "--note", "paper"]) == 0
    capsys.readouterr()
    assert main(["info", str(bench_path)]) == 0
    out = capsys.readouterr().out
    assert "extra per-arch metric edgegpu_latency: 3 archs;" in out and "note=edge GPU" in out and "unit=ms" in out
    assert "sha256=" + hashlib.sha256(table.read_bytes()).hexdigest() in out
    assert "proxy pub imported:" in out and "note=paper" in out and "metadata checksums: verified" in out
    assert main(["import", "arch-metrics", str(table), "--out", str(bench_path), "--dataset", "digits",
                 "--map", "edgegpu_latency=a/b"]) == 2
    assert "must be a non-empty string without '/'" in capsys.readouterr().err


def test_real_nwot_scores_import_as_a_proxy(tmp_path: Path, bench_path: Path) -> None:
    table = SHARED / "nwot_arch_score_acc.csv"
    if not table.exists():
        pytest.skip(f"real NB201 data not found at {table} (../shared/nb201 beside the repo)")
    counts = import_proxy_scores(table, bench_path, [ColumnMap("score", "naswot_pub", "digits")])
    assert counts == {("digits", "naswot_pub"): 15625 - 341}  # 341 NaN scores in the published file
    with Benchmark.open(bench_path) as bench:
        scores = bench.proxy(np.arange(15625), "digits", "naswot_pub", missing="nan")
    assert int(np.isnan(scores).sum()) == 341
