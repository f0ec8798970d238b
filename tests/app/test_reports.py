"""The TPR report: figures worked out by hand from tickets inserted in the store, the table, the chart, the CLI.

Nearest-rank percentiles: rank = ceil(p × n / 100). Suporte's answered tickets, sorted, are
30, 45, 50, 90, 400, 2000 s (n = 6): p50 = 3rd = 50, p90 = p99 = 6th = 2000.
"""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask

from app import reports
from app.cli_report import report_cli
from app.models import Contact, Conversation, RoutingDecision, Ticket
from app.store import make_engine, session_scope
from tests.app.conftest import copy_playbooks

UTC = timezone.utc
SUPORTE, COMERCIAL, DEFAULT = "Suporte", "Transferir para o comercial", "Default"
CONTACT = "5511999990000@wa.gw.msging.net"
SINCE = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 2026-12-01 00:00 in São Paulo
DAY2 = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
UNTIL = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# conversation, created_at, team, bot_team, intent, bot_clock_ms, first_response_seconds, wait_class, breached,
# override, status. A conversation holds a chain of tickets: the bot's hand-over from the opening queue,
# or an agent's transfer (the override flag sits on the ticket moved away, like handlers/ticket_life.py).
T = SINCE + timedelta(hours=12)
TICKETS = [
    (1, T - timedelta(seconds=5), DEFAULT, SUPORTE, "suporte", 800, None, None, False, False, "Transferred"),
    (1, T, SUPORTE, SUPORTE, "suporte", 800, 30, "Excelente", False, False, "Open"),
    # 01:00 and 01:30 UTC on Dec 2 are still Dec 1 in São Paulo (22:00, 22:30)
    (2, datetime(2026, 12, 2, 1, 0, tzinfo=UTC), COMERCIAL, COMERCIAL, "comercial", 1200, None, None, True, True,
     "Transferred"),
    (2, datetime(2026, 12, 2, 1, 30, tzinfo=UTC), SUPORTE, COMERCIAL, "comercial", 1200, 45, "Excelente", False, False,
     "Open"),
    (3, DAY2 + timedelta(hours=1), SUPORTE, SUPORTE, "suporte", 1500, 90, "Excelente", True, False, "ClosedAttendant"),
    (4, DAY2 + timedelta(hours=2), SUPORTE, SUPORTE, "suporte", 2000, 400, "Ok", True, False, "Open"),
    (5, DAY2 + timedelta(hours=3), SUPORTE, SUPORTE, "suporte", 3000, 2000, "gravissimo", True, False, "Open"),
    (6, DAY2 + timedelta(hours=4), SUPORTE, SUPORTE, "suporte", 500, None, None, True, False, "Waiting"),
    (7, SINCE + timedelta(hours=5), COMERCIAL, COMERCIAL, "comercial", 700, 20, "Excelente", False, False, "Open"),
    # answered by Suporte in 50 s, then an agent moved it to Comercial, which took 650 s
    (8, DAY2 + timedelta(hours=5), SUPORTE, SUPORTE, "suporte", 900, 50, "Excelente", False, True, "Transferred"),
    (8, DAY2 + timedelta(hours=5, minutes=1), COMERCIAL, SUPORTE, "suporte", 900, 650, "Neutro", True, False, "Open"),
    (None, DAY2 + timedelta(hours=6), COMERCIAL, None, None, None, 1300, "Grave", True, False, "Open"),  # no decision
    (9, SINCE - timedelta(minutes=1), SUPORTE, SUPORTE, "suporte", 100, 5, "Excelente", False, False, "Open"),  # before
    (10, UNTIL, SUPORTE, SUPORTE, "suporte", 100, 5, "Excelente", False, False, "Open"),  # until is excluded
]


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def insert_tickets(engine, rows=TICKETS) -> None:
    """The tickets above, with their conversations and routing decisions."""
    with session_scope(engine) as session:
        session.add(Contact(identity=CONTACT))
        session.flush()
        conversations = {}
        for number, (key, at, team, bot_team, intent, bot_ms, seconds, wait_class, breached, override,
                     status) in enumerate(rows):
            if key is not None and key not in conversations:
                conversations[key] = Conversation(contact_identity=CONTACT, status="closed", started_at=at,
                                                  last_message_at=at, first_message_received_at=at)
                session.add(conversations[key])
                session.flush()
                session.add(RoutingDecision(
                    conversation_id=conversations[key].id, playbooks_version="v1", traffic_light="verde",
                    traffic_light_reason="ok", intent=intent, confidence=0.9, evidence={}, team=bot_team,
                    mode="auto", tags=[], agent_note="", decided_at=at, decide_ms=1.0))
            session.add(Ticket(
                id=f"ticket-{number}", conversation_id=conversations[key].id if key is not None else None,
                customer_identity=CONTACT, team=team, bot_team=bot_team, status=status, created_at=at,
                bot_clock_ms=bot_ms, clock_started_at=at, first_response_seconds=seconds,
                first_response_at=at + timedelta(seconds=seconds) if seconds is not None else None,
                wait_class=wait_class, breached_at=at + timedelta(minutes=1) if breached else None,
                override=override))


