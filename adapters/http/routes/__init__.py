"""The HTTP routes, one module per resource; each route parses the request, calls one use case and
shapes the answer."""

from typing import TypeVar

from litestar import Controller

C = TypeVar("C", bound=type[Controller])


def bound(controller: C, **attributes: object) -> C:
    """The controller's subclass that holds what its routes call (a use case object, settings), handed
    to it once when the app is built: resolving them as Litestar dependencies on every request instead
    costs a measurable share of a `get` (`python -m bench.in_process`)."""
    return type(controller.__name__, (controller,), attributes)  # type: ignore[return-value]
