"""The property-based tests' terminal summary: how many cases each run sent, in what time, with what statuses.

Both test files here generate their requests (schemathesis from the OpenAPI document, hypothesis for
hostile input) and count what they send under a name (counting.py); the summary prints the counts,
so a run says how much it tried, not only that it passed.
"""

from typing import Any

from tests.property.counting import CASES, SECONDS, STATUSES


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not CASES:
        return
    terminalreporter.section("generated cases (tests/property)")
    width = max(len(name) for name in CASES)
    for name, sent in CASES.items():
        statuses = " ".join(f"{status}:{n}" for status, n in sorted(STATUSES[name].items()))
        terminalreporter.write_line(f"{name:<{width}}  {sent:>7} cases  {SECONDS[name]:6.1f} s  {statuses}")
    terminalreporter.write_line(f"{'total':<{width}}  {sum(CASES.values()):>7} cases  {sum(SECONDS.values()):6.1f} s")
