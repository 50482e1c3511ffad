"""Multi-objective search strategies (see ``docs/multiobjective.md``).

Importing this package registers them in :data:`nasbench_lab.search.base.STRATEGIES`; each has
``multi_objective = True`` and is told :class:`~nasbench_lab.search.multiobjective.base.VectorObservation`.
"""

from nasbench_lab.search.multiobjective import bo, evolution  # noqa: F401  (registers the strategies)
from nasbench_lab.search.multiobjective.base import MOStrategy, VectorObservation

__all__ = ["MOStrategy", "VectorObservation"]
