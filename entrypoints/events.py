"""`todo events`: what an operator does to the sinks task events are delivered to."""

import base64
import os

from domain.store import EventRelayLog
from entrypoints.container import Container


def new_webhook_secret() -> str:
    """A TODO_EVENTS_WEBHOOK_SECRET: 32 random bytes, as the Standard Webhooks libraries read a key."""
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


async def drop_sink(container: Container, name: str) -> bool:
    """Forget the sink's progress, so retention keeps no event for it any more; whether it was known."""
    store = container.store()
    await store.open()
    try:
        log: EventRelayLog = container.relay_log()
        return await log.drop_sink(name)
    finally:
        await store.close()
