"""Search studies: a TOML spec of strategies x seeds run against a tabular benchmark, and their report.

The rooms, from the spec down to the files: :mod:`~nasbench_lab.study.spec` (typed spec),
:mod:`~nasbench_lab.study.table` (the study's view of a benchmark), :mod:`~nasbench_lab.study.simulator`
(one unit: budget, clock, observations), :mod:`~nasbench_lab.study.results` (unit results and their files),
:mod:`~nasbench_lab.study.runner` (all units, executors) and :mod:`~nasbench_lab.study.rerun` (a folder
that already holds a study), :mod:`~nasbench_lab.study.manifest`, :mod:`~nasbench_lab.study.report` and
:mod:`~nasbench_lab.study.plots` (summary, tables, plots), :mod:`~nasbench_lab.study.folder` (an output folder
read back), :mod:`~nasbench_lab.study.frame` (results as a DataFrame), :mod:`~nasbench_lab.study.compare`
(several studies in one table and plot) and :mod:`~nasbench_lab.study.commands` (the ``nasbench-lab study``
command).

Results of finished studies load as one pandas DataFrame with :func:`load_results` (pandas is imported
when it is called; importing this package loads neither pandas nor matplotlib).
"""

from nasbench_lab.study.frame import RESULT_COLUMNS, load_results

__all__ = ["RESULT_COLUMNS", "load_results"]
