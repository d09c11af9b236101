"""Matching freshly compiled notes and cards to the ones already stored.

This is what keeps a student's history through an instructor's edits. Pure
functions over plain data (no database), in order of confidence:

1. an author's ``^id`` always wins;
2. identical content (fingerprint), preferring an active note in the same file,
   then the nearest position (moves inside or across files);
3. position: within one file, notes that sit where an edited note sat (between
   the same unchanged neighbours, found with a diff of the two note sequences)
   and still resemble it;
4. similarity across the whole deck root (rewording, moved and edited).
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

POSITIONAL_THRESHOLD = 0.35  # same slot between unchanged neighbours: weak resemblance suffices
GLOBAL_THRESHOLD = 0.6
CARD_THRESHOLD = 0.6
_TOKEN_RE = re.compile(r"\w+")
_MAX_FUZZY_CANDIDATES = 25


@dataclass(slots=True)
class Stored:
    id: int
    kind: str
    anchor: str | None
    fingerprint: str
    file: str
    position: int
    retired: bool
    text: str | None = None  # loaded only when similarity is needed (see ``match_notes``)


@dataclass(frozen=True, slots=True)
class Incoming:
    index: int
    kind: str
    anchor: str | None
    fingerprint: str
    file: str
    position: int
    text: str


def _words(text: str) -> list[str]:
    return _TOKEN_RE.findall(text.lower())


def word_ratio(a: str, b: str) -> float:
    """Share of words two texts have in common, in order (0..1)."""
    wa, wb = _words(a), _words(b)
    if not wa and not wb:
        return 1.0 if a == b else 0.0
    return difflib.SequenceMatcher(None, wa, wb, autojunk=False).ratio()


def similarity(a: str, b: str) -> float:
    """How alike two notes' canonical texts are (0..1), by words, not characters.

    For question/answer notes a side that stayed the same counts for more than
    the whole text: rewording only the question keeps the answer, and the card.
    """
    body_a, body_b = a.split("\x1e", 1)[-1], b.split("\x1e", 1)[-1]
    whole = word_ratio(body_a, body_b)
    fields_a, fields_b = body_a.split("\x1f"), body_b.split("\x1f")
    if a.startswith("basic\x1e") and b.startswith("basic\x1e") and len(fields_a) == len(fields_b) == 3:
        sides = [word_ratio(x, y) for x, y in zip(fields_a[1:], fields_b[1:], strict=True)]
        return max(whole, 0.7 * max(sides) + 0.3 * min(sides))
    return whole


def match_notes(
    incoming: Sequence[Incoming],
    stored: Sequence[Stored],
    load_texts: Callable[[list[int]], Mapping[int, str]] | None = None,
) -> dict[int, int]:
    """Map incoming index -> stored id. Each stored note is used at most once.

    Stored notes may come without their text; ``load_texts`` is then asked for
    the texts of those still unmatched after the exact steps (usually few).
    """
    result: dict[int, int] = {}
    used: set[int] = set()
    wanted_anchors = {n.anchor for n in incoming if n.anchor}

    # 1. ids
    by_anchor = {s.anchor: s for s in stored if s.anchor}
    for n in incoming:
        if n.anchor and n.anchor in by_anchor:
            result[n.index] = by_anchor[n.anchor].id
            used.add(by_anchor[n.anchor].id)

    # A stored note whose id is still written somewhere belongs to that id only.
    free = [s for s in stored if s.id not in used and not (s.anchor and s.anchor in wanted_anchors)]

    # 2. identical content
    by_fp: dict[str, list[Stored]] = defaultdict(list)
    for s in free:
        by_fp[s.fingerprint].append(s)
    for n in incoming:
        if n.index in result:
            continue
        options = [s for s in by_fp.get(n.fingerprint, ()) if s.id not in used]
        if options:
            best = min(options, key=lambda s: (s.retired, s.file != n.file, abs(s.position - n.position)))
            result[n.index] = best.id
            used.add(best.id)

    if any(n.index not in result for n in incoming):
        missing = [s.id for s in free if s.id not in used and s.text is None]
        if missing:
            if load_texts is None:
                raise ValueError("stored notes without text need load_texts")
            texts = load_texts(missing)
            for s in free:
                if s.text is None and s.id in texts:
                    s.text = texts[s.id]

    # 3. position within a file
    _match_by_position(incoming, free, result, used)

    # 4. similarity anywhere in the deck root
    _match_by_similarity(incoming, free, result, used)
    return result


def _match_by_position(incoming: Sequence[Incoming], free: Sequence[Stored], result: dict[int, int], used: set[int]) -> None:
    new_by_file: dict[str, list[Incoming]] = defaultdict(list)
    old_by_file: dict[str, list[Stored]] = defaultdict(list)
    for n in incoming:
        new_by_file[n.file].append(n)
    for s in free:
        if not s.retired:
            old_by_file[s.file].append(s)
    for file, new in new_by_file.items():
        old = sorted(old_by_file.get(file, ()), key=lambda s: s.position)
        if not old:
            continue
        new = sorted(new, key=lambda n: n.position)
        matcher = difflib.SequenceMatcher(None, [s.fingerprint for s in old], [n.fingerprint for n in new], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag != "replace":
                continue
            olds = [s for s in old[i1:i2] if s.id not in used]
            for n in new[j1:j2]:
                if n.index in result:
                    continue
                scored = [(similarity(n.text, s.text or ""), s) for s in olds if s.kind == n.kind and s.id not in used]
                scored = [(score, s) for score, s in scored if score >= POSITIONAL_THRESHOLD]
                if scored:
                    _score, best = max(scored, key=lambda pair: pair[0])
                    result[n.index] = best.id
                    used.add(best.id)


def _match_by_similarity(incoming: Sequence[Incoming], free: Sequence[Stored], result: dict[int, int], used: set[int]) -> None:
    pending = [n for n in incoming if n.index not in result]
    pool = [s for s in free if s.id not in used]
    if not pending or not pool:
        return
    index: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(pool):
        for token in set(_TOKEN_RE.findall((s.text or "").lower())):
            index[token].append(i)
    pairs: list[tuple[float, int, int]] = []
    for n in pending:
        shared: dict[int, int] = defaultdict(int)
        for token in set(_TOKEN_RE.findall(n.text.lower())):
            postings = index.get(token, ())
            if len(postings) > 200:  # too common to tell notes apart
                continue
            for i in postings:
                shared[i] += 1
        best = sorted(shared, key=lambda i: -shared[i])[:_MAX_FUZZY_CANDIDATES]
        for i in best:
            s = pool[i]
            if s.kind != n.kind:
                continue
            score = similarity(n.text, s.text or "")
            if score >= GLOBAL_THRESHOLD:
                pairs.append((score - (0.05 if s.retired else 0.0), n.index, s.id))
    for _score, n_index, s_id in sorted(pairs, reverse=True):
        if n_index not in result and s_id not in used:
            result[n_index] = s_id
            used.add(s_id)


@dataclass(frozen=True, slots=True)
class StoredCard:
    id: int
    key: str
    match_text: str
    retired: bool
    superseded: bool


def match_cards(new: Sequence[tuple[str, str]], old: Sequence[StoredCard]) -> dict[int, int]:
    """Map index in ``new`` (key, match_text) -> stored card id, within one note.

    Keys match exactly (``c2`` stays ``c2``); list items and occlusion labels,
    whose keys are their text, also match by similarity (a reworded item).
    """
    result: dict[int, int] = {}
    live = [c for c in old if not c.superseded]
    by_key: dict[str, list[StoredCard]] = defaultdict(list)
    for c in live:
        by_key[c.key].append(c)
    used: set[int] = set()
    for i, (key, _text) in enumerate(new):
        options = [c for c in by_key.get(key, ()) if c.id not in used]
        if options:
            best = min(options, key=lambda c: c.retired)
            result[i] = best.id
            used.add(best.id)
    pairs = []
    for i, (key, text) in enumerate(new):
        if i in result or not key.startswith(("item:", "label:")):
            continue
        for c in live:
            if c.id in used or not c.key.startswith(key.split(":", 1)[0] + ":"):
                continue
            score = similarity(text, c.match_text)
            if score >= CARD_THRESHOLD:
                pairs.append((score - (0.05 if c.retired else 0.0), i, c.id))
    for _score, i, cid in sorted(pairs, reverse=True):
        if i not in result and cid not in used:
            result[i] = cid
            used.add(cid)
    return result
