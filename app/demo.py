"""`./dev demo`: the service with embedded defaults next to a local fake Blip, fed sample conversations.

Runs the real web app over HTTP (SQLite store, in-process jobs), imports samples/customers.csv,
pushes samples/conversations.json through the fake Blip exactly as Blip would, and prints what
the fake received back: greeting, traffic light, decision, tags, ticket. Then Desk agents (played by
the fake) take, answer, transfer and close the tickets, and the demo prints both TPR clocks per
ticket and `report tpr`, with its chart in instance/demo-tpr.png. Then keeps serving until Ctrl-C
(or exits with --once).
"""
from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
from pathlib import Path

import yaml
from sqlmodel import select
from werkzeug.serving import make_server

from app import create_app, demo_agents
from app.config import ROOT, load_settings
from app.customers import import_csv
from app.models import Conversation, RoutingDecision, Ticket
from app.store import session_scope, upgrade
from blip_client.fake import FakeBlip
from handlers import ticket_life

SAMPLES = ROOT / "samples"
DEMO_SECRET = "demo-webhook-secret-please-change"
DEMO_KEY = "Key ZGVtbzpkZW1v"


def main(argv: list[str] | None = None) -> None:
    """Start fake Blip + service, play the samples, print the outcome."""
    args = _parse(argv)
    database = ROOT / "instance" / "demo.db"
    for leftover in database.parent.glob("demo.db*"):
        leftover.unlink()
    fake = FakeBlip(api_key=DEMO_KEY, bot_identity="radiomemory@msging.net",
                    bot_headers={"X-Webhook-Secret": DEMO_SECRET})
    blip_url = fake.start(port=args.blip_port)
    settings = load_settings(app_env="development", blip_api_url=blip_url, blip_api_key=DEMO_KEY,
                             webhook_secrets=DEMO_SECRET, database_url=f"sqlite:///{database}", redis_url="",
                             sweep_interval_seconds=0.5, playbooks_dir=_demo_playbooks())
    upgrade(settings.database_url)
    app = create_app(settings)
    rt = app.extensions["runtime"]
    with session_scope(rt.engine) as session, open(SAMPLES / "customers.csv", encoding="utf-8") as csv_file:
        report = import_csv(session, csv_file)
    server = make_server("127.0.0.1", args.port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    service = f"http://127.0.0.1:{args.port}"
    fake.bot_messages_url = f"{service}/blip/messages"
    fake.bot_notifications_url = f"{service}/blip/notifications"
    print(f"fake Blip on {blip_url}; service on {service}; store {database}")
    print(f"customers imported: {report.created} ({len(report.errors)} rejected)\n")
    samples = json.loads((SAMPLES / "conversations.json").read_text(encoding="utf-8"))
    burst = rt.playbooks.current().settings.burst
    print(f"playing {len(samples)} conversations; routing waits {burst.quiet_seconds:g} s of quiet after "
          f"each customer's last message (playbooks/geral.yaml, burst)\n")
    for sample in samples:
        _send(fake, sample)
    for sample in samples:
        _show(fake, rt, sample)
    target = rt.playbooks.current().tpr.target_seconds
    print(f"── Desk agents at work (TPR target {target} s in the demo's compressed clock) ...\n")
    demo_agents.play(fake, rt, samples)
    _wait_until_settled(rt, timeout=target + 10)
    demo_agents.show_tickets(rt)
    print()
    demo_agents.report(rt, ROOT / "instance" / "demo-tpr.png")
    if args.once:
        server.shutdown()
        fake.stop()
        return
    print(f"Serving. Try:  curl -X POST {service}/blip/messages -H 'X-Webhook-Secret: {DEMO_SECRET}' "
          f"-H 'Content-Type: application/json' -d '{{\"id\":\"1\",\"from\":\"5511987654321@wa.gw.msging.net\","
          f"\"type\":\"text/plain\",\"content\":\"Oi\"}}'   (Ctrl-C to stop)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.shutdown()
        fake.stop()


def _demo_playbooks() -> Path:
    """The shipped playbooks with the clock compressed for a two-minute demo: a short burst wait,
    an 8-second first-response target, and a team that is always in (so the demo works at night)."""
    target = ROOT / "instance" / "demo-playbooks"
    target.mkdir(parents=True, exist_ok=True)
    for path in (ROOT / "playbooks").glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if path.name == "geral.yaml":
            data["burst"].update(quiet_seconds=3, max_wait_seconds=20)
        if path.name == "tpr.yaml":
            data["target_seconds"] = 8
            data["business_hours"]["week"] = {day: ["00:00-24:00"] for day in data["business_hours"]["week"]}
        (target / path.name).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def _wait_until_settled(rt, timeout: float) -> None:
    """Until every ticket is closed, transferred, answered or has missed its target."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope(rt.engine) as session:
            open_tickets = session.exec(select(Ticket).where(
                Ticket.closed_at.is_(None), Ticket.status.in_(ticket_life.ACTIVE),
                Ticket.first_response_at.is_(None), Ticket.breached_at.is_(None))).all()
        if not open_tickets:
            return
        time.sleep(0.2)


def _send(fake: FakeBlip, sample: dict) -> None:
    """Blip delivers the sample's messages to the service, as a customer's burst."""
    if sample.get("blip_contact"):
        fake.seed_contact(sample["from"], **sample["blip_contact"])
    for text in sample["messages"]:
        fake.push_message({"id": str(uuid.uuid4()), "from": sample["from"], "to": "radiomemory@msging.net",
                           "type": "text/plain", "content": text})
        time.sleep(0.3)


def _show(fake: FakeBlip, rt, sample: dict) -> None:
    """Print what the service did with one sample conversation, as the fake Blip saw it."""
    identity = sample["from"]
    print(f"── {sample['title']}")
    for text in sample["messages"]:
        print(f"   cliente  > {text}")
    conversation, decision = _wait_routed(rt, identity)
    for sent in fake.messages():
        if sent.json.get("to") == identity:
            print(f"   bot      < {sent.json['content']}")
    print(f"   greeting latency {conversation.greeting_latency_ms:.0f} ms; identified: "
          f"{conversation.identification} (ADM {conversation.adm or '-'})")
    print(f"   semáforo {decision.traffic_light}: {decision.traffic_light_reason}")
    print(f"   intent {decision.intent} ({decision.confidence:.0%}), evidence: "
          f"{', '.join(decision.evidence.get('keywords') or []) or '-'}")
    suggestion = f", suggests {decision.suggested_team!r}" if decision.suggested_team else ""
    print(f"   decision: {decision.mode} -> {decision.team!r}{suggestion}")
    ticket = fake.tickets.get(decision.ticket_id or "", {})
    print(f"   ticket at the fake Blip: #{ticket.get('sequentialId')} team {ticket.get('team')!r} "
          f"status {ticket.get('status')} tags {ticket.get('tags')}")
    comments = fake.comments.get(identity) or [{}]
    note = (comments[-1].get("content") or "").replace("\n", " | ")
    print(f"   comment for the agent: {note}\n")


def _wait_routed(rt, identity: str) -> tuple[Conversation, RoutingDecision]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with session_scope(rt.engine) as session:
            conversation = session.exec(select(Conversation).where(Conversation.contact_identity == identity)).first()
            decision = conversation and session.exec(
                select(RoutingDecision).where(RoutingDecision.conversation_id == conversation.id)).first()
            if decision and decision.handoff_status != "pending" and conversation.greeting_latency_ms is not None:
                return conversation, decision
        time.sleep(0.05)
    raise SystemExit(f"conversation for {identity} was not handled in time")


def _parse(argv):
    parser = argparse.ArgumentParser(prog="./dev demo", description=__doc__.splitlines()[0])
    parser.add_argument("--once", action="store_true", help="exit after playing the samples")
    parser.add_argument("--port", type=int, default=8000, help="service port (default 8000)")
    parser.add_argument("--blip-port", type=int, default=0, help="fake Blip port (default: any free port)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    main()
