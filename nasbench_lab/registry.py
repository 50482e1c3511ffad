"""Name -> class registries, one per kind of plug-in (encoding, predictor, strategy, proxy, dataset).

Each kind makes one :class:`Registry` and exposes its ``register`` decorator, e.g.
``register_predictor = PREDICTORS.register``. Names are the only way specs refer to plug-ins, so a
registry is the single list of what exists: nothing else keeps names by hand.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

from nasbench_lab.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """A mapping from names to registered objects (usually classes) of one kind.

    Args:
        kind: what is registered, used in error messages ("predictor", "strategy", ...).
        autoload: modules that register the built-in items; they are imported on the first lookup
            (not when the registry is made), so importing a package stays cheap and every lookup,
            from any module, sees every built-in item.
    """

    def __init__(self, kind: str, *, autoload: Sequence[str] = ()) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._autoload = tuple(autoload)
        self._loaded = not self._autoload

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True  # set first: the imported modules register into this registry
            for module in self._autoload:
                importlib.import_module(module)

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator that registers its target under ``name``.

        Raises:
            ValueError: ``name`` is already registered.
        """

        def decorate(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._items[name] = obj
            target: Any = obj  # T may be any object; one that refuses attributes (a builtin, say) is kept untagged
            with contextlib.suppress(AttributeError, TypeError):
                target.registry_name = name
            return obj

        return decorate

    def get(self, name: str) -> T:
        """The object registered as ``name``.

        Raises:
            ConfigError: no such name; the message lists the registered ones.
        """
        self._load()
        try:
            return self._items[name]
        except KeyError:
            raise ConfigError(f"unknown {self.kind} {name!r}; known: {', '.join(sorted(self._items))}") from None

    def names(self) -> list[str]:
        """Registered names, sorted."""
        self._load()
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        self._load()
        return len(self._items)
