"""Tests of nasbench_lab/resources.py: the shipped benchmark and specs, in a checkout and in a wheel."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from nasbench_lab import resources
from nasbench_lab.benchmark.errors import BenchmarkNotFoundError
from nasbench_lab.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def test_checkout_finds_the_top_level_folders() -> None:
    assert resources.shipped_dir("data") == ROOT / "data"
    assert resources.default_benchmark_path() == ROOT / "data" / "nb201-digits.h5"
    assert resources.shipped_spec("quickstart") == ROOT / "studies" / "quickstart.toml"
    assert resources.shipped_spec("quickstart.toml") == ROOT / "studies" / "quickstart.toml"
    assert resources.shipped_spec("xgb", kind="predictors") == ROOT / "predictors" / "xgb.toml"
    assert resources.shipped_specs() == sorted(p.stem for p in (ROOT / "studies").glob("*.toml"))
    assert resources.shipped_spec("gdas", kind="oneshot") == ROOT / "specs" / "oneshot" / "gdas.toml"
    with pytest.raises(ConfigError, match="no shipped studies spec of that name; shipped: .*quickstart"):
        resources.shipped_spec("nope")
    with pytest.raises(ConfigError, match="unknown spec kind"):
        resources.shipped_spec("quickstart", kind="data")


def test_absent_benchmark_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(resources, "shipped_dir", lambda folder: tmp_path)
    with pytest.raises(BenchmarkNotFoundError, match="nb201-digits.h5 is not installed"):
        resources.default_benchmark_path()


def test_pyproject_lists_every_package() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "nasbench_lab").rglob("__init__.py")}
    assert on_disk <= listed, f"add {sorted(on_disk - listed)} to [tool.setuptools] packages in pyproject.toml"
    assert listed - on_disk == {f"nasbench_lab._shipped.{f}" for f in ("data", "studies", "predictors", "oneshot")}


@pytest.mark.slow
def test_a_wheel_carries_the_benchmark_and_specs_and_an_installed_copy_finds_them(tmp_path: Path) -> None:
    src = tmp_path / "src"  # build from a copy: pip wheel . writes build/ and *.egg-info into the tree
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for name in ("nasbench_lab", "data", "studies", "predictors", "specs"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.lock"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", str(src), "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist")],
                   check=True, capture_output=True, cwd=tmp_path)
    wheel = next((tmp_path / "dist").glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "nasbench_lab/_shipped/data/nb201-digits.h5" in names
    assert {f"nasbench_lab/_shipped/studies/{p.name}" for p in (ROOT / "studies").glob("*.toml")} <= names
    assert {f"nasbench_lab/_shipped/predictors/{p.name}" for p in (ROOT / "predictors").glob("*.toml")} <= names
    assert {f"nasbench_lab/_shipped/oneshot/{p.name}" for p in (ROOT / "specs" / "oneshot").glob("*.toml")} <= names
    site = tmp_path / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True, capture_output=True)
    probe = ("import nasbench_lab, nasbench_lab.resources as r\n"
             "from nasbench_lab.benchmark.store import Benchmark\n"
             "print(nasbench_lab.__file__)\n"
             "print(r.shipped_spec('quickstart'))\n"
             "with Benchmark.open(r.default_benchmark_path()) as b: print(b.datasets, b.sealed)\n")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site)}  # the installed copy, not this checkout
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True, cwd=tmp_path,
                         env=env).stdout.splitlines()
    assert out[0] == str(site / "nasbench_lab" / "__init__.py")
    assert out[1] == str(site / "nasbench_lab" / "_shipped" / "studies" / "quickstart.toml")
    assert out[2] == "['digits'] True"


def test_spec_argument_takes_a_file_else_a_shipped_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resources.spec_argument(Path("quickstart")) == ROOT / "studies" / "quickstart.toml"
    assert resources.spec_argument(Path("rsps"), kind="oneshot") == ROOT / "specs" / "oneshot" / "rsps.toml"
    (tmp_path / "quickstart").write_text("")  # a file of that name wins
    assert resources.spec_argument(Path("quickstart")) == Path("quickstart")
    assert resources.spec_argument(Path("sub/nope.toml")) == Path("sub/nope.toml")  # a path: the loader says not found
    with pytest.raises(ConfigError, match="no shipped oneshot spec"):
        resources.spec_argument(Path("nope"), kind="oneshot")
