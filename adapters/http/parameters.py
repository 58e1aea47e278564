"""Query parameters and headers beyond what Litestar checks: none the route does not take, whole numbers
in their one spelling, and the positions and tokens the service hands out."""

import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar

from litestar import Request
from litestar.exceptions import ValidationException

from adapters.wire.schemas import unknown_fields
from domain.errors import InvalidInput

T = TypeVar("T")


async def refuse_unknown_query_parameters(request: Request[Any, Any, Any]) -> None:
    """A `before_request` hook: a query parameter the route does not take is a 400 naming it and the
    known ones, so that a filter a client believes it applied is never silently dropped; a whole
    number in another spelling (`1.0`, `1e2`, `01`), which Litestar would take, is a 400 too."""
    if not request.scope["query_string"]:
        return
    known, whole_numbers = _query_parameters(request.route_handler, tuple(request.path_params))
    if errors := unknown_fields(dict.fromkeys(request.query_params), known):
        names = ", ".join(f"`{error.field}`" for error in errors)
        takes = f"takes {', '.join(known)}" if known else "takes no query parameters"
        detail = f"Unknown query parameter {names}; this endpoint {takes}."
        raise ValidationException(detail, extra=[{"key": e.field, "message": e.message} for e in errors])
    for name in whole_numbers:
        if any(not _WHOLE_NUMBER.fullmatch(value) for value in request.query_params.getall(name, ())):
            message = "must be a whole number written in digits alone, such as 100"
            raise ValidationException(f"{name} {message}", extra=[{"key": name, "message": message}])


_WHOLE_NUMBER = re.compile(r"0|-?[1-9][0-9]{0,17}")


@functools.cache
def _query_parameters(handler: Any, path_parameters: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    # The query parameters Litestar itself reads for this route, in the order they are declared, and
    # those of them it reads as integers.
    model = handler.create_kwargs_model(path_parameters=dict.fromkeys(path_parameters))
    declared = handler.parsed_fn_signature.parameters
    names = {parameter.field_alias: parameter.field_name for parameter in model.expected_query_params}
    order = list(declared)
    known = tuple(sorted(names, key=lambda alias: order.index(names[alias]) if names[alias] in order else 0))
    whole_numbers = tuple(alias for alias in known if declared[names[alias]].annotation is int)
    return known, whole_numbers


def parsed_parameter(name: str, raw: str, parse: Callable[[str, str], T]) -> T:
    """A position or token the client sent back, parsed; one this service does not hand out is a bad
    query parameter (or header): 400, as a bad page cursor of the task list is."""
    try:
        return parse(raw, name)
    except InvalidInput as error:
        problems = [{"key": e.field, "message": e.message} for e in error.errors]
        raise ValidationException(f"{name} {error.errors[0].message}", extra=problems) from None
