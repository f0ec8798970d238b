"""The model of tpr.yaml: first-response target, business hours, holidays, wait classes.

Kept apart from schema.py because it is one concept (time) with its own small
parsers: "HH:MM-HH:MM" intervals, "AAAA-MM-DD" / "DD/MM" dates, a timezone name.
The arithmetic on top of it lives in calendar.py.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .schema import Strict, Text, placeholders

# date.weekday() order (Monday = 0), Portuguese without accents as in tpr.yaml.
WEEKDAYS = ("segunda", "terca", "quarta", "quinta", "sexta", "sabado", "domingo")
Weekday = Literal[WEEKDAYS]
SAO_PAULO = "America/Sao_Paulo"
# Brazil has had no daylight saving time since 2019: a fixed offset is exact
# from then on, and only used if the system has no tz database at all.
BRT = dt.timezone(dt.timedelta(hours=-3), "-03")

_CLOCK = r"(?:[01]\d|2[0-3]):[0-5]\d"
_INTERVAL = re.compile(rf"^({_CLOCK})\s*-\s*({_CLOCK}|24:00)$")


@functools.lru_cache(maxsize=None)
def zone(name: str) -> dt.tzinfo:
    """The tzinfo for an IANA name; São Paulo falls back to UTC−03:00 without tzdata."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if name == SAO_PAULO:
            return BRT
        raise ValueError(f"unknown timezone '{name}'; use an IANA name such as {SAO_PAULO}") from None


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def span(text: str) -> tuple[int, int]:
    """Parse "08:00-12:00" into minutes after midnight, (480, 720)."""
    match = _INTERVAL.match(text.strip())
    if not match:
        raise ValueError(f"invalid interval '{text}'; write HH:MM-HH:MM, e.g. 08:00-12:00")
    start, end = _minutes(match.group(1)), _minutes(match.group(2))
    if start >= end:
        raise ValueError(f"interval '{text}' ends before it starts; one interval cannot cross midnight")
    return start, end


def _check_span(text: str) -> str:
    span(text)
    return text


def _no_overlap(intervals: list[str]) -> list[str]:
    ordered = sorted(intervals, key=span)
    for before, after in zip(ordered, ordered[1:]):
        if span(after)[0] < span(before)[1]:
            raise ValueError(f"intervals {before} and {after} overlap")
    return intervals


Interval = Annotated[str, AfterValidator(_check_span)]
DayHours = Annotated[list[Interval], AfterValidator(_no_overlap)]


def _whole_week(week: dict) -> dict:
    missing = [day for day in WEEKDAYS if day not in week]
    if missing:
        raise ValueError(f"missing weekday(s): {', '.join(missing)} (write `{missing[0]}: []` for a closed day)")
    return week


def _some_hours(week: dict) -> dict:
    if not any(week.values()):
        raise ValueError("no business hours on any day; the first-response clock would never start")
    return week


def _check_zone(name: str) -> str:
    zone(name)
    return name


class BusinessHours(Strict):
    """When a person is there to answer: a timezone and, per weekday, the open intervals."""

    timezone: Annotated[str, AfterValidator(_check_zone)] = SAO_PAULO
    week: Annotated[dict[Weekday, DayHours], AfterValidator(_whole_week), AfterValidator(_some_hours)]

    def spans(self, weekday: int) -> list[tuple[int, int]]:
        """Open intervals of a weekday (0 = segunda) in minutes after midnight, sorted."""
        return sorted(span(text) for text in self.week[WEEKDAYS[weekday]])


def _date_text(value: object) -> object:
    # YAML reads an unquoted 2026-12-24 as a date; accept it like the quoted form.
    return value.isoformat() if isinstance(value, dt.date) else value


