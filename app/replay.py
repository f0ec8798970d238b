"""`route --replay`: what the current playbooks would decide for the conversations already in the store.

Each stored decision is re-run with its own inputs (the customer text it classified and the
semáforo it saw), so the difference shows only the effect of the playbook edit.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta

from sqlmodel import Session, select

import playbooks
from app.models import RoutingDecision

SINCE = re.compile(r"^(\d+)([dhm])$")
EXAMPLES_PER_CHANGE = 3


def parse_since(value: str, now: datetime) -> datetime:
    """'30d', '12h' or '90m' → the datetime that long before `now`."""
    match = SINCE.match(value.strip())
    if not match:
        raise ValueError(f"--since {value!r}: use a number followed by d, h or m (e.g. 30d)")
    units = {"d": "days", "h": "hours", "m": "minutes"}
    return now - timedelta(**{units[match.group(2)]: int(match.group(1))})


def replay(session: Session, books: playbooks.Playbooks, since: datetime) -> dict:
    """Compare stored decisions since `since` with the current playbooks' decisions."""
    rows = session.exec(select(RoutingDecision).where(RoutingDecision.decided_at >= since)
                        .order_by(RoutingDecision.decided_at)).all()
    per_team = defaultdict(Counter)
    examples = defaultdict(list)
    for row in rows:
        light = playbooks.TrafficLight(row.traffic_light, row.traffic_light_code or _code(books, row))
        new = playbooks.route(books, light, playbooks.classify(books, row.text or ""))
        change = (row.team, new.team, row.intent, new.intent, row.mode, new.mode)
        changed = row.team != new.team or row.intent != new.intent or row.mode != new.mode
        per_team[row.team]["decisions"] += 1
        per_team[row.team]["changed"] += changed
        if changed and len(examples[change]) < EXAMPLES_PER_CHANGE:
            examples[change].append({"conversation_id": row.conversation_id, "text": (row.text or "")[:160]})
    changes = [{"from_team": c[0], "to_team": c[1], "from_intent": c[2], "to_intent": c[3], "from_mode": c[4],
                "to_mode": c[5], "examples": found} for c, found in examples.items()]
    return {"since": since.isoformat(), "decisions": len(rows), "changed": sum(t["changed"] for t in per_team.values()),
            "per_team": {team: dict(counts) for team, counts in sorted(per_team.items())}, "changes": changes}


def format_replay(result: dict) -> str:
    """A readable summary of `replay()`."""
    lines = [f"decisions since {result['since'][:19]}: {result['decisions']}, would change: {result['changed']}", ""]
    lines.append(f"{'queue (as decided)':40} {'decisions':>9} {'would change':>13}")
    for team, counts in result["per_team"].items():
        lines.append(f"{team:40} {counts['decisions']:>9} {counts.get('changed', 0):>13}")
    for change in result["changes"]:
        lines += ["", f"{change['from_team']} ({change['from_intent']}, {change['from_mode']}) → "
                      f"{change['to_team']} ({change['to_intent']}, {change['to_mode']}):"]
        lines += [f"  #{example['conversation_id']}: {example['text']}" for example in change["examples"]]
    return "\n".join(lines)


def _code(books: playbooks.Playbooks, row: RoutingDecision) -> str:
    """Decisions stored before the reason code was kept: find it from the reason text."""
    reasons = books.traffic_light.reasons.model_dump()
    return next((code for code, text in reasons.items() if text == row.traffic_light_reason), "apto")
