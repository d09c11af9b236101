"""The day's queue for one deck selection, built once and kept up to date (as Anki does).

The store gathers the cards (limits applied); this class only decides the
order: intraday learning cards as soon as they are due; otherwise reviews
with new cards spread evenly among them; then, when
nothing else is left, learning cards due within the learn-ahead window.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class QueueCounts:
    new: int
    learning: int
    review: int

    @property
    def total(self) -> int:
        return self.new + self.learning + self.review


@dataclass(slots=True)
class DayQueue:
    """Card ids to show today. ``learning`` holds (due, card id) pairs; ``reviews`` and
    ``new`` are in the order to show them; ``notes`` maps each card to its note."""

    day: int
    learn_ahead: timedelta
    learning: list[tuple[datetime, int]]
    reviews: deque[int]
    new: deque[int]
    notes: dict[int, int]
    _kind: dict[int, str] = field(default_factory=dict)
    _served_new: int = 0
    _served_reviews: int = 0
    _new_total: int = 0
    _review_total: int = 0

    def __post_init__(self) -> None:
        heapq.heapify(self.learning)
        self._kind = {cid: "learn" for _due, cid in self.learning}
        self._kind.update({cid: "review" for cid in self.reviews})
        self._kind.update({cid: "new" for cid in self.new})
        self._new_total = len(self.new)
        self._review_total = len(self.reviews)

    def _clean(self) -> None:
        while self.learning and self._kind.get(self.learning[0][1]) != "learn":
            heapq.heappop(self.learning)
        while self.reviews and self._kind.get(self.reviews[0]) != "review":
            self.reviews.popleft()
        while self.new and self._kind.get(self.new[0]) != "new":
            self.new.popleft()

    def peek(self, now: datetime) -> int | None:
        """The card to show at ``now``, or None when the day's work is done (for now)."""
        self._clean()
        if self.learning and self.learning[0][0] <= now:
            return self.learning[0][1]
        if self.new and (
            not self.reviews or self._served_new * max(self._review_total, 1) <= self._served_reviews * max(self._new_total, 1)
        ):
            return self.new[0]
        if self.reviews:
            return self.reviews[0]
        if self.learning and self.learning[0][0] <= now + self.learn_ahead:
            return self.learning[0][1]
        return None

    def remove(self, card_id: int) -> None:
        """Take a card out (answered, buried, suspended); lazy for the heap and deques."""
        kind = self._kind.pop(card_id, None)
        if kind == "new":
            self._served_new += 1
        elif kind == "review":
            self._served_reviews += 1

    def remove_note(self, note_id: int, keep: int | None = None) -> list[int]:
        """Take out every card of a note (sibling burying) except ``keep``; returns those taken."""
        gone = [cid for cid, nid in self.notes.items() if nid == note_id and cid != keep and cid in self._kind]
        for cid in gone:
            self._kind.pop(cid, None)
        return gone

    def push_learning(self, card_id: int, note_id: int, due: datetime) -> None:
        """An answered card whose next step is later today comes back then."""
        self._kind[card_id] = "learn"
        self.notes[card_id] = note_id
        heapq.heappush(self.learning, (due, card_id))

    def __contains__(self, card_id: int) -> bool:
        return card_id in self._kind

    def counts(self) -> QueueCounts:
        new = learning = review = 0
        for kind in self._kind.values():
            if kind == "new":
                new += 1
            elif kind == "review":
                review += 1
            else:
                learning += 1
        return QueueCounts(new, learning, review)
