"""Zero-cost proxies: one registry (:data:`PROXIES`), every proxy registered on first use.

The proxy modules import torch, so they are loaded when ``PROXIES`` (or ``Proxy``,
``register_proxy``) is first asked for, not when the package is imported: the CLI can list its
commands without paying for torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = ("PROXIES", "Proxy", "register_proxy")
_MODULES = ("activation", "datafree", "gradient")  # each registers its proxies on import


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'nasbench_lab.proxies' has no attribute {name!r}")
    for module in _MODULES:
        importlib.import_module(f"nasbench_lab.proxies.{module}")
    return getattr(importlib.import_module("nasbench_lab.proxies.base"), name)


__all__ = list(_EXPORTS)
