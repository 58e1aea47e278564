"""How deeply a JSON body nests, checked before a decoder recurses into it (and may run out of stack)."""

import itertools
import re

MAX_JSON_DEPTH = 32  # a task needs 2 (the object, its tags); ignored fields may nest up to this


class TooDeeplyNested(ValueError):
    """A JSON body nests arrays and objects deeper than MAX_JSON_DEPTH."""


_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def check_nesting(body: bytes, limit: int = MAX_JSON_DEPTH) -> None:
    """Raises TooDeeplyNested when `body` nests deeper than `limit`; cheap for bodies with few brackets."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    if max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0) > limit:
        raise TooDeeplyNested(f"the body nests arrays and objects deeper than {limit} levels")
