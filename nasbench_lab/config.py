"""Typed, self-validating configuration: frozen dataclasses built from TOML tables.

One validator for every kind of configuration (study specs, predictor specs, strategy parameters).
A configuration is a frozen dataclass deriving from :class:`Config`; each field has a type hint and,
through :func:`setting`, optional bounds, choices and a one-line description::

    @dataclass(frozen=True)
    class EvolutionParams(Config):
        population: int = setting(10, low=2, doc="population size")
        sample_size: int = setting(3, low=1, doc="tournament size")

Building one (directly or with :meth:`Config.from_table`) checks every field against its type hint
(``int``, ``float``, ``str``, ``bool``, ``dict``, ``tuple[X, ...]``, ``X | None``, ``Callable``, and
another :class:`Config` for a nested table, so ``tuple[Objective, ...]`` reads an array of tables) and
its bounds and choices; :meth:`Config.check` is the hook for rules across fields. Every failure is a
:class:`~nasbench_lab.errors.ConfigError` whose message starts with the TOML key (``key_prefix`` plus
the field name), e.g. ``strategies[2].beta: must be >= 0, got -1.0``.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import math
import numbers
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Self, TypeVar, Union

from nasbench_lab.errors import ConfigError

_MISSING = dataclasses.MISSING
T = TypeVar("T")


def setting(
    default: Any = _MISSING,
    *,
    low: float | None = None,
    high: float | None = None,
    choices: tuple[str, ...] | None = None,
    doc: str = "",
) -> Any:
    """A dataclass field with validation metadata.

    Args:
        default: the value used when the table does not give one (mutable defaults such as ``{}``
            are copied for every instance); omit it for a required field.
        low: smallest allowed value (numbers), inclusive.
        high: largest allowed value (numbers), inclusive.
        choices: the allowed values (strings).
        doc: one line for the generated documentation.

    Returns:
        A :func:`dataclasses.field` for a :class:`Config` subclass.
    """
    meta = {"low": low, "high": high, "choices": choices, "doc": doc}
    if isinstance(default, (dict, list)):
        frozen = default
        return dataclasses.field(default_factory=lambda: type(frozen)(frozen), metadata=meta)
    if default is _MISSING:
        return dataclasses.field(metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def _type_word(hint: Any) -> str:
    words = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}
    if hint in words:
        return words[hint]
    if isinstance(hint, type) and issubclass(hint, Config):
        return "a table"
    origin = typing.get_origin(hint)
    if origin in (dict, collections.abc.Mapping):
        return "a table"
    if origin in (tuple, list):
        return "a list"
    return getattr(hint, "__name__", str(hint))


def _is_optional(hint: Any) -> tuple[bool, Any]:
    """``(True, X)`` for ``X | None``, else ``(False, hint)``."""
    if typing.get_origin(hint) in (Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(hint)) == 2:
            return True, args[0]
    return False, hint


def _check_type(key: str, value: Any, hint: Any) -> Any:
    """``value`` converted to ``hint`` (int -> float, list -> tuple, mapping -> dict)."""
    if hint is Any:
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: must be true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ConfigError(f"{key}: must be an integer, got {value!r}")
        return int(value)
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ConfigError(f"{key}: must be a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ConfigError(f"{key}: must be finite, got {value!r}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: must be a string, got {value!r}")
        return value
    if isinstance(hint, type) and issubclass(hint, Config):  # a nested table ([section] or [[array]] entry)
        return value if isinstance(value, hint) else hint.from_table(value, key_prefix=f"{key}.")
    origin = typing.get_origin(hint)
    if origin in (dict, collections.abc.Mapping):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{key}: must be a table, got {value!r}")
        return dict(value)
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key}: must be a list, got {value!r}")
        args = typing.get_args(hint)
        item = args[0] if args else Any
        items = [_check_type(f"{key}[{i}]", v, item) for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is collections.abc.Callable or hint is collections.abc.Callable:
        if not callable(value):
            raise ConfigError(f"{key}: must be callable, got {value!r}")
        return value
    raise TypeError(f"config field {key} has a type hint the validator does not know: {hint!r}")


def check_value(
    key: str,
    value: Any,
    hint: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    choices: tuple[str, ...] | None = None,
) -> Any:
    """Validate one value against a type hint, bounds and choices.

    Args:
        key: the TOML key named in error messages.
        value: the value to check.
        hint: its type hint (see the module docstring for the supported ones).
        low: smallest allowed value, inclusive.
        high: largest allowed value, inclusive.
        choices: allowed values.

    Returns:
        ``value`` converted to the hinted type (int -> float, list -> tuple for ``tuple`` hints).

    Raises:
        ConfigError: wrong type, out of range or not among the choices; the message names ``key``.
    """
    optional, inner = _is_optional(hint)
    if value is None:
        if optional or hint is Any:
            return None
        raise ConfigError(f"{key}: must be {_type_word(inner)}, got nothing (None)")
    value = _check_type(key, value, inner)
    if choices is not None and value not in choices:
        raise ConfigError(f"{key}: must be one of {', '.join(map(str, choices))}; got {value!r}")
    if low is not None and value < low:
        raise ConfigError(f"{key}: must be >= {low:g}, got {value!r}")
    if high is not None and value > high:
        raise ConfigError(f"{key}: must be <= {high:g}, got {value!r}")
    return value


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """Resolved type hints of ``cls`` (cached: resolving them is slow)."""
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


class Config:
    """Base of the frozen configuration dataclasses: validates every field when built.

    Subclasses are ``@dataclass(frozen=True)`` classes whose fields use :func:`setting`; they may
    override :meth:`check` for rules that involve several fields.
    """

    def __post_init__(self) -> None:
        hints = _hints(type(self))
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            meta = f.metadata
            value = check_value(f.name, getattr(self, f.name), hints[f.name], low=meta.get("low"),
                                high=meta.get("high"), choices=meta.get("choices"))
            object.__setattr__(self, f.name, value)
        self.check()

    def check(self) -> None:
        """Rules across fields; raise :class:`ConfigError` naming the key. The default checks nothing."""

    @classmethod
    def from_table(cls, table: Mapping[str, Any], *, key_prefix: str = "") -> Self:
        """Build from a TOML table, refusing unknown keys.

        Args:
            table: the parsed TOML table (missing keys take their defaults).
            key_prefix: prepended to every key named in an error, e.g. ``"strategies[2]."``.

        Raises:
            ConfigError: an unknown key, a missing required key, or a bad value; the message names
                the key with ``key_prefix``.
        """
        if not isinstance(table, Mapping):
            raise ConfigError(f"{key_prefix.rstrip('.') or 'table'}: must be a table, got {table!r}")
        names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
        unknown = sorted(set(table) - set(names))
        if unknown:
            raise ConfigError(f"{key_prefix}{unknown[0]}: unknown key; valid keys: {', '.join(names) or 'none'}")
        missing = [f.name for f in dataclasses.fields(cls)  # type: ignore[arg-type]
                   if f.name not in table and f.default is _MISSING and f.default_factory is _MISSING]
        if missing:
            raise ConfigError(f"{key_prefix}{missing[0]}: missing; it has no default")
        try:
            return cls(**table)
        except ConfigError as exc:
            raise ConfigError(f"{key_prefix}{exc}") from None

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (callables included as they are)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]


def read_spec_file(path: Path, what: str, build: Callable[[dict[str, Any]], T]) -> T:
    """Read the TOML file ``path`` and build a spec from it, every error naming the file.

    Args:
        path: the TOML file.
        what: what the file is, for the not-found message (``"study spec"``).
        build: makes the spec from the parsed document.

    Raises:
        ConfigError: the file is absent or not valid TOML, or ``build`` refused it (message prefixed by the path).
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    try:
        return build(data)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def describe(cls: type[Config]) -> list[tuple[str, Any, str]]:
    """``(name, default, doc)`` of every field of ``cls``, in declaration order, for documentation.

    ``doc`` gets the choices appended (``"(a / b)"``); a required field's default is ``MISSING``.
    """
    rows = []
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        default = f.default_factory() if f.default_factory is not _MISSING else f.default
        doc = f.metadata.get("doc", "")
        if f.metadata.get("choices"):
            doc = f"{doc} ({' / '.join(f.metadata['choices'])})"
        rows.append((f.name, default, doc))
    return rows



def markdown_table(cls: type[Config]) -> str:
    """A Markdown table ``| parameter | default | meaning |`` of the fields of ``cls`` (see :func:`describe`)."""
    rows = describe(cls)
    if not rows:
        return "No parameters."
    lines = ["| parameter | default | meaning |", "|---|---|---|"]
    lines += [f"| `{name}` | `{default!r}` | {doc} |" for name, default, doc in rows]
    return "\n".join(lines)
