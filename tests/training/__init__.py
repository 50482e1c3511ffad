"""Tests of nasbench_lab/training/ (a package, so its test module names may repeat other folders')."""
