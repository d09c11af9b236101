"""The deck tree with today's counts: children summed into parents, each deck's limits applied."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DeckInfo:
    id: int
    name: str  # full name, "A::B::C"
    parent_id: int | None
    preset_id: int | None  # own preset; None inherits the parent's


@dataclass(frozen=True, slots=True)
class DeckNode:
    """One deck of :meth:`calcideck.Collection.deck_tree`, with the cards it has for today.

    ``new``/``review`` are what studying this deck would show today (its own and
    its subdecks' cards, within this deck's remaining daily limits);
    ``learning`` counts (re)learning cards due today, which limits never hold back.
    """

    name: str  # last component
    full_name: str
    id: int
    new: int
    learning: int
    review: int
    children: tuple[DeckNode, ...]

    def walk(self) -> Iterator[DeckNode]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True, slots=True)
class DeckCounts:
    new: int
    learning: int
    review: int


def children_of(decks: list[DeckInfo]) -> dict[int | None, list[DeckInfo]]:
    kids: dict[int | None, list[DeckInfo]] = {}
    for d in sorted(decks, key=lambda d: d.name.casefold()):
        kids.setdefault(d.parent_id, []).append(d)
    return kids


def effective_presets(decks: list[DeckInfo], default_id: int) -> dict[int, int]:
    """Each deck's preset id: its own, else its nearest ancestor's, else the default."""
    by_id = {d.id: d for d in decks}
    out: dict[int, int] = {}

    def resolve(d: DeckInfo) -> int:
        if d.id in out:
            return out[d.id]
        if d.preset_id is not None:
            result = d.preset_id
        elif d.parent_id is not None and d.parent_id in by_id:
            result = resolve(by_id[d.parent_id])
        else:
            result = default_id
        out[d.id] = result
        return result

    for d in decks:
        resolve(d)
    return out


def subtree(decks: list[DeckInfo], root: int) -> list[int]:
    kids = children_of(decks)
    order: list[int] = []
    stack = [root]
    while stack:
        d = stack.pop()
        order.append(d)
        stack.extend(reversed([k.id for k in kids.get(d, [])]))
    return order


def build_tree(
    decks: list[DeckInfo],
    own: Callable[[int], DeckCounts],
    remaining: Callable[[int], tuple[int, int]],
) -> list[DeckNode]:
    """``own(deck)``: the deck's own available cards, already capped at its limits;
    ``remaining(deck)``: its (new, review) limits left today after what its subtree did."""
    kids = children_of(decks)

    def node(d: DeckInfo) -> DeckNode:
        children = tuple(node(k) for k in kids.get(d.id, []))
        mine = own(d.id)
        new_left, review_left = remaining(d.id)
        return DeckNode(
            name=d.name.rsplit("::", 1)[-1],
            full_name=d.name,
            id=d.id,
            new=min(new_left, mine.new + sum(c.new for c in children)),
            learning=mine.learning + sum(c.learning for c in children),
            review=min(review_left, mine.review + sum(c.review for c in children)),
            children=children,
        )

    return [node(d) for d in kids.get(None, [])]
