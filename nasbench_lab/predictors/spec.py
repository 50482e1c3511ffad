"""Predictor specs: a named, configured predictor in a TOML file, and typed construction by name.

A spec file (see ``predictors/*.toml``)::

    name = "gp_wl"                 # a registered predictor (nasbench_lab.predictors.PREDICTORS)
    description = "WL-kernel GP"   # optional, free text
    encoding = "onehot"            # optional; only for predictors that take an ``encoding`` argument

    [params]                       # optional; constructor arguments of the predictor
    kernel = "rbf"
    depths = [1, 2, 3]

Every key is checked against the predictor's constructor by the one validator of
:mod:`nasbench_lab.config`: an unknown key, or a value whose type does not match the argument's default
(bool, int, float, str, list), is a :class:`ConfigError` naming the TOML key. Value ranges and
choices are checked by the predictor itself when it is fitted.
"""

from __future__ import annotations

import inspect
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nasbench_lab.config import check_value
from nasbench_lab.errors import ConfigError
from nasbench_lab.predictors.base import PREDICTORS, Predictor

_TOP_KEYS = ("name", "description", "encoding", "params")


def _hint_of(default: Any) -> Any:
    """The type hint a TOML value must match: the constructor default's type (``Any`` without one)."""
    if default is inspect.Parameter.empty or default is None:
        return Any
    if isinstance(default, (tuple, list)):
        return tuple[Any, ...] if isinstance(default, tuple) else list[Any]
    return type(default)


def _coerce(key: str, value: Any, default: Any) -> Any:
    """``value`` checked by :func:`nasbench_lab.config.check_value` against ``default``'s type (int -> float ...)."""
    hint = _hint_of(default)
    if hint not in (Any, bool, int, float, str) and typing.get_origin(hint) not in (tuple, list):
        if not isinstance(value, hint):
            raise ConfigError(f"{key}: must be a {hint.__name__}, got {value!r}")
        return value
    return check_value(key, value, hint)


def _check_params(name: str, params: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Constructor arguments of predictor ``name`` checked against its signature."""
    cls = PREDICTORS.get(name)
    signature = inspect.signature(cls.__init__)
    accepted = {k: p for k, p in signature.parameters.items() if k != "self"}
    out = {}
    for key, value in params.items():
        if key not in accepted:
            known = ", ".join(accepted) or "none"
            raise ConfigError(f"{prefix}{key}: predictor {name!r} has no argument {key!r} (arguments: {known})")
        out[key] = _coerce(f"{prefix}{key}", value, accepted[key].default)
    return out


@dataclass(frozen=True)
class PredictorSpec:
    """A validated predictor specification.

    Attributes:
        name: registered predictor name.
        params: constructor arguments (``encoding`` folded in when given).
        description: free text.
        source: file the spec was read from, if any.
    """

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    source: Path | None = None

    def __post_init__(self) -> None:
        check_value("name", self.name, str)
        PREDICTORS.get(self.name)  # raises ConfigError listing the known names
        object.__setattr__(self, "params", _check_params(self.name, dict(self.params), "params."))

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: Path | None = None) -> PredictorSpec:
        """Build from a parsed TOML table.

        Raises:
            ConfigError: a missing ``name``, an unknown key, or a value of the wrong type.
        """
        unknown = sorted(set(data) - set(_TOP_KEYS))
        if unknown:
            raise ConfigError(f"{unknown[0]}: unknown key; a predictor spec has {', '.join(_TOP_KEYS)}")
        if "name" not in data:
            raise ConfigError("name: missing; give the registered predictor name, e.g. name = \"gp\"")
        params = check_value("params", data.get("params", {}), dict[str, Any])
        description = check_value("description", data.get("description", ""), str)
        if "encoding" in data:
            if "encoding" in params:
                raise ConfigError("encoding: given both at the top level and in [params]; keep one")
            name = data["name"]
            if isinstance(name, str) and name in PREDICTORS:
                accepted = inspect.signature(PREDICTORS.get(name).__init__).parameters
                if "encoding" not in accepted:
                    raise ConfigError(f"encoding: predictor {name!r} does not take an encoding")
            params["encoding"] = _coerce("encoding", data["encoding"], "")
        return cls(name=data["name"], params=params, description=description, source=source)

    def build(self) -> Predictor:
        """A fresh, unfitted predictor."""
        return PREDICTORS.get(self.name)(**self.params)


def read_spec(path: str | Path) -> PredictorSpec:
    """Read and validate a predictor spec TOML file.

    Raises:
        ConfigError: the file is missing, is not valid TOML, or fails validation (the message names
            the file and the key).
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such predictor spec file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    try:
        return PredictorSpec.from_dict(data, source=path)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def load_predictor(path: str | Path) -> Predictor:
    """The unfitted predictor described by the TOML spec at ``path``; see :func:`read_spec`."""
    return read_spec(path).build()


def make_predictor(name: str, **params: Any) -> Predictor:
    """An unfitted predictor by registered name, with type-checked constructor arguments.

    Raises:
        ConfigError: unknown name, unknown argument, or a value of the wrong type.
    """
    return PredictorSpec(name=name, params=params).build()
