"""When a network meets: a weekday of the rhythm, never on a weekend, a Dutch public holiday or in the school
holidays of the network's region; a meeting that would is moved to the nearest allowed day of its week.

Pure functions: the school-holiday periods are handed in (the SCHOOL_HOLIDAYS setting in appinfo.yml), the
public holidays come from the `holidays` package (its Dutch calendar, with Dutch names).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Iterable, Mapping

import holidays

from extension.i18n import Text

WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
REGIONS = ("noord", "midden", "zuid")
# How far past its own week a meeting may move when every weekday of that week is taken (a holiday week).
MAX_WEEKS_LATER = 8


@dataclass(frozen=True)
class SchoolHoliday:
    name: str
    region: str
    start: date
    end: date  # inclusive


@dataclass(frozen=True)
class Slot:
    """A meeting's day: the day the rhythm asked for, the day it got, and why it moved if it did (translated
    when shown: Dutch by default)."""

    key: str
    wanted: date
    day: date
    reason: Text | None = None

    @property
    def moved(self) -> bool:
        return self.day != self.wanted


def school_holidays(setting: Iterable[Mapping[str, Any]]) -> list[SchoolHoliday]:
    """The SCHOOL_HOLIDAYS setting (a list of {name, regions, start, end}) as one period per region."""
    periods = []
    for entry in setting:
        start, end = _day(entry["start"]), _day(entry["end"])
        for region in entry.get("regions") or REGIONS:
            periods.append(SchoolHoliday(str(entry["name"]), region, start, end))
    return periods


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def why_not(day: date, region: str | None, periods: Iterable[SchoolHoliday]) -> Text | None:
    """Why no meeting can be held on `day`, or None when it can. The names of public holidays and school
    holidays stay Dutch: they are the Dutch calendar's own."""
    if day.weekday() >= 5:
        return Text("at the weekend")
    public = holidays.country_holidays("NL", years=day.year, language="nl").get(day)
    if public:
        return Text("on a public holiday (%(name)s)", name=public)
    if region:
        for period in periods:
            if period.region == region and period.start <= day <= period.end:
                return Text("in the %(holiday)s (region %(region)s)", holiday=period.name, region=region)
    return None


def weekday_of(value: str | int | None, start: date) -> int:
    """0 (Monday) … 4 (Friday): a Dutch weekday name or number; by default the start date's own weekday."""
    if isinstance(value, int):
        return value
    if value:
        return WEEKDAYS.index(value.casefold())
    return start.weekday()


def schedule(start: date, weeks: Mapping[str, int], weekday: int, region: str | None,
             periods: Iterable[SchoolHoliday]) -> list[Slot]:
    """A day for every meeting: `weekday` of the week `weeks[key]` weeks after `start` (never before `start`),
    moved when that day is not allowed to the nearest allowed day of the same week (the earlier one on a
    tie), or, when the whole week is taken, to the first allowed day after it."""
    periods = list(periods)
    slots = []
    for key, week in weeks.items():
        anchor = start + timedelta(weeks=week)
        monday = anchor - timedelta(days=anchor.weekday())
        wanted = monday + timedelta(days=weekday)
        if wanted < start:
            wanted += timedelta(weeks=1)
            monday += timedelta(weeks=1)
        reason = why_not(wanted, region, periods)
        if reason is None:
            slots.append(Slot(key, wanted, wanted))
            continue
        week_days = sorted((monday + timedelta(days=n) for n in range(5)),
                           key=lambda d: (abs((d - wanted).days), d))
        day = next((d for d in week_days if d >= start and why_not(d, region, periods) is None), None)
        if day is None:
            following = (monday + timedelta(days=7 + n) for n in range(7 * MAX_WEEKS_LATER))
            day = next((d for d in following if why_not(d, region, periods) is None), wanted)
        slots.append(Slot(key, wanted, day, reason))
    return slots


# The weekdays as shown (the network file's rhythm names them in Dutch: WEEKDAYS).
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def describe(slot: Slot) -> Text:
    """The move for the wizard's review: 'dinsdag … valt in de herfstvakantie …' (in English on request)."""
    return Text("%(wanted)s falls %(reason)s; the meeting moves to %(day)s.", wanted=_short(slot.wanted),
                reason=slot.reason, day=_short(slot.day))


def _short(day: date) -> Text:
    return Text("%(weekday)s %(date)s", weekday=Text(DAY_NAMES[day.weekday()]), date=day.strftime('%d-%m-%Y'))
