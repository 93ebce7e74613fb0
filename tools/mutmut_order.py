"""A pytest plugin for ``make mutants`` (``[tool.mutmut] pytest_add_cli_args``): fast tests first.

mutmut runs, for each mutant, the tests that reach the mutated function, with
``-x``: the first failing test kills the mutant and ends the run. Running the
unit tests of the rules (``tests/model/test_rules_*.py``) before the tests that
simulate a district, and the golden runs last, makes a killed mutant cost
seconds instead of a minute. The order of tests does not change what they
check; outside ``make mutants`` this plugin is not loaded.
"""

from __future__ import annotations

import pytest


def _rank(item: pytest.Item) -> int:
    path = item.nodeid.split("::")[0]
    if "/test_rules_" in path:
        return 0
    if path.endswith("test_golden.py"):
        return 2
    return 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_rank)  # stable: the files' own order within each rank
