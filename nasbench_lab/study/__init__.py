"""Search studies: a TOML spec of strategies x seeds run against a tabular benchmark, and their report.

The rooms, from the spec down to the files: :mod:`~nasbench_lab.study.spec` (typed spec),
:mod:`~nasbench_lab.study.table` (the study's view of a benchmark), :mod:`~nasbench_lab.study.simulator`
(one unit: budget, clock, observations), :mod:`~nasbench_lab.study.results` (unit results and their files),
:mod:`~nasbench_lab.study.runner` (all units, executors, resume), :mod:`~nasbench_lab.study.manifest`,
:mod:`~nasbench_lab.study.report` and :mod:`~nasbench_lab.study.plots` (summary, tables, plots) and
:mod:`~nasbench_lab.study.commands` (the ``nasbench-lab study`` command).
"""
