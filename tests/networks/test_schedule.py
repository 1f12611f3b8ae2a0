"""Meeting days: never on a weekend, a Dutch public holiday or in the region's school holidays; moved within
the week to the nearest allowed day, or past a week that is all holiday."""
from __future__ import annotations

from datetime import date

from extension.appinfo import load as load_appinfo
from extension.networks.schedule import describe, school_holidays, schedule, why_not

PERIODS = school_holidays([
    {"name": "herfstvakantie", "regions": ["midden"], "start": "2027-10-16", "end": "2027-10-24"},
    {"name": "kerstvakantie", "start": "2027-12-25", "end": "2028-01-09"},
])


def test_a_network_starting_on_a_sunday_meets_on_weekdays():
    slots = schedule(date(2027, 9, 5), {"a": 0, "b": 1, "c": 2}, weekday=6, region=None, periods=[])
    assert all(slot.day.weekday() < 5 for slot in slots)
    assert all(slot.moved and str(slot.reason) == "in het weekend" for slot in slots)


def test_a_public_holiday_moves_the_meeting_to_the_nearest_day_of_the_same_week():
    # Tuesday 27 April 2027 is Koningsdag: Monday 26 and Wednesday 28 are as near; the earlier one wins.
    [slot] = schedule(date(2027, 4, 13), {"a": 2}, weekday=1, region=None, periods=[])
    assert slot.wanted == date(2027, 4, 27) and slot.day == date(2027, 4, 26)
    assert "Koningsdag" in str(describe(slot))


def test_school_holidays_count_only_for_the_networks_region():
    [midden] = schedule(date(2027, 10, 4), {"a": 2}, weekday=1, region="midden", periods=PERIODS)
    [zuid] = schedule(date(2027, 10, 4), {"a": 2}, weekday=1, region="zuid", periods=PERIODS)
    assert zuid.day == date(2027, 10, 19) and not zuid.moved
    # the whole week is herfstvakantie in midden: the first allowed day after it
    assert midden.day == date(2027, 10, 25) and "herfstvakantie (regio midden)" in str(midden.reason)


def test_shipped_school_holidays_cover_two_school_years_and_every_region():
    periods = school_holidays(load_appinfo().setting_defaults()["SCHOOL_HOLIDAYS"])
    for region in ("noord", "midden", "zuid"):
        mine = [p for p in periods if p.region == region]
        assert min(p.start for p in mine) <= date(2026, 10, 31) and max(p.end for p in mine) >= date(2028, 8, 20)
    assert str(why_not(date(2028, 2, 28), "midden", periods)) == "in de voorjaarsvakantie (regio midden)"
