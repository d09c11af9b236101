"""Study days: the calendar a student lives by, not 24-hour periods.

A study day starts at a configurable local hour (default 4 a.m.), in the
student's time zone. Elapsed time between two reviews is the number of
study-day starts crossed, the way Anki and the FSRS authors count it: a review
at 23:00 and the next at 08:00 the following morning are one day apart, and a
daylight-saving change neither drops nor doubles a day, because days are
counted on the local calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_ROLLOVER_HOUR = 4


@dataclass(frozen=True, slots=True)
class StudyDays:
    """Map instants to study-day numbers (proleptic ordinals of the local date) and back."""

    zone: ZoneInfo
    rollover_hour: int = DEFAULT_ROLLOVER_HOUR

    def __post_init__(self) -> None:
        if not 0 <= self.rollover_hour <= 23:
            raise ValueError(f"rollover hour must be 0-23, not {self.rollover_hour}")

    def day_of(self, instant: datetime) -> int:
        """The study day ``instant`` falls in."""
        _require_aware(instant)
        local = instant.astimezone(self.zone).replace(tzinfo=None)  # wall clock
        return (local - timedelta(hours=self.rollover_hour)).date().toordinal()

    def start_of(self, day: int) -> datetime:
        """The UTC instant study day ``day`` begins (its rollover hour, local time)."""
        wall = datetime.combine(date.fromordinal(day), time(self.rollover_hour))
        return wall.replace(tzinfo=self.zone).astimezone(UTC)

    def elapsed(self, earlier: datetime, later: datetime) -> int:
        """Study-day boundaries crossed between two instants (never negative)."""
        return max(0, self.day_of(later) - self.day_of(earlier))

    def weekday(self, day: int) -> int:
        """Monday 0 ... Sunday 6, of the local date that names study day ``day``."""
        return date.fromordinal(day).weekday()


def _require_aware(instant: datetime) -> None:
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant!r}: pass a UTC-aware instant")
