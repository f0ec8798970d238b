"""Prometheus metrics (text exposition 0.0.4), computed from the store so every gunicorn worker answers alike.

Each family is one GROUP BY query; histogram buckets are SUM(CASE WHEN value <= bound) columns of that
same query, so a scrape costs a handful of aggregates whatever the table sizes. Labels keep the order
they are declared in (the format of the first /metrics, which dashboards and tests already read), and
label values are escaped as the format asks: backslash, double quote and newline.

The one exception is `webhook_requests_total`: rejected requests (400/401/413) are never stored, so
they are counted in memory by a `RequestCounter`. Those values are per process: under gunicorn each
worker counts its own requests and a scrape sees one worker's numbers (use `rate()` and the `instance`
label with care, or move to prometheus_client's multiprocess mode if that matters).
"""
from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.engine import Engine

from app.models import BlipCall, Conversation, DeadLetter, InboxEvent, RoutingDecision, Ticket
from handlers.ticket_life import ACTIVE

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
GREETING_BUCKETS_MS = (100, 250, 500, 1000, 2500, 5000, 10000)  # le 0.1 … 10 seconds
FIRST_RESPONSE_BUCKETS_S = (15, 30, 60, 120, 300, 600, 1200, 1800)
# A transferred ticket keeps closed_at empty (the ticket the transfer created carries on), so "open"
# is by status, as handlers/tpr.py polls them.
OPEN_STATUSES = tuple(ACTIVE)


class RequestCounter:
    """Webhook HTTP requests by endpoint and status, counted in this process only (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter = Counter()

    def count(self, endpoint: str, status: int | str) -> None:
        """Add one request that got `status` on `endpoint` (use the route rule, not the raw path)."""
        with self._lock:
            self._counts[(endpoint, str(status))] += 1

    def snapshot(self) -> dict[tuple[str, str], int]:
        """A copy of the counts: (endpoint, status) → requests."""
        with self._lock:
            return dict(self._counts)


@dataclass
class Family:
    """One metric family: its name (with `_total` for counters), type, help, and (name, labels, value) samples."""

    name: str
    kind: str  # counter | gauge | histogram
    help: str
    samples: list = field(default_factory=list)


def render_metrics(engine: Engine, requests: RequestCounter | None = None) -> str:
    """Every family in Prometheus text format; `requests` adds this process's webhook request counts."""
    with engine.connect() as conn:
        families = store_families(conn)
    if requests is not None:
        family = Family("webhook_requests_total", "counter", "Webhook HTTP requests by endpoint and status "
                        "(this process only; rejected requests are not stored).")
        family.samples = [("webhook_requests_total", (("endpoint", endpoint), ("status", status)), count)
                          for (endpoint, status), count in sorted(requests.snapshot().items())]
        families.append(family)
    return format_families(families)


def store_families(conn) -> list[Family]:
    """The metric families read from the store over `conn`."""
    return [
        _counter(conn, "blip_webhook_events", "Webhook events by kind, type and status.",
                 (InboxEvent.kind, InboxEvent.event_type, InboxEvent.status), ("kind", "type", "status")),
        _counter(conn, "blip_calls", "Calls to Blip by purpose and status.",
                 (BlipCall.purpose, BlipCall.status), ("purpose", "status")),
        _counter(conn, "dead_letters", "Dead letters by source and status.",
                 (DeadLetter.source, DeadLetter.status), ("source", "status")),
        _histogram(conn, "greeting_latency_seconds", "Bot clock: customer's first message to our greeting.",
                   Conversation.greeting_latency_ms, GREETING_BUCKETS_MS, scale=1000),
        _histogram(conn, "human_first_response_seconds", "Human clock: ticket waiting to the first agent reply.",
                   Ticket.first_response_seconds, FIRST_RESPONSE_BUCKETS_S, by=(Ticket.team,), labels=("team",)),
        _counter(conn, "tpr_breaches", "Tickets whose first response went past the TPR target, by team.",
                 (Ticket.team,), ("team",), Ticket.breached_at.is_not(None)),
        _counter(conn, "routing_decisions", "Routing decisions by intent, team and mode.",
                 (RoutingDecision.intent, RoutingDecision.team, RoutingDecision.mode), ("intent", "team", "mode")),
        _counter(conn, "ticket_overrides", "Tickets an agent moved away from the bot's team.",
                 (Ticket.bot_team, func.coalesce(Ticket.transferred_to, Ticket.team)), ("bot_team", "team"),
                 Ticket.override.is_(True)),
        _counter(conn, "blip_call_errors", "Blip calls that failed for good, by purpose and HTTP status.",
                 (BlipCall.purpose, BlipCall.http_status), ("purpose", "http_status"), BlipCall.status == "dead"),
        _grouped(conn, Family("tickets_open", "gauge", "Tickets in attendance (waiting, assigned, open), by team."),
                 (Ticket.team,), ("team",), Ticket.closed_at.is_(None) & Ticket.status.in_(OPEN_STATUSES)),
    ]


def format_families(families: list[Family]) -> str:
    """The text exposition format 0.0.4 of `families`."""
    lines = []
    for family in families:
        lines += [f"# HELP {family.name} {_escape_help(family.help)}", f"# TYPE {family.name} {family.kind}"]
        for name, labels, value in family.samples:
            pairs = ",".join(f'{label}="{_escape(value)}"' for label, value in labels)
            lines.append(f"{name}{{{pairs}}} {_number(value)}" if pairs else f"{name} {_number(value)}")
    return "\n".join(lines) + "\n"


def _counter(conn, name: str, doc: str, columns: tuple, labels: tuple, where=None) -> Family:
    return _grouped(conn, Family(f"{name}_total", "counter", doc), columns, labels, where)


def _grouped(conn, family: Family, columns: tuple, labels: tuple, where=None) -> Family:
    """One sample per group of `columns`: the count of rows matching `where`."""
    query = select(*columns, func.count()).group_by(*columns)
    for *values, count in conn.execute(query if where is None else query.where(where)):
        family.samples.append((family.name, tuple(zip(labels, map(_text, values))), count))
    return family


def _histogram(conn, name: str, doc: str, column, bounds: tuple, *, scale: float = 1, by: tuple = (),
               labels: tuple = ()) -> Family:
    """Cumulative buckets `le=bound/scale` of `column`; `scale` turns stored units into seconds."""
    family = Family(name, "histogram", doc)
    per_bucket = [func.sum(case((column <= bound, 1), else_=0)) for bound in bounds]
    query = select(*by, func.count(column), func.sum(column), *per_bucket).where(column.is_not(None))
    for row in conn.execute(query.group_by(*by) if by else query):
        values, (count, total), cumulative = row[:len(by)], row[len(by):len(by) + 2], row[len(by) + 2:]
        group = tuple(zip(labels, map(_text, values)))
        les = [*(repr(float(bound / scale)) for bound in bounds), "+Inf"]  # 1 -> "1.0", as client libraries write
        for le, n in zip(les, [*cumulative, count]):
            family.samples.append((f"{name}_bucket", (*group, ("le", le)), int(n or 0)))
        family.samples += [(f"{name}_sum", group, float(total or 0) / scale), (f"{name}_count", group, count)]
    return family


def _text(value) -> str:
    """Label values as text; a missing value (no team, no HTTP status) becomes the empty string."""
    return "" if value is None else str(value)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value) -> str:
    return str(value) if isinstance(value, int) else repr(float(value))
