"""Benchmarks: casewatch side by side with a baseline measured in the same run (see README.md).

Not part of the default test run; ``tests/test_benchmarks_smoke.py`` runs each one at a tiny size.
"""
