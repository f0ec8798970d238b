"""Routing a conversation after the greeting: traffic light, intent, Desk hand-off."""
from __future__ import annotations


def route(ctx, conversation, event) -> None:
    """Decide where the conversation goes and hand it to Blip Desk (filled in by the routing feature)."""
    return None
