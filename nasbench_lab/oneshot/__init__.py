"""Weight-sharing NAS on the NB201 supernet: DARTS (V1/V2), GDAS, SETN, ENAS and RSPS, judged by the table.

The rooms: :mod:`~nasbench_lab.oneshot.supernet` (MixedOp, search cell, supernet, derivation),
:mod:`~nasbench_lab.oneshot.context` (weights, data and one-shot scoring shared by every searcher),
:mod:`~nasbench_lab.oneshot.base` (the :class:`Searcher` interface and its registry),
:mod:`~nasbench_lab.oneshot.searchers` (the methods), :mod:`~nasbench_lab.oneshot.spec` (TOML specs),
:mod:`~nasbench_lab.oneshot.engine` (one seed's run), :mod:`~nasbench_lab.oneshot.runner` (seeds on an
executor, resume, the table's verdict), :mod:`~nasbench_lab.oneshot.report` and
:mod:`~nasbench_lab.oneshot.plots` (trajectory, summary, heat maps, op share) and
:mod:`~nasbench_lab.oneshot.commands` (``nasbench-lab oneshot``).
"""
