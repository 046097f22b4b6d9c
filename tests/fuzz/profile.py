"""Hypothesis profiles of the fuzz targets (tests/fuzz/), chosen by ``pytest --fuzz-long``.

``fuzz-ci`` (the default): a bounded number of examples per target, derandomized so that CI
runs the same examples every time. ``fuzz-long``: 25 times as many (at least 5000), random,
for a run by hand. The profiles apply to the fuzz targets only (``settings_for``), not to the
rest of the suite's Hypothesis tests.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

CI, LONG = "smscli-fuzz-ci", "smscli-fuzz-long"
_CHECKS = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large,
           HealthCheck.filter_too_much, HealthCheck.large_base_example]
settings.register_profile(CI, max_examples=200, deadline=None, derandomize=True,
                          suppress_health_check=_CHECKS, database=None, print_blob=True)
settings.register_profile(LONG, max_examples=5000, deadline=None, derandomize=False,
                          suppress_health_check=_CHECKS, print_blob=True)
_current = CI


def select(*, long: bool) -> None:
    """Called by tests/conftest.py's pytest_configure."""
    global _current
    _current = LONG if long else CI


def is_long() -> bool:
    return _current == LONG


def settings_for(examples: int) -> settings:
    """The settings of one target: ``examples`` in CI, 25× (at least 5000) with --fuzz-long."""
    n = max(5000, examples * 25) if is_long() else examples
    return settings(settings.get_profile(_current), max_examples=n)
