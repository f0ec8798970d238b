"""Retry timing for the Blip client: exponential backoff with jitter, and Retry-After parsing."""

import random
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

JITTER_FRACTION = 0.1


def backoff_delay(attempt: int, *, base: float, maximum: float) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based), with small jitter."""
    delay = min(maximum, base * (2 ** (attempt - 1)))
    # Jitter spreads retries of many workers that failed at the same moment.
    return min(maximum, delay + random.uniform(0, delay * JITTER_FRACTION))


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Parse Retry-After (delta seconds or HTTP-date) into seconds; None if absent or invalid."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())
