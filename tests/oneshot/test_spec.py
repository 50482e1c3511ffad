"""Tests of nasbench_lab/oneshot/spec.py: the shipped specs, key-naming errors, fingerprints."""

from __future__ import annotations

from pathlib import Path

import pytest

from nasbench_lab.errors import ConfigError
from nasbench_lab.oneshot.spec import SearchSettings, load_spec, spec_from_dict

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted((ROOT / "specs" / "oneshot").glob("*.toml"))


def test_one_spec_per_method_ships_and_loads() -> None:
    assert [p.stem for p in SPECS] == ["darts-v1", "darts-v2", "enas", "gdas", "rsps", "setn"]
    specs = {p.stem: load_spec(p) for p in SPECS}
    assert specs["darts-v1"].searcher.params.order == 1 and specs["darts-v2"].searcher.params.order == 2
    for name, spec in specs.items():
        assert spec.name == name and spec.dataset == "digits" and spec.seeds == (0, 1, 2)
        assert spec.benchmark is None and not spec.fill_missing


def test_defaults_and_resolution_of_the_network_size() -> None:
    spec = spec_from_dict({"dataset": "digits", "searcher": {"name": "rsps"}})
    assert spec.seeds == (0, 1, 2) and spec.search == SearchSettings()
    cfg = spec.search.training_config({"C": 8, "N": 1})
    assert (cfg["C"], cfg["N"], cfg["lr_schedule"], cfg["schedule_step"]) == (8, 1, "cosine", "epoch")
    assert SearchSettings(C=4, N=2).training_config({})["C"] == 4
    with pytest.raises(ConfigError, match=r"search\.C: the judging recipe does not say"):
        SearchSettings().training_config({})


@pytest.mark.parametrize(("table", "message"), [
    ({"dataset": "digits"}, "searcher is missing"),
    ({"dataset": "digits", "searcher": {"name": "rsps"}, "bogus": 1}, r"bogus: unknown key"),
    ({"dataset": "digits", "searcher": {"name": "rsps"}, "search": {"epochs": 0}}, r"search\.epochs: must be >= 1"),
    ({"dataset": "digits", "searcher": {"name": "rsps"}, "search": {"lr": "x"}}, r"search\.lr: must be a number"),
    ({"dataset": "digits", "searcher": {"name": "rsps"}, "seeds": [1, 1]}, "seeds: .* none twice"),
    ({"dataset": "digits", "searcher": {"name": "rsps"}, "seeds": [-1]}, r"seeds\[0\]: must be an integer >= 0"),
    ({"dataset": 3, "searcher": {"name": "rsps"}}, "dataset: must be a string"),
    ({"dataset": "digits", "searcher": "rsps"}, "searcher: must be a table"),
])
def test_bad_specs_name_the_key(table: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        spec_from_dict(table)


def test_fingerprint_ignores_the_name_and_benchmark_path_but_not_parameters(tmp_path: Path) -> None:
    base = {"dataset": "digits", "searcher": {"name": "setn"}}
    a = spec_from_dict(base | {"name": "a"})
    assert a.fingerprint() == spec_from_dict(base | {"name": "b"}).with_benchmark(tmp_path / "x.h5").fingerprint()
    assert a.fingerprint() != spec_from_dict({**base, "searcher": {"name": "setn", "n_candidates": 7}}).fingerprint()
    assert a.fingerprint() != spec_from_dict(base | {"search": {"epochs": 3}}).fingerprint()


def test_load_spec_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('dataset = "digits"\n[searcher]\nname = "darts"\norder = 5\n')
    with pytest.raises(ConfigError, match=r"bad\.toml: searcher\.order"):
        load_spec(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_spec(tmp_path / "absent.toml")
    rel = tmp_path / "rel.toml"
    rel.write_text('dataset = "digits"\nbenchmark = "b.h5"\n[searcher]\nname = "rsps"\n')
    assert load_spec(rel).benchmark == str(tmp_path / "b.h5")
