"""Personal parameters (optimize, automatic re-optimisation) and workload statistics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from calcideck.scheduling import model
from calcideck.scheduling import optimizer as opt
from calcideck.scheduling.presets import Preset, PresetError
from calcideck.scheduling.tree import subtree
from calcideck.scheduling.types import State
from calcideck.store.models import CardRow, FsrsFitRow, PresetRow, ReviewLogRow, UndoRow
from calcideck.store.reviewer import Reviewer, _utc

REOPTIMIZE_AFTER = timedelta(days=30)
REOPTIMIZE_MIN_NEW_REVIEWS = 200


@dataclass(frozen=True, slots=True)
class FitReport:
    """The result of fitting a preset's FSRS parameters to the student's review log.

    ``kept`` is true only when the new parameters predict the same answers with
    a lower log loss than the current ones; otherwise the current ones stay.
    ``fitted`` is false when there were too few reviews to fit (``message`` says so).
    """

    preset: str
    reviews: int
    items: int
    fitted: bool
    kept: bool
    log_loss_before: float | None
    log_loss_after: float | None
    parameters: tuple[float, ...]
    rescheduled: int
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "preset": self.preset,
            "reviews": self.reviews,
            "items": self.items,
            "fitted": self.fitted,
            "kept": self.kept,
            "log_loss_before": self.log_loss_before,
            "log_loss_after": self.log_loss_after,
            "parameters": list(self.parameters),
            "rescheduled": self.rescheduled,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class Stats:
    """Workload and retention for a deck (or the whole collection)."""

    due_today: int
    forecast: tuple[int, ...]  # review cards due on each of the next 30 study days (today first, overdue included)
    true_retention: float | None  # share of review answers not "Again", last 30 days
    reviews_last_30_days: int
    desired_retention: float
    options: tuple[opt.RetentionOption, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "due_today": self.due_today,
            "forecast": list(self.forecast),
            "true_retention": self.true_retention,
            "reviews_last_30_days": self.reviews_last_30_days,
            "desired_retention": self.desired_retention,
            "help_me_decide": [
                {
                    "desired_retention": o.desired_retention,
                    "reviews_per_day": round(o.reviews_per_day, 1),
                    "minutes_per_day": round(o.minutes_per_day, 1),
                    "cards_remembered": round(o.cards_remembered),
                }
                for o in self.options
            ],
        }


class Insight:
    def __init__(self, reviewer: Reviewer) -> None:
        self._r = reviewer
        self._sessions = reviewer._sessions

    def _preset_decks(self, s: Session, preset_name: str | None) -> tuple[int, Preset, list[int]]:
        _decks, presets, eff = self._r._preset_map(s)
        name = preset_name or "Default"
        by_name = {p.name: pid for pid, p in presets.items()}
        if name not in by_name:
            raise PresetError(f"no preset named {name!r}")
        pid = by_name[name]
        return pid, presets[pid], [d for d, p in eff.items() if p == pid]

    def _answers(self, s: Session, deck_ids: list[int], since: datetime | None = None) -> list[opt.LoggedAnswer]:
        q = (
            select(
                ReviewLogRow.card_id,
                ReviewLogRow.reviewed_at,
                ReviewLogRow.rating,
                ReviewLogRow.state_before,
                ReviewLogRow.duration_ms,
            )
            .join(CardRow, CardRow.id == ReviewLogRow.card_id)
            .where(CardRow.deck_id.in_(deck_ids))
            .order_by(ReviewLogRow.reviewed_at, ReviewLogRow.id)
        )
        if since is not None:
            q = q.where(ReviewLogRow.reviewed_at >= since)
        return [opt.LoggedAnswer(*row) for row in s.execute(q)]

    def optimize(self, preset_name: str | None = None, *, reschedule: bool = False, now: datetime | None = None) -> FitReport:
        """Fit the preset's FSRS parameters to its decks' review log; keep them only if better."""
        now = _utc(now)
        days = self._r.days()
        with self._sessions() as s:
            pid, preset, deck_ids = self._preset_decks(s, preset_name)
            answers = self._answers(s, deck_ids)
        current = model.full_parameters(preset.parameters)
        if len(answers) < opt.MIN_REVIEWS:
            return FitReport(
                preset.name, len(answers), 0, False, False, None, None, current, 0,
                f"not enough reviews to fit: {len(answers)} of the {opt.MIN_REVIEWS} needed; keeping the current parameters",
            )  # fmt: skip
        data = opt.training_set(answers, days)
        if not data.items:
            return FitReport(
                preset.name, len(answers), 0, False, False, None, None, current, 0,
                "no answers a day or more after an earlier one yet; keeping the current parameters",
            )  # fmt: skip
        fitted, before, after = opt.fit(data, preset.parameters)
        kept = after < before
        rescheduled = 0
        with self._sessions.begin() as s:
            s.execute(
                insert(FsrsFitRow).values(
                    preset_id=pid, fitted_at=now, reviews_used=data.reviews, log_loss_before=before,
                    log_loss_after=after, kept=kept, parameters=list(fitted),
                )
            )  # fmt: skip
            if kept:
                new_preset = preset.replace(parameters=fitted)
                s.execute(update(PresetRow).where(PresetRow.id == pid).values(config=new_preset.to_json()))
                rescheduled = self._apply_parameters(s, new_preset, deck_ids, answers, reschedule)
        self._r.invalidate()
        message = (
            f"new parameters kept: log loss {after:.4f} < {before:.4f}"
            if kept
            else f"current parameters kept: the fit was not better (log loss {after:.4f} vs {before:.4f})"
        )
        return FitReport(
            preset.name,
            data.reviews,
            len(data.items),
            True,
            kept,
            before,
            after,
            fitted if kept else current,
            rescheduled,
            message,
        )

    def _apply_parameters(
        self, s: Session, preset: Preset, deck_ids: list[int], answers: list[opt.LoggedAnswer], reschedule: bool
    ) -> int:
        """Recompute memory states under new parameters (and, if asked, due dates of review cards)."""
        days = self._r.days()
        histories: dict[int, list[opt.LoggedAnswer]] = {}
        for a in answers:
            histories.setdefault(a.card_id, []).append(a)
        states = opt.memory_states(preset.parameters, histories, days)
        rows = s.execute(
            select(CardRow.id, CardRow.state, CardRow.last_review).where(
                CardRow.id.in_(list(states)), CardRow.state != State.NEW
            )
        ).all()
        params = model.full_parameters(preset.parameters)
        engine = model.engine(params)
        updates = []
        moved = 0
        for cid, state, last_review in rows:
            stability, difficulty = states[cid]
            values: dict[str, Any] = {"id": cid, "stability": stability, "difficulty": difficulty}
            if reschedule and state == State.REVIEW and last_review is not None:
                ivl = engine.next_interval(stability, preset.desired_retention, 3)
                ivl = min(max(1, int(ivl + 0.5)), preset.max_interval_days)
                values["due"] = days.start_of(days.day_of(last_review) + ivl)
                moved += 1
            updates.append(values)
        if updates:
            s.execute(update(CardRow), updates)
        s.execute(delete(UndoRow))  # the undo records hold the old states
        return moved

    def reoptimize_if_due(self, now: datetime | None = None) -> list[FitReport]:
        """Fit again every preset whose last fit is a month old (or never happened) and that has
        enough new reviews since; a fit is kept only if better. Meant to run in the background."""
        now = _utc(now)
        reports = []
        with self._sessions() as s:
            _decks, presets, eff = self._r._preset_map(s)
            due: list[str] = []
            for pid, preset in presets.items():
                deck_ids = [d for d, p in eff.items() if p == pid]
                if not deck_ids:
                    continue
                last = s.scalar(select(func.max(FsrsFitRow.fitted_at)).where(FsrsFitRow.preset_id == pid))
                if last is not None and now - last < REOPTIMIZE_AFTER:
                    continue
                since_q = select(func.count()).select_from(ReviewLogRow).join(CardRow, CardRow.id == ReviewLogRow.card_id)
                since_q = since_q.where(CardRow.deck_id.in_(deck_ids))
                total = s.scalar(since_q) or 0
                new = total if last is None else (s.scalar(since_q.where(ReviewLogRow.reviewed_at > last)) or 0)
                if total >= opt.MIN_REVIEWS and new >= REOPTIMIZE_MIN_NEW_REVIEWS:
                    due.append(preset.name)
        for name in due:
            reports.append(self.optimize(name, now=now))
        return reports

    def fits(self, preset_name: str | None = None) -> list[dict[str, Any]]:
        """Every recorded fit of a preset, oldest first."""
        with self._sessions() as s:
            pid, _preset, _decks = self._preset_decks(s, preset_name)
            rows = s.execute(select(FsrsFitRow).where(FsrsFitRow.preset_id == pid).order_by(FsrsFitRow.id)).scalars()
            return [
                {
                    "fitted_at": r.fitted_at.isoformat(),
                    "reviews_used": r.reviews_used,
                    "log_loss_before": r.log_loss_before,
                    "log_loss_after": r.log_loss_after,
                    "kept": r.kept,
                }
                for r in rows
            ]

    def stats(self, deck: str | None = None, now: datetime | None = None, simulate: bool = True) -> Stats:
        now = _utc(now)
        days = self._r.days()
        today = days.day_of(now)
        with self._sessions() as s:
            decks, presets, eff = self._r._preset_map(s)
            if deck is None:
                deck_ids = [d.id for d in decks]
                preset = presets[self._r._default_preset_id(s)]
            else:
                root = self._r._deck_id(s, deck)
                deck_ids = subtree(decks, root)
                preset = presets[eff[root]]
            active = (CardRow.deck_id.in_(deck_ids), CardRow.retired_at.is_(None), CardRow.suspended.is_(False))
            horizon = days.start_of(today + 30)
            forecast = [0] * 30
            for due, n in s.execute(
                select(CardRow.due, func.count())
                .where(*active, CardRow.state.in_((State.REVIEW, State.LEARNING, State.RELEARNING)), CardRow.due < horizon)
                .group_by(CardRow.due)
            ):
                if due is not None:
                    forecast[max(0, days.day_of(due) - today)] += n
            month_ago = now - timedelta(days=30)
            graded = s.execute(
                select(ReviewLogRow.rating > 1, func.count())
                .join(CardRow, CardRow.id == ReviewLogRow.card_id)
                .where(
                    CardRow.deck_id.in_(deck_ids),
                    ReviewLogRow.reviewed_at >= month_ago,
                    ReviewLogRow.state_before == State.REVIEW,
                )
                .group_by(ReviewLogRow.rating > 1)
            ).all()
            passed = sum(n for ok, n in graded if ok)
            total = sum(n for _ok, n in graded)
            size = s.scalar(select(func.count()).where(*active)) or 0
            answers = self._answers(s, deck_ids) if simulate else []
        options: tuple[opt.RetentionOption, ...] = ()
        if simulate:
            options = tuple(
                opt.simulate_options(
                    preset.parameters,
                    deck_size=size,
                    new_per_day=preset.new_per_day,
                    reviews_per_day=preset.reviews_per_day,
                    max_interval_days=preset.max_interval_days,
                    learning_steps=len(preset.learning_steps),
                    relearning_steps=len(preset.relearning_steps),
                    answers=answers,
                )
            )
        return Stats(forecast[0], tuple(forecast), passed / total if total else None, total, preset.desired_retention, options)
