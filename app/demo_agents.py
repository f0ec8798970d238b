"""The demo's second act: Desk agents at work, then the TPR report and its chart.

Each sample conversation may carry an `agent` script (samples/conversations.json): when an agent
takes the ticket, replies, and how the attendance ends. The fake Blip plays those actions and pushes
the events Blip would; a conversation without a script is left waiting, so its ticket misses the
first-response target. Times are in seconds after the hand-off (the demo compresses the clock).
"""
from __future__ import annotations

import time
from datetime import timedelta

from sqlmodel import select

from app import reports
from app.cli_report import tpr_options
from app.models import RoutingDecision, Ticket
from app.store import session_scope

AGENT = "carla.mendes%40radiomemory.com.br@blip.ai"


def play(fake, rt, samples: list[dict]) -> list[str]:
    """Run every sample's agent script against its ticket; return the ticket ids involved."""
    actions, tickets = [], []
    for sample in samples:
        ticket_id = _ticket_of(rt, sample["from"])
        tickets.append(ticket_id)
        script = sample.get("agent")
        if not script or not ticket_id:
            continue
        if "take_after" in script:
            actions.append((script["take_after"], "take", ticket_id, None))
        if "reply_after" in script:
            actions.append((script["reply_after"], "reply", ticket_id, None))
        end_at = script.get("close_after", max(script.get("reply_after", 0), script.get("take_after", 0)) + 1)
        actions.append((end_at, script["then"], ticket_id, None))
    started = time.monotonic()
    for at, action, ticket_id, _ in sorted(actions, key=lambda a: a[0]):
        time.sleep(max(0.0, started + at - time.monotonic()))
        _act(fake, action, ticket_id)
    return [t for t in tickets if t]


def _act(fake, action: str, ticket_id: str) -> None:
    if action == "take":
        fake.agent_take(ticket_id, AGENT)
    elif action == "reply":
        fake.agent_reply(ticket_id, "Olá! Aqui é a Carla, da Radio Memory. Já estou vendo o seu caso.")
    elif action == "close":
        fake.agent_close(ticket_id)
    elif action == "client_close":
        fake.client_close(ticket_id)
    elif action.startswith("transfer:"):
        fake.agent_transfer(ticket_id, action.split(":", 1)[1])


def _ticket_of(rt, identity: str) -> str | None:
    with session_scope(rt.engine) as session:
        query = (select(RoutingDecision.ticket_id).join(Ticket, Ticket.id == RoutingDecision.ticket_id)
                 .where(Ticket.customer_identity == identity))
        return session.exec(query).first()


def show_tickets(rt) -> None:
    """One line per ticket the bot opened: team, status, both clocks, class, breach, override."""
    with session_scope(rt.engine) as session:
        rows = session.exec(select(Ticket).order_by(Ticket.created_at)).all()
    print(f"{'ticket':>7}  {'team':30} {'status':16} {'bot clock':>9} {'human clock':>11} {'class':11} notes")
    for t in rows:
        notes = [f"closed by {t.closed_by}" if t.closed_by else "",
                 "TPR missed (tagged tpr:estourado)" if t.breached_at else "",
                 f"override: {t.bot_team} → {t.transferred_to}" if t.override else "",
                 f"→ {t.transferred_to}" if t.transferred_to and not t.override else ""]
        human = f"{t.first_response_seconds:.1f} s" if t.first_response_seconds is not None else "-"
        bot = f"{t.bot_clock_ms:.0f} ms" if t.bot_clock_ms is not None else "-"
        print(f"#{t.sequential_id or '?':>6}  {(t.team or '-'):30} {t.status:16} {bot:>9} {human:>11} "
              f"{(t.wait_class or '-'):11} {'; '.join(n for n in notes if n)}")


def report(rt, png_path) -> None:
    """Print `report tpr` for the demo's tickets and draw its chart."""
    now = rt.clock()
    with session_scope(rt.engine) as session:
        figures = reports.tpr_report(session, since=now - timedelta(days=1), until=now + timedelta(minutes=1),
                                     **tpr_options(rt))
    print(reports.format_tpr(figures))
    reports.render_tpr_png(figures, png_path)
    print(f"\nchart written to {png_path}")
