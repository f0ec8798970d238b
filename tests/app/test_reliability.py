"""Blip failures: retries with backoff, dead letters and their replay, one ticket per conversation."""
from __future__ import annotations

from sqlmodel import select

from app.models import BlipCall, Conversation, DeadLetter, InboxEvent
from app.store import session_scope
from handlers import outbox, registry
from handlers.context import Context

CUSTOMER = "5511987654321@wa.gw.msging.net"


def _say(service, id_="m1", text="Oi"):
    assert service.post("/blip/messages", {"id": id_, "from": CUSTOMER, "type": "text/plain",
                                           "content": text}).status_code == 202


def _cli(service, *args):
    return service.app.test_cli_runner().invoke(args=list(args))


def test_blip_5xx_is_retried_with_the_same_envelope_id(service):
    service.fake.fail("/messages", status=503, times=2)
    _say(service)
    service.settle()
    attempts = service.fake.messages()
    assert [r.status for r in attempts] == [503, 503, 202]
    assert len({r.json["id"] for r in attempts}) == 1
    [greeting] = service.query(select(BlipCall).where(BlipCall.purpose == "greeting"))
    assert greeting.status == "ok"


def test_429_waits_for_retry_after_before_trying_again(service):
    service.fake.fail("/messages", status=429, retry_after=1, times=1)
    _say(service)
    service.settle()
    first, second = [r for r in service.fake.requests if r.path == "/messages"]
    assert (first.status, second.status) == (429, 202)
    assert second.received_at - first.received_at >= 0.95


def test_after_the_last_attempt_the_call_is_dead_lettered_and_replayed_from_the_cli(service):
    service.fake.fail("/messages", status=500, times=4)  # BLIP max attempts = 4
    _say(service)
    service.settle()
    [letter] = service.query(select(DeadLetter))
    assert (letter.source, letter.status) == ("blip_call", "open")
    listing = _cli(service, "dead-letters", "list")
    assert listing.exit_code == 0
    assert f"{letter.id:>5}" in listing.output and "greeting: send_message" in listing.output
    assert "BlipServerError" in listing.output or "500" in listing.output
    [conversation] = service.query(select(Conversation))
    assert conversation.greeting_sent_at is None

    retried = _cli(service, "dead-letters", "retry", str(letter.id))
    assert retried.exit_code == 0, retried.output
    assert "1 succeeded, 0 failed again" in retried.output
    assert [r.status for r in service.fake.requests if r.path == "/messages"] == [500] * 4 + [202]
    [conversation] = service.query(select(Conversation))
    assert conversation.greeting_sent_at is not None
    assert service.query(select(DeadLetter.status)) == ["resolved"]
    assert _cli(service, "dead-letters", "list").output.strip() == "no dead letters"


def test_retry_all_replays_every_open_dead_letter_and_reports_failures(service):
    service.fake.fail("/notifications", status=500, times=8)
    _say(service, "m1")
    _say(service, "m2", "de novo")
    service.settle()
    assert len(service.query(select(DeadLetter))) == 2
    result = _cli(service, "dead-letters", "retry", "--all")
    assert result.exit_code == 0 and "2 succeeded, 0 failed again" in result.output
    usage = _cli(service, "dead-letters", "retry")
    assert usage.exit_code != 0 and "either a dead letter ID or --all" in usage.output


def test_an_event_whose_handler_keeps_failing_is_dead_lettered_and_blip_told_failed(service_factory, monkeypatch):
    service = service_factory(job_max_attempts=2)
    calls = []

    def broken(event, ctx):
        calls.append(event.id)
        raise RuntimeError("store schema drifted")

    monkeypatch.setitem(registry.HANDLERS, registry.events.CustomerMessage, broken)
    _say(service, "bad-1")
    service.fake.wait_for(lambda f: [n for n in f.notifications() if n.json["event"] == "failed"], timeout=15)
    [event] = [e for e in service.events() if e.kind == "message"]
    assert (event.status, event.attempts) == ("dead", 2)
    assert "RuntimeError: store schema drifted" in event.last_error
    assert calls == ["bad-1", "bad-1"]
    [failed] = [n.json for n in service.fake.notifications() if n.json["event"] == "failed"]
    assert failed["id"] == "bad-1" and failed["to"] == CUSTOMER
    assert failed["reason"]["code"] == 101 and failed["reason"]["description"]

    monkeypatch.undo()  # the bug is fixed: replay the event
    [letter] = service.query(select(DeadLetter).where(DeadLetter.source == "event"))
    result = _cli(service, "dead-letters", "retry", str(letter.id))
    assert result.exit_code == 0, result.output
    assert service.query(select(InboxEvent.status).where(InboxEvent.id == event.id)) == ["done"]
    assert len(service.sent("greeting")) == 1  # greeted exactly once, on the successful run


def _ctx(service, session):
    rt = service.rt
    row = InboxEvent(dedup_key="test", kind="message", event_type="text/plain", envelope={},
                     received_at=rt.clock(), due_at=rt.clock())
    return Context(session=session, blip=rt.blip, playbooks=rt.playbooks.current(), settings=rt.settings,
                   clock=rt.clock, inbox_event=row)


def _open_ticket(service, key="ticket:1"):
    with session_scope(service.rt.engine) as session:
        return outbox.perform(_ctx(service, session), key=key, purpose="ticket", operation="open_ticket",
                              params={"customer_identity": CUSTOMER, "text": "Preciso de ajuda"})


def _tickets(service):
    return [t for t in service.fake.tickets.values() if t["customerIdentity"] == CUSTOMER]


def test_a_retried_ticket_creation_never_creates_a_second_ticket(service):
    service.fake.fail("/commands", status=503, times=1, uri_contains=f"/tickets/{CUSTOMER}")
    call = _open_ticket(service)
    assert call.status == "ok"
    assert len(_tickets(service)) == 1
    # Each retry first looked for an open ticket of this customer before creating.
    uris = [r.json["uri"] for r in service.fake.commands() if "ticket" in r.json["uri"]]
    assert [u.split("?")[0] for u in uris] == ["/tickets", f"/tickets/{CUSTOMER}", "/tickets",
                                               f"/tickets/{CUSTOMER}"]
    again = _open_ticket(service)  # the same conversation asks again (e.g. a replayed job)
    assert again.id == call.id and len(_tickets(service)) == 1


def test_a_ticket_created_by_a_lost_request_is_adopted_not_duplicated(service):
    service.fake.fail("/commands", status=500, times=20, uri_contains=f"/tickets/{CUSTOMER}")
    call = _open_ticket(service)
    assert call.status == "dead" and _tickets(service) == []
    # Meanwhile the ticket exists (the create went through on Blip's side, or an agent opened one).
    service.fake.faults.clear()
    created = service.rt.blip.create_ticket(customer_identity=CUSTOMER, text="aberto por fora")
    [letter] = service.query(select(DeadLetter))
    assert _cli(service, "dead-letters", "retry", str(letter.id)).exit_code == 0
    assert [t["id"] for t in _tickets(service)] == [created["id"]]
    [stored] = service.query(select(BlipCall).where(BlipCall.id == call.id))
    assert stored.status == "ok" and stored.result["id"] == created["id"]
