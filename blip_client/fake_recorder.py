"""The fake server's request log: every Blip API request it received, in arrival order."""

import threading
from dataclasses import asdict, dataclass
from urllib.parse import unquote


@dataclass
class RecordedRequest:
    """One request as received; ``status`` is filled in once the fake has answered."""

    method: str
    path: str
    headers: dict
    json: object
    received_at: float
    status: int | None = None

    def to_dict(self) -> dict:
        """JSON-friendly form (used by ``GET /_fake/requests``)."""
        return asdict(self)


class Recorder:
    """Thread-safe, append-only list of RecordedRequest."""

    def __init__(self):
        self._lock = threading.Lock()
        self._items: list[RecordedRequest] = []

    def add(self, record: RecordedRequest) -> RecordedRequest:
        """Append a record and return it."""
        with self._lock:
            self._items.append(record)
        return record

    def all(self) -> list[RecordedRequest]:
        """A snapshot of all records."""
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        """Forget all records."""
        with self._lock:
            self._items.clear()

    def for_path(self, path: str, *, accepted_only=False) -> list[RecordedRequest]:
        """Records of requests to ``path`` (only those answered 2xx if ``accepted_only``)."""
        return [r for r in self.all() if r.path == path
                and (not accepted_only or (r.status is not None and 200 <= r.status < 300))]

    def commands(self, *, uri_contains=None, method=None) -> list[RecordedRequest]:
        """Records of commands received, optionally filtered by URI substring and method."""
        found = []
        for record in self.for_path("/commands"):
            body = record.json if isinstance(record.json, dict) else {}
            uri = str(body.get("uri", ""))
            if uri_contains and uri_contains not in uri and uri_contains not in unquote(uri):
                continue
            if method and str(body.get("method", "")).lower() != method.lower():
                continue
            found.append(record)
        return found
