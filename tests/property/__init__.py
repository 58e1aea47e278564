"""Property-based tests: generated requests, judged by promises that hold for every answer.

`test_openapi_conformance.py` drives the service with schemathesis from its OpenAPI document;
`test_hostile_input.py` with hostile requests from Hypothesis, through a harness of its own:

- `wire.py`: requests as an ASGI server hands them over, and the answers;
- `world.py`: the victims, the attacker and its tasks, and snapshots of what the victims can read;
- `hostile.py`: the strategies for hostile requests and the hand-picked values they draw from;
- `catalogue.py`: every hand-picked value once at every place it fits;
- `oracle.py`: what every answer must be, and the findings of a run;
- `attack.py`: one run on one store.

Both check error answers with `problems.py` and count their cases with `counting.py`.
"""
