"""Tests of nasbench_lab/config.py: typed configuration dataclasses built from TOML tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nasbench_lab.config import Config, check_value, describe, setting
from nasbench_lab.errors import ConfigError


@dataclass(frozen=True)
class Knobs(Config):
    size: int = setting(3, low=1, doc="how many")
    rate: float = setting(0.5, low=0.0, high=1.0, doc="a fraction")
    mode: str = setting("a", choices=("a", "b"), doc="which one")
    flag: bool = setting(False)
    name: str | None = setting(None)
    extra: dict[str, Any] = setting({})
    depths: tuple[int, ...] = setting((1, 2))
    hook: Callable[[], Any] | None = setting(None)

    def check(self) -> None:
        if self.mode == "b" and self.size > 5:
            raise ConfigError("size: must be <= 5 in mode b")


def test_defaults_and_conversions() -> None:
    k = Knobs.from_table({"rate": 1, "depths": [3, 4], "size": np.int64(2)})
    assert k == Knobs(size=2, rate=1.0, depths=(3, 4))
    assert isinstance(k.rate, float) and isinstance(k.size, int) and k.depths == (3, 4)
    assert Knobs().extra == {} and Knobs().extra is not Knobs().extra  # a fresh default each time


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"size": 1.5}, "cfg.size: must be an integer"),
        ({"size": True}, "cfg.size: must be an integer"),
        ({"size": 0}, "cfg.size: must be >= 1"),
        ({"rate": 2.0}, "cfg.rate: must be <= 1"),
        ({"rate": float("nan")}, "cfg.rate: must be finite"),
        ({"mode": "c"}, "cfg.mode: must be one of a, b"),
        ({"flag": 1}, "cfg.flag: must be true or false"),
        ({"name": 3}, "cfg.name: must be a string"),
        ({"extra": [1]}, "cfg.extra: must be a table"),
        ({"depths": [1, "x"]}, r"cfg.depths\[1\]: must be an integer"),
        ({"hook": 3}, "cfg.hook: must be callable"),
        ({"sizes": 3}, "cfg.sizes: unknown key; valid keys: size, rate"),
        ({"mode": "b", "size": 6}, "cfg.size: must be <= 5 in mode b"),
        ({"size": None}, r"cfg.size: must be an integer, got nothing"),
    ],
)
def test_errors_name_the_toml_key(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Knobs.from_table(table, key_prefix="cfg.")


def test_direct_construction_validates_too_and_the_result_is_frozen() -> None:
    with pytest.raises(ConfigError, match="^size: must be >= 1"):
        Knobs(size=0)
    with pytest.raises(AttributeError):
        Knobs().size = 4  # type: ignore[misc]


def test_required_fields_and_non_tables() -> None:
    @dataclass(frozen=True)
    class Needs(Config):
        path: str = setting(doc="required")

    with pytest.raises(ConfigError, match="x.path: missing"):
        Needs.from_table({}, key_prefix="x.")
    with pytest.raises(ConfigError, match="x: must be a table"):
        Needs.from_table([1], key_prefix="x.")  # type: ignore[arg-type]


def test_describe_lists_fields_with_choices() -> None:
    rows = describe(Knobs)
    assert rows[0] == ("size", 3, "how many")
    assert rows[2] == ("mode", "a", "which one (a / b)")
    assert [r[0] for r in rows] == ["size", "rate", "mode", "flag", "name", "extra", "depths", "hook"]


@given(st.integers(-10**6, 10**6))
def test_integers_pass_bounds_exactly_when_in_range(value: int) -> None:
    if 1 <= value <= 100:
        assert check_value("k", value, int, low=1, high=100) == value
    else:
        with pytest.raises(ConfigError, match="^k: must be"):
            check_value("k", value, int, low=1, high=100)


@dataclass(frozen=True)
class Shelf(Config):
    knobs: tuple[Knobs, ...] = setting(())
    main: Knobs | None = setting(None)


def test_nested_tables_are_validated_and_name_their_key() -> None:
    shelf = Shelf.from_table({"knobs": [{"size": 2}, Knobs(size=4)], "main": {"mode": "b"}})
    assert shelf.knobs == (Knobs(size=2), Knobs(size=4)) and shelf.main == Knobs(mode="b")
    with pytest.raises(ConfigError, match=r"^knobs\[1\]\.rate: must be <= 1"):
        Shelf.from_table({"knobs": [{}, {"rate": 2.0}]})
    with pytest.raises(ConfigError, match=r"^main\.colour: unknown key"):
        Shelf.from_table({"main": {"colour": "red"}})
    with pytest.raises(ConfigError, match=r"^knobs\[0\]: must be a table"):
        Shelf.from_table({"knobs": [3]})