def holiday_date(text: str) -> tuple[int | None, int, int]:
    """Parse "2026-12-24" (that day only) or "24/12" (every year) into (year or None, month, day)."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = dt.date.fromisoformat(text)
            return day.year, day.month, day.day
        if re.fullmatch(r"\d{1,2}/\d{1,2}", text):
            day_of_month, month = (int(part) for part in text.split("/"))
            dt.date(2000, month, day_of_month)  # a leap year, so 29/02 is accepted
            return None, month, day_of_month
    except ValueError as exc:
        raise ValueError(f"invalid date '{text}': {exc}") from None
    raise ValueError(f"invalid date '{text}'; write AAAA-MM-DD (one day) or DD/MM (every year)")


def _check_holiday_date(text: str) -> str:
    holiday_date(text)
    return text


class ExtraHoliday(Strict):
    """A day off the admin adds: one date ("2026-12-24") or every year ("24/12")."""

    date: Annotated[str, BeforeValidator(_date_text), AfterValidator(_check_holiday_date)]
    name: Text

    def on(self, year: int) -> dt.date | None:
        """The date this holiday falls on in `year`, or None (other year, or 29/02 off leap years)."""
        fixed_year, month, day = holiday_date(self.date)
        if fixed_year not in (None, year):
            return None
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None


class OptionalDaysOff(Strict):
    """Pontos facultativos (not national holidays by law) the team also takes off."""

    carnaval: bool = True
    corpus_christi: bool = True


class Holidays(Strict):
    """National holidays (computed per year), optional days off, and the admin's own dates."""

    national: bool = True
    pontos_facultativos: OptionalDaysOff = OptionalDaysOff()
    extra: list[ExtraHoliday] = []


class Breach(Strict):
    """What happens when nobody answered within the target."""

    tag: Text
    holding_message: Annotated[Text, placeholders()] | None = None
    send_holding_message: bool = True

    @property
    def holding_text(self) -> str | None:
        """The message to send once, or None when disabled."""
        if not (self.send_holding_message and self.holding_message):
            return None
        return self.holding_message.format()


class WaitClass(Strict):
    """One band of the wait-time scale: from `from_minutes` on (inclusive) or above `above_minutes`."""

    name: Text
    from_minutes: float | None = Field(None, ge=0)
    above_minutes: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _one_bound(self) -> WaitClass:
        if (self.from_minutes is None) == (self.above_minutes is None):
            raise ValueError("give exactly one of from_minutes (inclusive) or above_minutes (exclusive)")
        return self

    @property
    def bound(self) -> float:
        """The lower bound in minutes, whichever way it was written."""
        return self.from_minutes if self.from_minutes is not None else self.above_minutes

    def admits(self, seconds: float) -> bool:
        """Whether a wait of `seconds` reaches this class's lower bound."""
        limit = self.bound * 60
        return seconds >= limit if self.from_minutes is not None else seconds > limit


def _ordered_classes(classes: list[WaitClass]) -> list[WaitClass]:
    if classes[0].from_minutes != 0:
        raise ValueError("the first class must start at from_minutes: 0 so every wait has a class")
    for before, after in zip(classes, classes[1:]):
        if after.bound <= before.bound:
            raise ValueError(f"'{after.name}' must start after '{before.name}' (list classes from the shortest wait up)")
    names = [c.name for c in classes]
    repeated = next((name for name in names if names.count(name) > 1), None)
    if repeated:
        raise ValueError(f"class '{repeated}' is listed twice")
    return classes


class ReturnPhrase(Strict):
    """pt-BR shapes of {retorno}: today, tomorrow, or a later day with its weekday name."""

    today: Annotated[Text, placeholders("hora", "data", "dia_semana")]
    tomorrow: Annotated[Text, placeholders("hora", "data", "dia_semana")]
    later: Annotated[Text, placeholders("hora", "data", "dia_semana")]
    weekday_names: Annotated[dict[Weekday, Text], AfterValidator(_whole_week)]


class TprPolicy(Strict):
    """tpr.yaml"""

    target_seconds: int = Field(60, ge=1)
    breach: Breach
    poll_interval_seconds: int = Field(30, ge=5, le=3600)
    wait_classes: Annotated[list[WaitClass], Field(min_length=1), AfterValidator(_ordered_classes)]
    business_hours: BusinessHours
    holidays: Holidays = Holidays()
    closed_greeting_suffix: Annotated[Text, placeholders("retorno")]
    return_phrase: ReturnPhrase
