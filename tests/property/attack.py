"""One hostile-input run on one store: the catalogue, then random requests, then the victims' data checked.

Around the run, the victims' tasks are read back (list, and each task with its ETag) and must be
identical; replaying their creation with the same Idempotency-Key must still answer the very task
it created. Every finding of the run is reported at the end, not only the first.
"""

import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from tests.property.catalogue import catalogue
from tests.property.counting import STATUSES, count_cases
from tests.property.hostile import hostile_requests
from tests.property.oracle import Findings, aims_at_a_victim, violations
from tests.property.wire import Hostile, ServerLog
from tests.property.world import VICTIM_TASKS, VICTIMS, create_task, world_on


def _diff(before: dict[str, Any], after: dict[str, Any]) -> str:
    changed = sorted(key for key in before.keys() | after.keys() if before.get(key) != after.get(key))
    return "\n".join(f"{key}:\n  before {before.get(key)!r:.500}\n  after  {after.get(key)!r:.500}" for key in changed)


def attack(database_url: str, examples: int, name: str, record_property: Any) -> None:
    log = ServerLog()
    quiet = logging.getLogger("httpx")  # the set-up's own requests through the TestClient: one INFO line each
    level = quiet.level
    quiet.setLevel(logging.WARNING)
    try:
        with world_on(database_url) as world, count_cases(name, record_property) as count:
            logging.getLogger().addHandler(log)  # after the app is built: building it configures logging
            before = world.snapshot()
            findings = Findings()

            def check(plan: Hostile) -> None:
                if aims_at_a_victim(plan):
                    return  # the victims' own paths are theirs to use; the run is about everyone else
                log.take()
                request, answer = world.send(plan)
                count()
                STATUSES[name][answer.status] += 1
                problems = violations(request, answer, world)
                if problems:
                    findings.add(request, answer, problems, log.take())

            @settings(
                max_examples=examples,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(plan=hostile_requests(world))
            def one_request(plan: Hostile) -> None:
                check(plan)

            for plan in catalogue(world):
                check(plan)
            one_request()
            after = world.snapshot()
            replays = []
            for owner in VICTIMS:
                for i, (body, task) in enumerate(zip(VICTIM_TASKS, world.victim_tasks[owner], strict=True)):
                    again = create_task(world.client, owner, body, f"victim-key-{i}")
                    if again != task:
                        replays.append(f"{owner} victim-key-{i}: first {task!r:.300}, replay {again!r:.300}")
            unchanged = world.snapshot()
        failures = []
        if before != after:
            failures.append("The victims' data changed during the run:\n" + _diff(before, after))
        if replays:
            failures.append("Replaying a victim's creation no longer answers its task:\n" + "\n".join(replays))
        if after != unchanged:
            failures.append("Replaying the victims' creations changed their data:\n" + _diff(after, unchanged))
        if findings.groups:
            failures.append(findings.report())
        if failures:
            pytest.fail("\n\n".join(failures), pytrace=False)
    finally:
        logging.getLogger().removeHandler(log)
        quiet.setLevel(level)
