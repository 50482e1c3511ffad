"""Search strategies (ask/tell) and their registry.

:data:`STRATEGIES` imports every strategy module on its first lookup, so every strategy is registered
while ``import nasbench_lab.search`` stays cheap (see ``docs/search.md`` for the guide).
"""

from nasbench_lab.search.base import STRATEGIES, Observation, Proposal, Strategy, register_strategy

__all__ = ["STRATEGIES", "Observation", "Proposal", "Strategy", "register_strategy"]
