"""CI's skip report, on when ``SMSCLI_SKIP_REPORT=1`` (``.ci/run`` sets it).

After the run it prints how many tests were skipped and each reason with its count, and
fails a run that passed if a skip says CI lacks what it is meant to provide: a tool
("not installed"), the MariaDB or PostgreSQL server, or the vendor documents beside the repository.
"""

from __future__ import annotations

import os
import re
from collections import Counter

import pytest

ENABLED = os.environ.get("SMSCLI_SKIP_REPORT") == "1"  # read at import: tests clear SMSCLI_*
FORBIDDEN = re.compile(
    r"not installed|SMSCLI_TEST_MYSQL_URL is not set|SMSCLI_TEST_PG_URL is not set|shared/spec\) not found"
)


def skip_reasons(config: pytest.Config) -> Counter[str]:
    """Each skip reason of this run with how many tests it skipped."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    reasons: Counter[str] = Counter()
    for report in getattr(reporter, "stats", {}).get("skipped", []):
        longrepr = report.longrepr
        text = str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)
        reasons[text.removeprefix("Skipped: ")] += 1
    return reasons


def forbidden(reasons: Counter[str]) -> list[str]:
    return sorted(r for r in reasons if FORBIDDEN.search(r))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if ENABLED and exitstatus == 0 and forbidden(skip_reasons(session.config)):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    if not ENABLED:
        return
    reasons = skip_reasons(config)
    terminalreporter.section("skip report")
    terminalreporter.write_line(f"{sum(reasons.values())} skipped")
    for reason, count in sorted(reasons.items(), key=lambda item: (-item[1], item[0])):
        terminalreporter.write_line(f"{count:5d}  {reason}")
    for reason in forbidden(reasons):
        terminalreporter.write_line(f"skip report: CI must not skip for: {reason}", red=True)