def report(engine, **options) -> dict:
    options = {"since": SINCE, "until": UNTIL, **options}
    with session_scope(engine) as session:
        return reports.tpr_report(session, **options)


def test_nearest_rank_percentiles():
    values = list(range(1, 11))
    assert [reports.percentile(values, p) for p in (50, 90, 99)] == [5, 9, 10]  # 0.9 × 10 is exactly rank 9
    assert reports.percentile([7], 99) == 7 and reports.percentile([], 50) is None


def test_report_per_team_per_day_and_total(engine):
    insert_tickets(engine)
    result = report(engine)

    assert list(result["teams"]) == [DEFAULT, SUPORTE, COMERCIAL]
    suporte = result["teams"][SUPORTE]["total"]
    assert (suporte["tickets"], suporte["transferred"]) == (7, 0)
    assert suporte["human_s"] == {"p50": 50, "p90": 2000, "p99": 2000}  # 30 45 50 90 400 2000
    assert suporte["bot_ms"] == {"p50": 1200, "p90": 3000, "p99": 3000}  # 500 800 900 1200 1500 2000 3000
    assert (suporte["answered"], suporte["unanswered"], suporte["within_target"]) == (6, 1, 3)
    assert suporte["within_target_share"] == pytest.approx(3 / 7)  # the unanswered, breached ticket missed it too
    assert suporte["breaches"] == 4
    assert suporte["wait_classes"] == {"Excelente": 4, "Ok": 1, "Neutro": 0, "Grave": 0, "Gravíssimo": 1}

    days = result["teams"][SUPORTE]["days"]
    assert list(days) == ["2026-12-01", "2026-12-02"]  # days in São Paulo, not UTC
    assert days["2026-12-01"]["tickets"] == 2 and days["2026-12-01"]["human_s"] == {"p50": 30, "p90": 45, "p99": 45}
    assert days["2026-12-02"]["human_s"] == {"p50": 90, "p90": 2000, "p99": 2000}  # 50 90 400 2000
    assert days["2026-12-02"]["unanswered"] == 1 and days["2026-12-02"]["within_target_share"] == 0.2

    # The bot's hand-over ticket in the opening queue is not an attendance: counted apart, no clocks.
    default = result["teams"][DEFAULT]["total"]
    assert (default["tickets"], default["transferred"], default["unanswered"], default["answered"]) == (0, 1, 0, 0)
    assert default["human_s"]["p50"] is None and default["bot_ms"]["p50"] is None
    # Comercial: a ticket moved away unanswered is not counted, but its breach is.
    comercial = result["teams"][COMERCIAL]
    assert (comercial["total"]["tickets"], comercial["total"]["transferred"], comercial["total"]["breaches"]) == (3, 1, 3)
    assert comercial["total"]["human_s"] == {"p50": 650, "p90": 1300, "p99": 1300}
    assert comercial["total"]["bot_ms"] == {"p50": 700, "p90": 900, "p99": 900}  # one ticket has no bot clock
    assert comercial["days"]["2026-12-01"]["transferred"] == 1

    total = result["all"]  # answered: 20 30 45 50 90 400 650 1300 2000
    assert (total["tickets"], total["transferred"], total["unanswered"], total["breaches"]) == (10, 2, 1, 7)
    assert total["human_s"] == {"p50": 90, "p90": 2000, "p99": 2000}
    assert total["bot_ms"] == {"p50": 900, "p90": 3000, "p99": 3000}  # 500 700 800 900 900 1200 1500 2000 3000
    assert total["within_target_share"] == pytest.approx(4 / 10)
    assert total["wait_classes"] == {"Excelente": 5, "Ok": 1, "Neutro": 1, "Grave": 1, "Gravíssimo": 1}

    assert result["overrides"] == {  # per conversation: 8 is overridden (suporte), 2 is (comercial)
        "(sem decisão)": {"conversations": 1, "tickets": 1, "overridden": 0, "rate": 0.0},
        "comercial": {"conversations": 2, "tickets": 3, "overridden": 1, "rate": 0.5},
        "suporte": {"conversations": 6, "tickets": 8, "overridden": 1, "rate": pytest.approx(1 / 6)},
    }


