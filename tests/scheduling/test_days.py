"""Study days: local calendar days that start at the rollover hour, across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from calcideck.scheduling.days import StudyDays

BERLIN = ZoneInfo("Europe/Berlin")


def local(y: int, mo: int, d: int, h: int, mi: int = 0, zone: ZoneInfo = BERLIN) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=zone).astimezone(UTC)


def test_evening_then_next_morning_is_one_day_apart() -> None:
    days = StudyDays(BERLIN)
    assert days.elapsed(local(2026, 5, 4, 23), local(2026, 5, 5, 8)) == 1


def test_before_the_rollover_hour_belongs_to_the_previous_day() -> None:
    days = StudyDays(BERLIN, rollover_hour=4)
    assert days.elapsed(local(2026, 5, 4, 22), local(2026, 5, 5, 3, 59)) == 0
    assert days.elapsed(local(2026, 5, 5, 3, 59), local(2026, 5, 5, 4, 0)) == 1
    # 25 hours but only one boundary crossed; 5 minutes but one boundary crossed
    assert days.elapsed(local(2026, 5, 4, 5), local(2026, 5, 5, 6)) == 1
    assert days.elapsed(local(2026, 5, 5, 3, 58), local(2026, 5, 5, 4, 3)) == 1


def test_rollover_hour_is_configurable() -> None:
    midnight = StudyDays(BERLIN, rollover_hour=0)
    assert midnight.elapsed(local(2026, 5, 4, 23), local(2026, 5, 5, 1)) == 1
    assert StudyDays(BERLIN, rollover_hour=4).elapsed(local(2026, 5, 4, 23), local(2026, 5, 5, 1)) == 0
    with pytest.raises(ValueError):
        StudyDays(BERLIN, rollover_hour=24)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # spring forward in Berlin: 2026-03-29 02:00 -> 03:00 (a 23-hour day)
        ((2026, 3, 28, 12), (2026, 3, 29, 12)),
        ((2026, 3, 28, 4), (2026, 3, 29, 4)),
        # fall back: 2026-10-25 03:00 -> 02:00 (a 25-hour day)
        ((2026, 10, 24, 12), (2026, 10, 25, 12)),
        ((2026, 10, 24, 4), (2026, 10, 25, 4)),
    ],
)
def test_dst_change_neither_drops_nor_doubles_a_day(before: tuple[int, ...], after: tuple[int, ...]) -> None:
    days = StudyDays(BERLIN)
    assert days.elapsed(local(*before), local(*after)) == 1
    assert days.elapsed(local(*before), local(*after) - timedelta(minutes=1)) == (0 if before[3] == 4 else 1)


def test_day_starts_are_the_local_rollover_hour_on_both_sides_of_dst() -> None:
    days = StudyDays(BERLIN)
    for y, m, d in [(2026, 3, 28), (2026, 3, 29), (2026, 3, 30), (2026, 10, 25), (2026, 10, 26)]:
        start = days.start_of(days.day_of(local(y, m, d, 12)))
        assert start.astimezone(BERLIN).hour == 4
        assert start.astimezone(BERLIN).date() == datetime(y, m, d).date()
    # consecutive day starts are 23, 24 or 25 hours apart around DST changes
    first = days.day_of(local(2026, 3, 27, 12))
    gaps = {days.start_of(first + i + 1) - days.start_of(first + i) for i in range(5)}
    assert gaps == {timedelta(hours=24), timedelta(hours=23)}


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        StudyDays(BERLIN).day_of(datetime(2026, 1, 1, 12))
