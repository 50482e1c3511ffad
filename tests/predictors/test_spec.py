"""Tests of nasbench_lab/predictors/spec.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from nasbench_lab.errors import ConfigError
from nasbench_lab.predictors import PREDICTORS, PredictorSpec, load_predictor, make_predictor, read_spec

SPECS = sorted((Path(__file__).resolve().parents[2] / "predictors").glob("*.toml"))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_every_shipped_spec_loads(path: Path) -> None:
    spec = read_spec(path)
    assert spec.name in PREDICTORS
    assert type(spec.build()) is PREDICTORS.get(spec.name)


def test_every_registered_predictor_has_a_spec() -> None:
    assert set(PREDICTORS.names()) <= {read_spec(p).name for p in SPECS}


def test_values_reach_the_constructor(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "gp_wl"\n[params]\nkernel = "linear"\ndepths = [2]\nmax_iter = 7\n')
    p = load_predictor(path)
    assert (p.kernel, p.depths, p.max_iter) == ("linear", (2,), 7)
    xgb = load_predictor(write(tmp_path, 'name = "xgb"\nencoding = "path"\n[params]\nlearning_rate = 1\n'))
    assert xgb.encoding == "path" and xgb.learning_rate == 1.0 and isinstance(xgb.learning_rate, float)


@pytest.mark.parametrize(
    "text, key",
    [
        ('name = "gp"\n[params]\nkernal = "rbf"\n', "params.kernal"),
        ('name = "gp"\n[params]\nkernel = 3\n', "params.kernel"),
        ('name = "gp"\n[params]\npruned = 1\n', "params.pruned"),
        ('name = "gcn"\n[params]\nk = 2.5\n', "params.k"),
        ('name = "gcn"\n[params]\nk = true\n', "params.k"),
        ('name = "gp"\nparams = 3\n', "params"),
        ('name = "gp"\nfoo = 1\n', "foo"),
        ('[params]\nkernel = "rbf"\n', "name"),
        ('name = "gcn"\nencoding = "path"\n', "encoding"),
        ('name = "xgb"\nencoding = "path"\n[params]\nencoding = "onehot"\n', "encoding"),
        ('name = 5\n', "name"),
    ],
)
def test_errors_name_the_toml_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError, match=rf"spec\.toml: {key}\b"):
        read_spec(write(tmp_path, text))


def test_unknown_predictor_lists_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="known: .*gp_wl"):
        read_spec(write(tmp_path, 'name = "nope"\n'))


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        read_spec(write(tmp_path, "name = \n"))
    with pytest.raises(ConfigError, match="no such predictor spec"):
        read_spec(tmp_path / "missing.toml")


def test_make_predictor_checks_types() -> None:
    assert make_predictor("xgb", max_depth=3).max_depth == 3
    with pytest.raises(ConfigError, match="max_depth: must be an integer"):
        make_predictor("xgb", max_depth="3")
    with pytest.raises(ConfigError, match="no argument 'depth'"):
        make_predictor("xgb", depth=3)
    assert PredictorSpec("mean").build().get_params() == {}
