"""Scheduling: FSRS-6 with Anki's study-day semantics, learning steps, fuzz, queues, personal parameters.

Plain Python plus ``fsrs_rs_python``; no database and no Qt. The store applies
these decisions; the facade (:class:`calcideck.Collection`) exposes them.
"""

from __future__ import annotations

from calcideck.scheduling.days import StudyDays
from calcideck.scheduling.presets import Preset, PresetError
from calcideck.scheduling.types import AnswerResult, CardState, Outcome, Rating, ReviewEntry, State

__all__ = ["AnswerResult", "CardState", "Outcome", "Preset", "PresetError", "Rating", "ReviewEntry", "State", "StudyDays"]
