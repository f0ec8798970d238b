"""Scripted faults and optional rate limiting for the fake server (blip-api.md §8.1, §9)."""

import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from urllib.parse import unquote

FAULT_PATHS = ("/messages", "/notifications", "/commands")


@dataclass
class Fault:
    """What to do to the next ``times`` matching requests."""

    path: str
    status: int | None = None
    command_failure: tuple[int, str] | None = None
    delay: float | None = None
    times: int = 1
    retry_after: str | None = None
    uri_contains: str | None = None
    notify_failed: tuple[int, str] | None = None

    def matches(self, path: str, body) -> bool:
        """True if this fault applies to a request to ``path`` with this JSON body."""
        if path != self.path:
            return False
        if self.uri_contains is None:
            return True
        uri = body.get("uri", "") if isinstance(body, dict) else ""
        return self.uri_contains in str(uri) or self.uri_contains in unquote(str(uri))

    def to_dict(self) -> dict:
        """JSON-friendly form."""
        return asdict(self)


def make_fault(path, *, status=None, command_failure=None, delay=None, times=1,
               retry_after=None, uri_contains=None, notify_failed=None) -> Fault:
    """Validate the options of ``FakeBlip.fail`` and build a Fault (ValueError if inconsistent)."""
    if path not in FAULT_PATHS:
        raise ValueError(f"path must be one of {FAULT_PATHS}")
    if status is None and command_failure is None and delay is None and notify_failed is None:
        raise ValueError("give status, command_failure, delay or notify_failed")
    if status is not None and not (isinstance(status, int) and 400 <= status <= 599):
        raise ValueError("status must be an HTTP error status (400-599)")
    if (command_failure is not None or uri_contains is not None) and path != "/commands":
        raise ValueError("command_failure and uri_contains apply to /commands only")
    if notify_failed is not None and path != "/messages":
        raise ValueError("notify_failed applies to /messages only")
    if not isinstance(times, int) or times < 1:
        raise ValueError("times must be a positive integer")
    return Fault(path=path, status=status, delay=float(delay) if delay is not None else None,
                 command_failure=_reason(command_failure), times=times,
                 retry_after=str(retry_after) if retry_after is not None else None,
                 uri_contains=uri_contains, notify_failed=_reason(notify_failed))


class FaultPlan:
    """Pending faults, consumed in the order they were added."""

    def __init__(self):
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue a fault."""
        with self._lock:
            self._faults.append(fault)

    def take(self, path: str, body) -> Fault | None:
        """Consume one use of the first fault matching this request, if any."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(path, body):
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[Fault]:
        """Faults not used up yet."""
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        """Drop all pending faults."""
        with self._lock:
            self._faults.clear()


class RateLimiter:
    """Per-path limit of requests per second over a sliding one-second window."""

    def __init__(self, limits: dict[str, int] | None = None):
        self._limits = dict(limits or {})
        self._lock = threading.Lock()
        self._seen: dict[str, deque] = {}

    def allow(self, path: str) -> bool:
        """Record a request to ``path``; False when it exceeds the configured rate."""
        limit = self._limits.get(path)
        if not limit:
            return True
        now = time.monotonic()
        with self._lock:
            window = self._seen.setdefault(path, deque())
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= limit:
                return False
            window.append(now)
            return True


def _reason(value) -> tuple[int, str] | None:
    if value is None:
        return None
    code, description = value
    return int(code), str(description)
