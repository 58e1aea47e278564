"""Errors the domain raises; the outer layers decide how to present them."""

from dataclasses import dataclass


class TaskNotFound(Exception):
    """No task with that id belongs to that owner (it may not exist, or belong to someone else)."""


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str


class InvalidInput(Exception):
    """One or more values break the domain's rules; every offending field is listed."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = tuple(errors)


class StoreUnavailable(Exception):
    """The store cannot be reached right now; the request changed nothing and may be retried."""


class VersionMismatch(Exception):
    """The client's precondition (If-Match) names a version the task no longer has; nothing was written."""


class EditConflict(Exception):
    """Other writes kept changing the task while this edit was applied; nothing was written."""


class IdempotencyKeyReused(Exception):
    """The owner already used this idempotency key for a different request."""


class ChangesExpired(Exception):
    """The reader's position is older than the events kept (or is not one this feed handed out):
    it must read the tasks again and follow the feed from there."""


class StoreFull(StoreUnavailable):
    """The store has no room left for writes (a full disk); reads still work, and writes do again
    once space is freed."""


class RelayLost(Exception):
    """Another relay holds the lease now: this one must stop ordering events."""
