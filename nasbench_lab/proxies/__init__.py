"""Zero-cost proxies: one registry (:data:`PROXIES`).

The registry loads the torch-based proxy modules on its first lookup, so importing the package (as the
CLI does to list its commands) does not import torch.
"""

from __future__ import annotations

from nasbench_lab.proxies.base import PROXIES, Proxy, register_proxy

__all__ = ["PROXIES", "Proxy", "register_proxy"]
