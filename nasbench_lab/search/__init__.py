"""Search strategies (ask/tell) and their registry.

Importing this package imports every strategy module, so every strategy is registered in
:data:`nasbench_lab.search.base.STRATEGIES` (see ``docs/search.md`` for the guide).
"""

from nasbench_lab.search.base import STRATEGIES, Observation, Proposal, Strategy, register_strategy

from nasbench_lab.search import simple  # noqa: E402,F401  (registration)
from nasbench_lab.search import bo  # noqa: E402,F401
from nasbench_lab.search import bananas  # noqa: E402,F401
from nasbench_lab.search import hyperband  # noqa: E402,F401
from nasbench_lab.search import pnas  # noqa: E402,F401
from nasbench_lab.search import reinforce  # noqa: E402,F401
from nasbench_lab.search import zc_warmstart  # noqa: E402,F401

__all__ = ["STRATEGIES", "Observation", "Proposal", "Strategy", "register_strategy"]
