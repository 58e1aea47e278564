"""schemathesis's tests get node ids of their own, one per API operation, as they had before pytest 9.

pytest 9 builds a test's node id from the function's name and its parametrize ids; schemathesis makes
one item per operation with the operation in the item's name only, so all of them shared one node id.
pytest-xdist tells tests apart by node id: it would run one of them and drop the others.
"""

import pytest
from schemathesis.pytest.plugin import SchemathesisFunction


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if isinstance(item, SchemathesisFunction) and item.nodeid != f"{item.parent.nodeid}::{item.name}":
            item._id = item._id.with_params(item.operation_label)
