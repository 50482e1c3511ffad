"""Zero-cost proxies: one registry (:data:`PROXIES`), every proxy registered on import."""

from __future__ import annotations

from nasbench_lab.proxies import activation, datafree, gradient  # noqa: F401  (registers the proxies)
from nasbench_lab.proxies.base import PROXIES, Proxy, register_proxy

__all__ = ["PROXIES", "Proxy", "register_proxy"]
