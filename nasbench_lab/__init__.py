"""nasbench-lab: benchmark-driven neural architecture search on the NAS-Bench-201 cell space."""

from __future__ import annotations

__version__ = "0.1.0"