def test_team_filter_window_target_and_class_names(engine):
    insert_tickets(engine)
    comercial = report(engine, team=COMERCIAL)
    assert list(comercial["teams"]) == [COMERCIAL] and comercial["all"]["tickets"] == 3
    assert comercial["all"]["human_s"] == {"p50": 650, "p90": 1300, "p99": 1300}
    assert comercial["overrides"]["suporte"] == {"conversations": 1, "tickets": 1, "overridden": 0, "rate": 0.0}

    second_day = report(engine, since=DAY2)
    assert second_day["all"]["tickets"] == 7 and second_day["all"]["transferred"] == 0
    assert [list(team["days"]) for team in second_day["teams"].values()] == [["2026-12-02"]] * 2

    assert report(engine, target_seconds=120)["all"]["within_target"] == 5  # 20 30 45 50 90
    assert report(engine, team="Nenhuma")["all"]["tickets"] == 0
    # Class names come from the playbooks; a stored name they do not list is kept, not dropped.
    renamed = report(engine, wait_classes=("Excelente", "Demorado"))["all"]["wait_classes"]
    assert renamed == {"Excelente": 5, "Demorado": 0, "Ok": 1, "gravissimo": 1, "Neutro": 1, "Grave": 1}


def _split(table: str, starts: str, nth: int = 0) -> list[str]:
    return [line for line in table.splitlines() if line.startswith(starts)][nth].split()


def test_table_shows_the_figures(engine):
    insert_tickets(engine)
    table = reports.format_tpr(report(engine))
    assert table.startswith("TPR 2026-12-01 00:00 → 2026-12-03 00:00 (America/Sao_Paulo), human target ≤ 60 s")
    lines = table.splitlines()
    assert lines[lines.index(SUPORTE) + 3].split() == [
        "total", "7", "0", "1200", "3000", "3000", "50", "2000", "2000", "1", "43%", "(3/7)", "4"]
    assert lines[lines.index(DEFAULT) + 2].split() == ["total", "0", "1", *["-"] * 6, "0", "-", "0"]
    assert _split(table, "all ") == ["all", "10", "2", "900", "3000", "3000", "90", "2000", "2000", "1", "40%", "(4/10)",
                                     "7"]
    assert _split(table, "team ", 1)[1:] == ["Excelente", "Ok", "Neutro", "Grave", "Gravíssimo"]
    assert _split(table, "all ", 1) == ["all", "5", "1", "1", "1", "1"]
    assert _split(table, "comercial") == ["comercial", "2", "3", "1", "50%"]
    assert _split(table, "suporte") == ["suporte", "6", "8", "1", "17%"]


def test_empty_report_formats_and_draws(engine, tmp_path):
    empty = report(engine)
    assert empty["all"]["human_s"] == {"p50": None, "p90": None, "p99": None} and empty["teams"] == {}
    assert "(no tickets)" in reports.format_tpr(empty)
    path = tmp_path / "empty.png"
    reports.render_tpr_png(empty, path)
    assert path.read_bytes().startswith(PNG_MAGIC) and path.stat().st_size > 1000


def test_chart_is_a_png(engine, tmp_path):
    insert_tickets(engine)
    path = tmp_path / "tpr.png"
    reports.render_tpr_png(report(engine), path)
    assert path.read_bytes().startswith(PNG_MAGIC) and path.stat().st_size > 1000


def cli(service, *args):
    """`report tpr` on a tiny app sharing the service's runtime (the group is not registered yet), clock at UNTIL."""
    app = Flask("report-test")
    app.extensions["runtime"] = replace(service.rt, clock=lambda: UNTIL)
    app.cli.add_command(report_cli)
    return app.test_cli_runner().invoke(args=["report", "tpr", *args])


def test_cli_prints_the_table_and_writes_the_chart(service, tmp_path):
    insert_tickets(service.rt.engine)
    chart = tmp_path / "tpr.png"
    result = cli(service, "--since", "2d", "--png", str(chart))
    assert result.exit_code == 0, result.output
    assert "human target ≤ 60 s" in result.output and f"{COMERCIAL}\n" in result.output
    assert "40% (4/10)" in result.output
    assert result.output.rstrip().endswith(f"chart written to {chart}")
    assert chart.read_bytes().startswith(PNG_MAGIC)

    one_team = cli(service, "--since", "7d", "--team", COMERCIAL, "--json")
    assert one_team.exit_code == 0, one_team.output
    figures = json.loads(one_team.output)
    assert list(figures["teams"]) == [COMERCIAL] and figures["all"]["tickets"] == 3


def test_cli_takes_the_target_from_the_playbooks(service_factory, tmp_path):
    books = copy_playbooks(tmp_path / "books")
    if not (books / "tpr.yaml").exists():
        pytest.skip("these playbooks have no tpr.yaml yet: the CLI uses the 60 s default")
    text = (books / "tpr.yaml").read_text(encoding="utf-8")
    (books / "tpr.yaml").write_text(text.replace("target_seconds: 60", "target_seconds: 120"), encoding="utf-8")
    service = service_factory(playbooks_dir=str(books))
    insert_tickets(service.rt.engine)
    result = cli(service, "--since", "2d")
    assert result.exit_code == 0, result.output
    assert "human target ≤ 120 s" in result.output and "50% (5/10)" in result.output


def test_cli_rejects_a_malformed_window(service):
    result = cli(service, "--since", "a week")
    assert result.exit_code == 2 and "use a number followed by d, h or m" in result.output
