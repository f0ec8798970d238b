"""Business time for the TPR clock, on the shipped tpr.yaml (Mon–Fri 08:00–12:00, 13:30–18:00)."""

from __future__ import annotations

import datetime as dt

import pytest

from playbooks import (TprPolicy, business_seconds, clock_start, greeting, holidays, is_open, next_opening,
                       return_phrase, wait_class)
from playbooks.calendar import easter

UTC = dt.timezone.utc
BRT = dt.timezone(dt.timedelta(hours=-3))  # São Paulo, no DST since 2019


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    """A São Paulo wall-clock time as the UTC instant the functions take."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=BRT).astimezone(UTC)


@pytest.fixture
def policy(books) -> TprPolicy:
    return books.tpr


def with_extra(policy: TprPolicy, *extra: dict) -> TprPolicy:
    data = policy.model_dump()
    data["holidays"]["extra"] = list(extra)
    return TprPolicy.model_validate(data)


# Holidays

def test_easter_by_the_anonymous_gregorian_algorithm():
    known = {2019: (4, 21), 2024: (3, 31), 2025: (4, 20), 2026: (4, 5), 2027: (3, 28), 2038: (4, 25)}
    for year, (month, day) in known.items():
        assert easter(year) == dt.date(year, month, day)


def test_holidays_2026(policy):
    days = holidays(policy, 2026)
    assert days[dt.date(2026, 4, 3)] == "Sexta-feira Santa"
    assert days[dt.date(2026, 2, 16)] == days[dt.date(2026, 2, 17)] == "Carnaval"
    assert dt.date(2026, 2, 18) not in days                       # Ash Wednesday is worked
    assert days[dt.date(2026, 6, 4)] == "Corpus Christi"
    assert days[dt.date(2026, 11, 20)] == "Dia Nacional de Zumbi e da Consciência Negra"
    fixed = [(1, 1), (4, 21), (5, 1), (9, 7), (10, 12), (11, 2), (11, 15), (11, 20), (12, 25)]
    assert all(dt.date(2026, m, d) in days for m, d in fixed)
    assert days[dt.date(2026, 12, 24)] == "Véspera de Natal"     # the shipped one-off extra
    assert len(days) == 9 + 1 + 2 + 1 + 1
    assert list(days) == sorted(days)


def test_holidays_2027(policy):
    days = holidays(policy, 2027)
    assert easter(2027) == dt.date(2027, 3, 28)
    assert days[dt.date(2027, 3, 26)] == "Sexta-feira Santa"
    assert days[dt.date(2027, 2, 8)] == days[dt.date(2027, 2, 9)] == "Carnaval"
    assert days[dt.date(2027, 5, 27)] == "Corpus Christi"
    assert dt.date(2027, 12, 24) not in days                      # "2026-12-24" is that year only


def test_optional_days_off_and_national_can_be_switched_off(policy):
    data = policy.model_dump()
    data["holidays"] = {"national": False, "pontos_facultativos": {"carnaval": False, "corpus_christi": False}}
    assert holidays(TprPolicy.model_validate(data), 2026) == {}


def test_recurring_extra_every_year_and_national_names_win(policy):
    custom = with_extra(policy, {"date": "24/12", "name": "Véspera de Natal"},
                        {"date": "25/12", "name": "Confraternização da equipe"},
                        {"date": "29/02", "name": "Dia bissexto"})
    assert holidays(custom, 2027)[dt.date(2027, 12, 24)] == "Véspera de Natal"
    assert holidays(custom, 2026)[dt.date(2026, 12, 25)] == "Natal"
    assert dt.date(2028, 2, 29) in holidays(custom, 2028)
    assert len(holidays(custom, 2027)) == len(holidays(custom, 2026))  # no 29/02 in 2027, no crash


# Open or closed, and when the next interval starts

@pytest.mark.parametrize("at, opened, opening", [
    (local(2026, 3, 4, 10, 0), True, local(2026, 3, 4, 10, 0)),        # Wednesday morning
    (local(2026, 3, 4, 8, 0), True, local(2026, 3, 4, 8, 0)),          # start is inclusive
    (local(2026, 3, 4, 11, 59, 59), True, local(2026, 3, 4, 11, 59, 59)),
    (local(2026, 3, 4, 12, 0), False, local(2026, 3, 4, 13, 30)),      # lunch: end is exclusive
    (local(2026, 3, 4, 13, 29), False, local(2026, 3, 4, 13, 30)),
    (local(2026, 3, 4, 7, 0), False, local(2026, 3, 4, 8, 0)),         # early morning
    (local(2026, 3, 4, 18, 30), False, local(2026, 3, 5, 8, 0)),       # evening
    (local(2026, 3, 4, 23, 30), False, local(2026, 3, 5, 8, 0)),       # 02:30 UTC, next UTC day
    (local(2026, 3, 6, 18, 0), False, local(2026, 3, 9, 8, 0)),        # Friday close -> Monday
    (local(2026, 3, 7, 10, 0), False, local(2026, 3, 9, 8, 0)),        # Saturday
    (local(2026, 4, 21, 10, 0), False, local(2026, 4, 22, 8, 0)),      # Tiradentes (Tuesday)
    (local(2026, 4, 2, 19, 0), False, local(2026, 4, 6, 8, 0)),        # Sexta-feira Santa + weekend
    (local(2026, 2, 13, 18, 0), False, local(2026, 2, 18, 8, 0)),      # Carnaval
    (local(2026, 12, 23, 18, 0), False, local(2026, 12, 28, 8, 0)),    # 24/12 extra, Natal, weekend
])
def test_is_open_and_next_opening(policy, at, opened, opening):
    assert is_open(policy, at) is opened
    assert next_opening(policy, at) == opening
    assert clock_start(policy, at) == opening
    assert next_opening(policy, at).utcoffset() == dt.timedelta(0)


def test_recurring_extra_closes_the_day(policy):
    custom = with_extra(policy, {"date": "10/03", "name": "Aniversário da empresa"})
    assert is_open(policy, local(2026, 3, 10, 9, 0))
    for year in (2026, 2027):   # Tuesday in 2026, Wednesday in 2027
        assert not is_open(custom, local(year, 3, 10, 9, 0))
        assert next_opening(custom, local(year, 3, 10, 9, 0)) == local(year, 3, 11, 8, 0)


def test_any_aware_timezone_is_accepted_and_naive_is_refused(policy):
    assert is_open(policy, dt.datetime(2026, 3, 4, 10, 0, tzinfo=BRT))
    assert next_opening(policy, dt.datetime(2026, 3, 4, 12, 0, tzinfo=BRT)) == local(2026, 3, 4, 13, 30)
    with pytest.raises(ValueError, match="naive"):
        is_open(policy, dt.datetime(2026, 3, 4, 10, 0))


def test_a_day_open_until_midnight(policy):
    data = policy.model_dump()
    data["business_hours"]["week"]["sabado"] = ["20:00-24:00"]
    late = TprPolicy.model_validate(data)
    assert is_open(late, local(2026, 3, 7, 23, 59, 59))
    assert not is_open(late, local(2026, 3, 8, 0, 0))
    assert business_seconds(late, local(2026, 3, 7, 23, 0), local(2026, 3, 8, 1, 0)) == 3600


# Business seconds

def test_business_seconds(policy):
    wed = (2026, 3, 4)
    assert business_seconds(policy, local(*wed, 10, 0), local(*wed, 10, 1)) == 60
    assert business_seconds(policy, local(*wed, 11, 30), local(*wed, 14, 0)) == 3600       # lunch
    assert business_seconds(policy, local(*wed, 17, 0), local(2026, 3, 5, 9, 0)) == 7200   # a night
    assert business_seconds(policy, local(2026, 3, 6, 17, 30), local(2026, 3, 9, 8, 30)) == 3600  # weekend
    assert business_seconds(policy, local(2026, 4, 20, 17, 0), local(2026, 4, 22, 9, 0)) == 7200  # Tiradentes
    assert business_seconds(policy, local(2026, 3, 7, 9, 0), local(2026, 3, 8, 17, 0)) == 0     # all weekend
    assert business_seconds(policy, local(*wed, 10, 0), local(*wed, 9, 0)) == 0             # reversed
    full_day = 4 * 3600 + 4.5 * 3600
    assert business_seconds(policy, local(2026, 3, 2), local(2026, 3, 9)) == 5 * full_day


# Wait classes: "< 5 min Excelente … > 30 min Gravíssimo" (knowledge base)

@pytest.mark.parametrize("seconds, name", [
    (-2, "Excelente"), (0, "Excelente"), (4 * 60 + 59, "Excelente"),
    (5 * 60, "Ok"), (9 * 60 + 59, "Ok"), (10 * 60, "Neutro"), (19 * 60 + 59.9, "Neutro"),
    (20 * 60, "Grave"), (30 * 60, "Grave"),               # exactly 30 min is not "> 30 min"
    (30 * 60 + 0.001, "Gravíssimo"), (31 * 60, "Gravíssimo"), (10 * 3600, "Gravíssimo"),
])
def test_wait_class_boundaries(policy, seconds, name):
    assert wait_class(policy, seconds) == name


# {retorno} and the closed greeting

@pytest.mark.parametrize("now, phrase", [
    (local(2026, 3, 4, 12, 15), "hoje às 13:30"),
    (local(2026, 3, 4, 6, 0), "hoje às 08:00"),
    (local(2026, 3, 4, 19, 0), "amanhã às 08:00"),
    (local(2026, 3, 4, 23, 30), "amanhã às 08:00"),       # already the next day in UTC
    (local(2026, 12, 6, 10, 0), "amanhã às 08:00"),       # Sunday -> Monday is still "amanhã"
    (local(2026, 12, 4, 19, 0), "segunda-feira, 07/12, às 08:00"),
    (local(2026, 4, 20, 19, 0), "quarta-feira, 22/04, às 08:00"),  # over Tiradentes
])
def test_return_phrase(policy, now, phrase):
    assert return_phrase(policy, now) == phrase


def test_greeting_says_when_we_return_only_when_closed(books):
    plain = greeting(books, "Marli")
    assert greeting(books, "Marli", at=local(2026, 3, 4, 10, 0)) == plain
    closed = greeting(books, "Marli", at=local(2026, 12, 4, 19, 0))
    assert closed == plain + "\n\nEstamos fora do horário de atendimento agora; a equipe retorna " \
                             "segunda-feira, 07/12, às 08:00 e sua mensagem já está registrada."
    assert greeting(books, None, at=local(2026, 3, 4, 12, 15)).endswith(
        "a equipe retorna hoje às 13:30 e sua mensagem já está registrada.")
