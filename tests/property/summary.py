"""The property-based tests' terminal summary: how many cases each run sent, in what time, with what statuses.

Both test files here generate their requests (schemathesis from the OpenAPI document, hypothesis for
hostile input) and count what they send under a name (counting.py); the summary prints the counts,
so a run says how much it tried, not only that it passed.

A plugin (named in tests/conftest.py) rather than this folder's conftest.py: under pytest-xdist the
tests run in worker processes, each hands its counts over as it finishes, and only the controlling
process prints a summary; it collects no tests, so it would never load this folder's conftest.py.
"""

from typing import Any

import pytest

from tests.property.counting import CASES, SECONDS, STATUSES


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)  # set in a pytest-xdist worker only
    if workeroutput is not None:
        workeroutput["generated_cases"] = {name: (CASES[name], SECONDS[name], dict(STATUSES[name])) for name in CASES}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """A worker has finished: add its counts to this process's."""
    counted: dict[str, tuple[int, float, dict[int, int]]] = getattr(node, "workeroutput", {}).get("generated_cases", {})
    for name, (sent, seconds, statuses) in counted.items():
        CASES[name] += sent
        SECONDS[name] += seconds
        STATUSES[name].update(statuses)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not CASES:
        return
    terminalreporter.section("generated cases (tests/property)")
    width = max(len(name) for name in CASES)
    for name, sent in CASES.items():
        statuses = " ".join(f"{status}:{n}" for status, n in sorted(STATUSES[name].items()))
        terminalreporter.write_line(f"{name:<{width}}  {sent:>7} cases  {SECONDS[name]:6.1f} s  {statuses}")
    terminalreporter.write_line(f"{'total':<{width}}  {sum(CASES.values()):>7} cases  {sum(SECONDS.values()):6.1f} s")
