"""GET /api/{user_id}/events through the real app: what it answers before a stream starts.

The stream itself (200, its messages, resuming, the limit on open streams, shutdown) is tested on
the real server: tests/e2e/test_event_stream.py.
"""

import pytest
from litestar.testing import TestClient


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        ("?after=abc", {}),
        ("?after=-1", {}),
        ("?after=1.5", {}),
        ("?after=99999999999999999999", {}),
        ("?after=0001", {}),
        (f"?after={'9' * 5000}", {}),
        ("", {"Last-Event-ID": "9" * 5000}),
        ("", {"Last-Event-ID": "1~1"}),
        ("", {"Last-Event-ID": "x1"}),
        ("?after=1", {"Last-Event-ID": "nope"}),
    ],
)
def test_a_position_not_handed_out_is_a_400_naming_it(
    client: TestClient, user: str, query: str, headers: dict[str, str]
) -> None:
    response = client.get(f"/api/{user}/events{query}", headers=headers)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    named = "Last-Event-ID" if headers else "after"
    assert [error["field"] for error in response.json()["errors"]] == [named]


def test_a_position_the_feed_cannot_resume_from_is_410(store_client: TestClient, user: str) -> None:
    store_client.post(f"/api/{user}/tasks", json={"title": "one event"})
    for position in ("2", "7"):
        response = store_client.get(f"/api/{user}/events", params={"after": position})
        assert response.status_code == 410
        assert response.json()["status"] == 410
    resumed = store_client.get(f"/api/{user}/events", headers={"Last-Event-ID": "5"})
    assert resumed.status_code == 410


def test_an_owner_that_breaks_the_rules_is_a_422(client: TestClient) -> None:
    response = client.get(f"/api/{'u' * 129}/events")
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["user_id"]
