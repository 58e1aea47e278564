"""Request bodies, decoded strictly into the wire format's structs (and described in the OpenAPI document)."""

from collections.abc import Iterable
from typing import Any, Generic, TypeVar

import msgspec
from litestar.dto import MsgspecDTO
from litestar.exceptions import HTTPException

from adapters.http.nesting import check_nesting
from adapters.wire.schemas import TASK_AS_READ, unknown_fields
from domain.errors import InvalidInput

Body = TypeVar("Body", bound=msgspec.Struct)
JSON_MEDIA_TYPES = (b"application/json", b"application/merge-patch+json")


def _refuse_other_media_types(headers: Iterable[tuple[bytes, bytes]]) -> None:
    """A 415 naming what is accepted when the request declares a body of another media type."""
    for name, value in headers:
        if name == b"content-type":
            declared = value.partition(b";")[0].strip().lower()
            if declared and declared not in JSON_MEDIA_TYPES:
                shown = value.decode("latin-1")
                message = f"{shown!r} is not accepted: send application/json (or application/merge-patch+json), or no Content-Type"
                raise HTTPException(
                    status_code=415,
                    detail=f"The body's media type {message}.",
                    extra=[{"key": "Content-Type", "message": message}],
                )
            return


class StrictJSON(MsgspecDTO[Body], Generic[Body]):
    """Decodes bodies strictly: `"completed": 1` or `"true"` is a wrong type, not a boolean, and a
    field the body does not have is refused (422 naming it), except the other fields of a task as a
    client read it (`id`, `created_at`...), which it may send back and which are ignored.

    Litestar's own decoding is lax; this keeps its OpenAPI description of the body. A body declared
    as something other than JSON (`text/plain`, a form) is a 415; a body declared as nothing is JSON.
    """

    def decode_bytes(self, value: bytes) -> Any:
        if not value.strip():
            raise msgspec.DecodeError("the body is empty; a JSON object is expected")
        _refuse_other_media_types(self.asgi_connection.scope["headers"])
        check_nesting(value)
        try:
            return msgspec.json.decode(value, type=self.model_type, strict=True)
        except UnicodeDecodeError as error:
            raise msgspec.DecodeError(f"the body is not valid UTF-8 ({error.reason})") from None
        except msgspec.ValidationError as error:
            if not str(error).startswith("Object contains unknown field"):
                raise
            return self._without_read_only_fields(value)

    def _without_read_only_fields(self, value: bytes) -> Any:
        # Only bodies with fields beyond the struct's come here, so a plain body is decoded once.
        fields = msgspec.json.decode(value, type=dict[str, msgspec.Raw])
        known = self.model_type.__struct_fields__
        if errors := unknown_fields(fields, known, ignored=TASK_AS_READ):
            raise InvalidInput(errors)
        kept = {name: raw for name, raw in fields.items() if name in known}
        return msgspec.json.decode(msgspec.json.encode(kept), type=self.model_type, strict=True)


class OptionalStrictJSON(StrictJSON[Body], Generic[Body]):
    """As `StrictJSON`, but an empty body (or JSON `null`) means no body at all."""

    def decode_bytes(self, value: bytes) -> Any:
        return super().decode_bytes(value) if value.strip() not in (b"", b"null") else None
