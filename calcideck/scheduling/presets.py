"""Deck options presets: named, shared by several decks, inherited by subdecks."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from calcideck.core.diagnostics import CalciDeckError

DEFAULT_PRESET_NAME = "Default"
LEECH_ACTIONS = ("tag", "suspend")
NEW_CARD_ORDERS = ("file", "random")
MINUTE = timedelta(minutes=1)


class PresetError(CalciDeckError, ValueError):
    """Invalid preset values; the message lists every bad field at once."""


@dataclass(frozen=True, slots=True)
class Preset:
    """Options for the decks that use this preset.

    Attributes:
        name: unique name shown in the options screen.
        new_per_day: new cards introduced per study day (per deck).
        reviews_per_day: review cards shown per study day (per deck).
        learning_steps: delays between the first answers of a new card.
        relearning_steps: delays after a review card is forgotten.
        desired_retention: the probability of recall FSRS schedules for.
        max_interval_days: the longest interval a card may get.
        bury_siblings: other cards of an answered note wait until the next study day.
        leech_threshold: lapses after which a card is a leech (then every half threshold again).
        leech_action: ``"tag"`` (tag the note ``leech``) or ``"suspend"`` (tag and suspend the card).
        new_card_order: ``"file"`` (the order the instructor wrote) or ``"random"``.
        fuzz: spread intervals a little so cards learned together do not stay together.
        load_balance: within the fuzz range, prefer days with fewer reviews due.
        easy_days: per weekday (Monday first), the share of a normal day's reviews to
            schedule on it (1.0 normal, 0.5 half, 0.0 none when avoidable).
        parameters: this preset's FSRS parameters; ``None`` means the FSRS defaults.
    """

    name: str = DEFAULT_PRESET_NAME
    new_per_day: int = 20
    reviews_per_day: int = 200
    learning_steps: tuple[timedelta, ...] = (MINUTE, 10 * MINUTE)
    relearning_steps: tuple[timedelta, ...] = (10 * MINUTE,)
    desired_retention: float = 0.90
    max_interval_days: int = 36500
    bury_siblings: bool = True
    leech_threshold: int = 8
    leech_action: str = "tag"
    new_card_order: str = "file"
    fuzz: bool = True
    load_balance: bool = True
    easy_days: tuple[float, ...] = (1.0,) * 7
    parameters: tuple[float, ...] | None = field(default=None)

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise PresetError(f"invalid options for preset {self.name!r}: " + "; ".join(problems))

    def replace(self, **fields: Any) -> Preset:
        """A copy with ``fields`` changed (validated: every bad value is reported at once)."""
        unknown = sorted(set(fields) - {f.name for f in dataclasses.fields(Preset)})
        if unknown:
            raise PresetError(f"unknown preset option(s): {', '.join(unknown)}")
        return dataclasses.replace(self, **_coerce(fields))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in ("learning_steps", "relearning_steps"):
                value = [step.total_seconds() for step in value]
            elif isinstance(value, tuple):
                value = list(value)
            data[f.name] = value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Preset:
        """Rebuild a stored preset; options unknown to this version are ignored, missing ones take defaults."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**_coerce({k: v for k, v in data.items() if k in known}))


def _coerce(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    for key in ("learning_steps", "relearning_steps"):
        if key in out:
            out[key] = tuple(s if isinstance(s, timedelta) else timedelta(seconds=float(s)) for s in out[key])
    if "easy_days" in out:
        out["easy_days"] = tuple(float(x) for x in out["easy_days"])
    if out.get("parameters") is not None:
        out["parameters"] = tuple(float(x) for x in out["parameters"])
    return out


def _problems(p: Preset) -> list[str]:
    bad: list[str] = []

    def need(ok: bool, message: str) -> None:
        if not ok:
            bad.append(message)

    need(isinstance(p.name, str) and bool(p.name.strip()), "name must not be empty")
    for name in ("new_per_day", "reviews_per_day"):
        value = getattr(p, name)
        need(isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100_000, f"{name} must be 0-100000")
    for name in ("learning_steps", "relearning_steps"):
        steps = getattr(p, name)
        need(
            isinstance(steps, tuple) and all(isinstance(s, timedelta) and s >= timedelta(seconds=1) for s in steps),
            f"{name} must be durations of at least one second",
        )
    need(
        isinstance(p.desired_retention, float | int) and 0.70 <= p.desired_retention <= 0.99,
        "desired_retention must be 0.70-0.99",
    )
    need(isinstance(p.max_interval_days, int) and 1 <= p.max_interval_days <= 36500, "max_interval_days must be 1-36500")
    need(isinstance(p.leech_threshold, int) and 1 <= p.leech_threshold <= 99, "leech_threshold must be 1-99")
    need(p.leech_action in LEECH_ACTIONS, f"leech_action must be one of {', '.join(LEECH_ACTIONS)}")
    need(p.new_card_order in NEW_CARD_ORDERS, f"new_card_order must be one of {', '.join(NEW_CARD_ORDERS)}")
    need(
        isinstance(p.easy_days, tuple) and len(p.easy_days) == 7 and all(0.0 <= x <= 1.0 for x in p.easy_days),
        "easy_days must be 7 numbers from 0 to 1 (Monday first)",
    )
    if p.parameters is not None:
        need(len(p.parameters) in (17, 19, 21), "parameters must be 17, 19 or 21 FSRS weights")
    return bad
