"""The instruction budget's rule (bench.instructions --check): more than 3% over a budget fails."""

from bench.instructions import over_budget

BUDGET = {"requests": 200, "stores": {"sqlite": {"get": {"service": 500_000, "floor": 400_000}}}}


def test_a_count_up_to_3_percent_over_its_budget_passes() -> None:
    counts = {"get": {"service": 514_999.0, "floor": 380_000.0}}
    assert over_budget(BUDGET, "sqlite", counts) == []


def test_a_count_more_than_3_percent_over_its_budget_fails_and_is_named() -> None:
    counts = {"get": {"service": 515_001.0, "floor": 412_100.0}}
    over = over_budget(BUDGET, "sqlite", counts)
    assert len(over) == 2
    assert over[0].startswith("sqlite get service: 515,001 instructions, +3.0% over")
    assert over[1].startswith("sqlite get floor")
