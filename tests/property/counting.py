"""How much the property-based tests sent: requests, seconds and answers by status, under a name per run.

The terminal summary (summary.py) prints these counts, so a run says how much it tried, not only
that it passed; `count_cases` also records them in the junit XML of a test (`record_property`).
"""

import time
from collections import Counter, defaultdict
from typing import Any, Self

# name -> requests sent, seconds spent, and answers by status code, filled by the tests of this folder.
CASES: Counter[str] = Counter()
SECONDS: defaultdict[str, float] = defaultdict(float)
STATUSES: dict[str, Counter[int]] = defaultdict(Counter)


class count_cases:  # (a context manager, named like the statement it reads as)
    """Counts the cases one test sends, and the time it takes, under `name`.

    with count_cases("fuzz[memory]", record_property) as count:
        ... count() for every request sent ...
    """

    def __init__(self, name: str, record_property: Any = None) -> None:
        self.name = name
        self.record_property = record_property
        self.sent = 0

    def __call__(self, n: int = 1) -> None:
        self.sent += n
        CASES[self.name] += n

    def __enter__(self) -> Self:
        self.started = time.monotonic()
        return self

    def __exit__(self, *_: object) -> None:
        SECONDS[self.name] += time.monotonic() - self.started
        print(f"\n{self.name}: {self.sent} cases in {time.monotonic() - self.started:.1f} s")
        if self.record_property is not None:
            self.record_property("generated_cases", self.sent)
