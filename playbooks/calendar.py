"""Business-time arithmetic for the TPR clock: holidays, open hours, waits.

Pure functions of a TprPolicy (tpr.yaml) and timezone-aware instants. Callers
pass and get back UTC-aware datetimes; the policy's timezone is applied inside.
Every comparison is done in UTC, so a zone with daylight saving would still add
up (São Paulo has had none since 2019).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

from .tpr_policy import WEEKDAYS, TprPolicy, zone

UTC = dt.timezone.utc
# How far next_opening looks ahead: a year plus a margin for a long holiday run.
LOOKAHEAD_DAYS = 370

# Lei 662/1949 and its amendments (Tiradentes, Aparecida, Finados, República,
# Consciência Negra: Lei 14.759/2023). Names are proper names, hence Portuguese.
FIXED_HOLIDAYS = {
    (1, 1): "Confraternização Universal",
    (4, 21): "Tiradentes",
    (5, 1): "Dia do Trabalho",
    (9, 7): "Independência do Brasil",
    (10, 12): "Nossa Senhora Aparecida",
    (11, 2): "Finados",
    (11, 15): "Proclamação da República",
    (11, 20): "Dia Nacional de Zumbi e da Consciência Negra",
    (12, 25): "Natal",
}


def easter(year: int) -> dt.date:
    """Easter Sunday of `year` (anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the algorithm's own name
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def holidays(policy: TprPolicy, year: int) -> dict[dt.date, str]:
    """Every day off in `year`: national holidays, chosen pontos facultativos and the admin's extras."""
    rules = policy.holidays
    days: dict[dt.date, str] = {}
    if rules.national:
        days.update({dt.date(year, month, day): name for (month, day), name in FIXED_HOLIDAYS.items()})
        days[easter(year) - dt.timedelta(days=2)] = "Sexta-feira Santa"
    if rules.pontos_facultativos.carnaval:
        ash_wednesday = easter(year) - dt.timedelta(days=46)
        days[ash_wednesday - dt.timedelta(days=2)] = "Carnaval"
        days[ash_wednesday - dt.timedelta(days=1)] = "Carnaval"
    if rules.pontos_facultativos.corpus_christi:
        days[easter(year) + dt.timedelta(days=60)] = "Corpus Christi"
    for extra in rules.extra:
        day = extra.on(year)
        if day is not None:
            days.setdefault(day, extra.name)  # a national holiday keeps its own name
    return dict(sorted(days.items()))


def _utc(at: dt.datetime) -> dt.datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at.isoformat()}; pass a timezone-aware (UTC) instant")
    return at.astimezone(UTC)


def _day_off(policy: TprPolicy) -> Callable[[dt.date], bool]:
    """A memoised "is this local date a holiday?" for one call's worth of lookups."""
    years: dict[int, dict[dt.date, str]] = {}

    def check(day: dt.date) -> bool:
        if day.year not in years:
            years[day.year] = holidays(policy, day.year)
        return day in years[day.year]

    return check


def _open_spans(policy: TprPolicy, first: dt.date, last: dt.date) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Business intervals, as UTC (start, end), of the local dates first..last in order."""
    tz, day_off = zone(policy.business_hours.timezone), _day_off(policy)
    day = first
    while day <= last:
        if not day_off(day):
            midnight = dt.datetime.combine(day, dt.time(), tzinfo=tz)
            for start, end in policy.business_hours.spans(day.weekday()):
                yield ((midnight + dt.timedelta(minutes=start)).astimezone(UTC),
                       (midnight + dt.timedelta(minutes=end)).astimezone(UTC))
        day += dt.timedelta(days=1)


def _local_date(policy: TprPolicy, at: dt.datetime) -> dt.date:
    return at.astimezone(zone(policy.business_hours.timezone)).date()


def is_open(policy: TprPolicy, at: dt.datetime) -> bool:
    """Whether `at` falls inside business hours (interval start inclusive, end exclusive)."""
    at = _utc(at)
    day = _local_date(policy, at)
    return any(start <= at < end for start, end in _open_spans(policy, day, day))


def next_opening(policy: TprPolicy, at: dt.datetime) -> dt.datetime:
    """`at` if open, else the start of the next business interval (UTC)."""
    at = _utc(at)
    day = _local_date(policy, at)
    for start, end in _open_spans(policy, day, day + dt.timedelta(days=LOOKAHEAD_DAYS)):
        if start <= at < end:
            return at
        if start > at:
            return start
    raise ValueError(f"no business hours in the {LOOKAHEAD_DAYS} days after {at.isoformat()}")


def clock_start(policy: TprPolicy, at: dt.datetime) -> dt.datetime:
    """When the human first-response clock starts for a customer waiting since `at` (UTC)."""
    return next_opening(policy, at)


def business_seconds(policy: TprPolicy, start: dt.datetime, end: dt.datetime) -> float:
    """Seconds between `start` and `end` counting only business hours (0 if end <= start)."""
    start, end = _utc(start), _utc(end)
    if end <= start:
        return 0.0
    total = 0.0
    for open_at, close_at in _open_spans(policy, _local_date(policy, start), _local_date(policy, end)):
        overlap = min(end, close_at) - max(start, open_at)
        total += max(overlap.total_seconds(), 0.0)
    return total


def wait_class(policy: TprPolicy, seconds: float) -> str:
    """Name of the wait-time class for a wait of `seconds` (tpr.yaml `wait_classes`)."""
    seconds = max(seconds, 0.0)  # a little clock skew must not fall off the scale
    return [c.name for c in policy.wait_classes if c.admits(seconds)][-1]


def return_phrase(policy: TprPolicy, now: dt.datetime) -> str:
    """pt-BR phrase for {retorno}: "hoje às 13:30", "amanhã às 08:00" or "segunda-feira, 08/12, às 08:00"."""
    tz, texts = zone(policy.business_hours.timezone), policy.return_phrase
    today = _utc(now).astimezone(tz).date()
    opening = next_opening(policy, now).astimezone(tz)
    if opening.date() == today:
        template = texts.today
    elif opening.date() == today + dt.timedelta(days=1):
        template = texts.tomorrow
    else:
        template = texts.later
    return template.format(hora=opening.strftime("%H:%M"), data=opening.strftime("%d/%m"),
                           dia_semana=texts.weekday_names[WEEKDAYS[opening.weekday()]])
