"""tpr.yaml: every mistake an admin can make names the file, the line and the field."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from playbooks import Issue, PlaybookError, TprPolicy, load_playbooks
from playbooks import tpr_policy
from tests.playbooks.conftest import edit, line_of

WEEKDAY_HOURS = '["08:00-12:00", "13:30-18:00"]'


def only_issue(directory) -> Issue:
    with pytest.raises(PlaybookError) as caught:
        load_playbooks(directory)
    assert len(caught.value.issues) == 1, str(caught.value)
    return caught.value.issues[0]


def test_shipped_policy(books):
    tpr = books.tpr
    assert (tpr.target_seconds, tpr.poll_interval_seconds, tpr.breach.tag) == (60, 30, "tpr:estourado")
    assert tpr.breach.holding_text.startswith("Estamos com alta demanda no momento")
    assert [c.name for c in tpr.wait_classes] == ["Excelente", "Ok", "Neutro", "Grave", "Gravíssimo"]
    assert tpr.business_hours.spans(0) == [(480, 720), (810, 1080)]
    assert tpr.business_hours.spans(6) == []


def test_bad_interval(workdir):
    path = workdir / "tpr.yaml"
    edit(path, f"segunda: {WEEKDAY_HOURS}", 'segunda: ["8h-12h", "13:30-18:00"]')
    issue = only_issue(workdir)
    assert (issue.file, issue.line, issue.field) == ("tpr.yaml", line_of(path, "8h-12h"), "business_hours.week.segunda.0")
    assert issue.message == "invalid interval '8h-12h'; write HH:MM-HH:MM, e.g. 08:00-12:00"


@pytest.mark.parametrize("hours, message", [
    ('["08:00-12:00", "11:00-18:00"]', "intervals 08:00-12:00 and 11:00-18:00 overlap"),
    ('["13:30-18:00", "08:00-14:00"]', "intervals 08:00-14:00 and 13:30-18:00 overlap"),
    ('["18:00-08:00"]', "ends before it starts"),
    ('["08:00-25:00"]', "invalid interval"),
])
def test_bad_day(workdir, hours, message):
    path = workdir / "tpr.yaml"
    edit(path, f"terca: {WEEKDAY_HOURS}", f"terca: {hours}")
    issue = only_issue(workdir)
    assert issue.file == "tpr.yaml" and issue.line == line_of(path, "terca: [")
    assert issue.field.startswith("business_hours.week.terca")
    assert message in issue.message


def test_touching_intervals_are_fine(workdir):
    edit(workdir / "tpr.yaml", f"quarta: {WEEKDAY_HOURS}", 'quarta: ["08:00-12:00", "12:00-18:00"]')
    assert load_playbooks(workdir).tpr.business_hours.spans(2) == [(480, 720), (720, 1080)]


def test_unknown_weekday_key(workdir):
    path = workdir / "tpr.yaml"
    edit(path, "    sabado: []\n", "    sábado: []\n")
    issue = only_issue(workdir)
    assert (issue.line, issue.field) == (line_of(path, "sábado: []"), "business_hours.week.sábado")
    assert "'segunda', 'terca', 'quarta', 'quinta', 'sexta', 'sabado' or 'domingo'" in issue.message


def test_missing_weekday(workdir):
    path = workdir / "tpr.yaml"
    edit(path, "    domingo: []\n", "")
    issue = only_issue(workdir)
    assert (issue.line, issue.field) == (line_of(path, "  week:"), "business_hours.week")
    assert issue.message.startswith("missing weekday(s): domingo")


def test_no_business_hours_at_all(workdir):
    path = workdir / "tpr.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(WEEKDAY_HOURS, "[]"), encoding="utf-8")
    issue = only_issue(workdir)
    assert (issue.line, issue.field) == (line_of(path, "  week:"), "business_hours.week")
    assert "no business hours on any day" in issue.message


@pytest.mark.parametrize("date, message", [
    ('"2026-02-30"', "invalid date '2026-02-30': day is out of range for month"),
    ('"31/04"', "invalid date '31/04': day is out of range for month"),
    ('"24-12"', "invalid date '24-12'; write AAAA-MM-DD (one day) or DD/MM (every year)"),
    ('"12/24"', "invalid date '12/24': month must be in 1..12"),
])
def test_bad_date_in_extra(workdir, date, message):
    path = workdir / "tpr.yaml"
    edit(path, 'date: "2026-12-24"', f"date: {date}")
    issue = only_issue(workdir)
    assert (issue.line, issue.field, issue.message) == (line_of(path, f"date: {date}"), "holidays.extra.0.date", message)


def test_unquoted_iso_date_is_accepted(workdir):
    edit(workdir / "tpr.yaml", 'date: "2026-12-24"', "date: 2026-12-24")
    assert load_playbooks(workdir).tpr.holidays.extra[0].on(2026) == dt.date(2026, 12, 24)


@pytest.mark.parametrize("old, new, field, message", [
    ("a equipe retorna {retorno}", "a equipe retorna {volta}", "closed_greeting_suffix", "{volta}"),
    ("poll_interval_seconds: 30", "poll_interval_seconds: 2", "poll_interval_seconds", "greater than or equal to 5"),
    ("timezone: America/Sao_Paulo", "timezone: Brasilia", "business_hours.timezone", "unknown timezone 'Brasilia'"),
    ("{ name: Ok, from_minutes: 5 }", "{ name: Ok, from_minutes: 5, above_minutes: 5 }",
     "wait_classes.1", "exactly one of from_minutes"),
    ("{ name: Neutro, from_minutes: 10 }", "{ name: Neutro, from_minutes: 4 }",
     "wait_classes", "'Neutro' must start after 'Ok'"),
    ("{ name: Neutro, from_minutes: 10 }", "{ name: Ok, from_minutes: 10 }", "wait_classes", "'Ok' is listed twice"),
    ("{ name: Excelente, from_minutes: 0 }", "{ name: Excelente, from_minutes: 1 }",
     "wait_classes", "first class must start at from_minutes: 0"),
    ("    sabado: sábado\n", "", "return_phrase.weekday_names", "missing weekday(s): sabado"),
    ("target_seconds: 60", "target_seconds: 60\ntarget_segundos: 60", "target_segundos", "Extra inputs are not permitted"),
])
def test_other_mistakes(workdir, old, new, field, message):
    edit(workdir / "tpr.yaml", old, new)
    issue = only_issue(workdir)
    assert (issue.file, issue.field) == ("tpr.yaml", field)
    assert message in issue.message


def test_holding_message_can_be_disabled(books):
    data = books.tpr.model_dump()
    data["breach"]["holding_message"] = None
    assert TprPolicy.model_validate(data).breach.holding_text is None
    data["breach"].update(holding_message="Aguarde, por favor.", send_holding_message=False)
    assert TprPolicy.model_validate(data).breach.holding_text is None
    data["breach"]["holding_message"] = "Aguarde {nome}"
    with pytest.raises(ValidationError, match="unknown placeholder"):
        TprPolicy.model_validate(data)


def test_tpr_file_is_required(workdir):
    (workdir / "tpr.yaml").unlink()
    assert only_issue(workdir) == Issue("tpr.yaml", None, "", "file is missing")


def test_sao_paulo_without_tz_database_falls_back_to_utc_minus_3(monkeypatch):
    def missing(name):
        raise tpr_policy.ZoneInfoNotFoundError(name)

    tpr_policy.zone.cache_clear()
    monkeypatch.setattr(tpr_policy, "ZoneInfo", missing)
    try:
        assert tpr_policy.zone("America/Sao_Paulo").utcoffset(None) == dt.timedelta(hours=-3)
        with pytest.raises(ValueError, match="unknown timezone"):
            tpr_policy.zone("Europe/Lisbon")
    finally:
        tpr_policy.zone.cache_clear()
