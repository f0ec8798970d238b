"""`./dev demo`: the service with embedded defaults next to a local fake Blip, fed sample conversations.

Runs the real web app over HTTP (SQLite store, in-process jobs), imports samples/customers.csv,
pushes samples/conversations.json through the fake Blip exactly as Blip would, and prints what
the fake received back: greeting, traffic light, decision, tags, ticket. Then keeps serving until
Ctrl-C (or exits with --once).
"""
from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
from pathlib import Path

from werkzeug.serving import make_server

from app import create_app
from app.config import ROOT, load_settings
from app.customers import import_csv
from app.models import Conversation, RoutingDecision
from app.store import session_scope, upgrade
from blip_client.fake import FakeBlip
from sqlmodel import select

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
                             sweep_interval_seconds=1.0)
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
