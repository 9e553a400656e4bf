"""EQL sequences matched the way Elasticsearch's sequence matcher does, one event at a time.

Per join key and stage there is a group of partial sequences. An event that matches stage 0 opens a new
one. An event that matches stage s > 0 takes the newest partial sequence of stage s-1 for its key and
drops every older one there (Elasticsearch's `trimBefore`); if the event lies more than maxspan after the
sequence's first event the sequence is discarded, otherwise it moves to stage s, or completes. Stages are
tried from last to first so one event never fills two positions of one sequence. `with runs=N` is N
copies of the same stage.

Each stage joins on its own `by` fields (the sequence's `by` fields come first), compared by position. A
multi-valued join field gives one candidate key per value, and an empty array is null: only optional
(`?field`) keys join on null. `until [...]`: a partial sequence cannot advance past an until event of its key
that lies at or after its last event (Elasticsearch's `nearestUntil.between(sequence.ordinal(), ordinal)`):
an event that is both an until event and a stage's event still takes its place in the sequence (and completes
it at the last stage), and blocks what comes after it. A missing-event stage `![...]` between two stages holds
when no matching event of the same key lies between its neighbours. Leading and trailing missing stages
(before the first stage: within maxspan before the last event; after the last stage: within maxspan after the
first event) discard a sequence as Elasticsearch's missing-event check does: with only one of them, when it
is found; with both, only when a leading and a trailing event are found within maxspan of each other (the
whole sequence, its missing events included, must fit in maxspan). Sequences with a trailing missing stage
are held back until that time has passed, or the input ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import product

from ..engine.events import Event

_SWEEP_EVERY = 4096
_NONE: tuple = ()


@dataclass(slots=True)
class Partial:
    start: float
    events: tuple[Event, ...]
    times: tuple[float, ...]
    last: int = 0  # the position in the input of its last event (its ordinal)
    first: int = 0  # ... and of its first


class Matched(tuple):
    """A completed sequence: its events, in stage order; the join key they matched on (`key`: the values of
    the sequence's and the stage's `by` fields, as `_eql/search` reports them in join_keys); and its place
    among results (`order`): Elasticsearch orders sequences by the ordinal (time, then position in the input)
    of their last event, then of their first."""

    key: tuple = ()
    order: tuple = ()


def _matched(partial: "Partial | _Pending", key: tuple) -> Matched:
    found = Matched(partial.events)
    found.key = key
    found.order = (partial.times[-1], partial.last, partial.times[0], partial.first)
    return found


@dataclass
class Stage:
    predicate: Callable[[dict], bool]
    keys: list[str]
    missing: bool = False


@dataclass
class _Pending:
    deadline: float
    key: tuple
    events: tuple[Event, ...]
    times: tuple[float, ...]
    last: int
    first: int
    leading: float | None = None  # with a leading missing stage too: the time of the leading event found


def candidate_keys(fields: dict, names: list[str], nullable: frozenset) -> list[tuple]:
    """The join keys an event offers: one per combination of its join fields' non-null values."""
    if len(names) == 1:
        value = fields.get(names[0])
        if value.__class__ is str:
            return [(value,)]
    options = []
    for name in names:
        value = fields.get(name)
        values = [v for v in value if v is not None] if value.__class__ is list else (
            [] if value is None else [value])
        values = [v for v in dict.fromkeys(v for v in values if not isinstance(v, (dict, list)))]
        if not values:
            if name not in nullable:
                return []
            values = [None]
        options.append(values)
    return list(product(*options))


class SequenceMatcher:
    def __init__(self, stages: list[Stage], maxspan: float | None, nullable_keys: frozenset = frozenset(),
                 until: Stage | None = None, time_of: Callable[[Event], float] | None = None):
        self.positive = [s for s in stages if not s.missing]
        # missing stages by gap: gap g lies before positive stage g (gap len(positive) is after the last)
        self.missing: dict[int, list[Stage]] = {}
        gap = 0
        for stage in stages:
            if stage.missing:
                self.missing.setdefault(gap, []).append(stage)
            else:
                gap += 1
        self.until = until
        self.maxspan = maxspan
        self.nullable_keys = nullable_keys
        self.time_of = time_of or (lambda event: event.timestamp)
        self.groups: list[dict[tuple, list[Partial]]] = [dict() for _ in self.positive]
        # identical stage predicates (runs=N) are evaluated once per event
        unique: dict[int, int] = {}
        every = self.positive + [s for group in self.missing.values() for s in group] + ([until] if until else [])
        self.slot = {id(s): unique.setdefault(id(s.predicate), len(unique)) for s in every}
        self.unique_predicates: list = [None] * len(unique)
        for stage in every:
            self.unique_predicates[self.slot[id(stage)]] = stage.predicate
        # per positive stage, last first (the order feed moves partials in): its index, slot and join fields
        self._plan = [(index, self.slot[id(stage)], tuple(stage.keys), stage.keys)
                      for index, stage in reversed(list(enumerate(self.positive)))]
        self.missing_seen: dict[int, dict[tuple, list[float]]] = {id(s): {} for g in self.missing.values() for s in g}
        self.pending: list[_Pending] = []
        self._seen = 0
        self.until_seen: dict[tuple, tuple[int, float]] = {}  # key -> (ordinal, time) of its latest until event

    def state_size(self) -> int:
        partials = sum(len(g) for groups in self.groups for g in groups.values())
        return partials + len(self.pending) + sum(len(v) for seen in self.missing_seen.values() for v in seen.values())

    def _sweep(self, now: float) -> None:
        """Forget what can no longer take part in a sequence within maxspan."""
        if self.maxspan is None:
            return
        horizon = now - self.maxspan
        for groups in self.groups:
            for key in [k for k, g in groups.items() if g[-1].start < horizon]:
                del groups[key]
        for key in [k for k, (_, t) in self.until_seen.items() if t < horizon]:
            del self.until_seen[key]  # every partial still alive started after it
        for seen in self.missing_seen.values():
            for key in list(seen):
                seen[key] = [t for t in seen[key] if t >= horizon - self.maxspan]
                if not seen[key]:
                    del seen[key]

    def feed(self, event: Event) -> Sequence[tuple[Event, ...]]:
        """Process one event (in time order); return the sequences it completes (or that it releases)."""
        self._seen += 1
        now = self.time_of(event)
        if self._seen % _SWEEP_EVERY == 0:
            self._sweep(now)
        completed: list = self._release(now) if self.pending else []
        fields = event.fields
        matched = [p(fields) for p in self.unique_predicates]
        if True not in matched:
            return completed or _NONE
        for stages in self.missing.values():
            for stage in stages:
                if matched[self.slot[id(stage)]]:
                    seen = self.missing_seen[id(stage)]
                    for key in candidate_keys(fields, stage.keys, self.nullable_keys):
                        seen.setdefault(key, []).append(now)
        last = len(self.positive) - 1
        keys_by_fields: dict[tuple, list] = {}  # `runs=N` stages share their join fields
        groups = self.groups
        for index, slot, names, stage_keys in self._plan:
            if not matched[slot] or (index and not groups[index - 1]):
                continue  # (no partial at all waits for this stage: no key of the event can move one)
            keys = keys_by_fields.get(names)
            if keys is None:
                keys = keys_by_fields[names] = candidate_keys(fields, stage_keys, self.nullable_keys)
            for key in keys:
                if index and key not in groups[index - 1]:
                    continue  # no partial of this key waits for this stage (as _advance would find)
                moved = self._advance(index, key, event, now)
                if moved is None:
                    continue
                if index == last:
                    completed.extend(self._complete(key, moved))
                else:
                    self.groups[index].setdefault(key, []).append(moved)
        if self.until is not None and matched[self.slot[id(self.until)]]:
            # after the stages: this event blocks what comes after it, not its own place in a sequence
            for key in candidate_keys(fields, self.until.keys, self.nullable_keys):
                self.until_seen[key] = (self._seen, now)
        return completed

    def _advance(self, index: int, key: tuple, event: Event, now: float) -> Partial | None:
        if index == 0:
            return Partial(now, (event,), (now,), self._seen, self._seen)
        group = self.groups[index - 1].pop(key, None)
        if not group:
            return None
        partial = group[-1]  # newest wins; older ones are dropped with it
        if self.maxspan is not None and now - partial.start > self.maxspan:
            return None
        until = self.until_seen.get(key)
        if until is not None and until[0] >= partial.last:
            return None  # an until event of the key at or after the sequence's last event
        return Partial(partial.start, partial.events + (event,), partial.times + (now,), self._seen, partial.first)

    def _complete(self, key: tuple, partial: Partial) -> list[tuple[Event, ...]]:
        if not self._no_missing_between(key, partial.times):
            return []
        if len(self.positive) in self.missing:
            leading = None
            if 0 in self.missing:
                leading = self._latest_in(0, key, partial.times[-1] - (self.maxspan or 0.0), partial.times[0])
                if leading is None:
                    return [_matched(partial, key)]  # no leading event: the missing events cannot all be there
            deadline = partial.start + (self.maxspan or 0.0)
            self.pending.append(_Pending(deadline, key, partial.events, partial.times, partial.last, partial.first,
                                         leading))
            return []
        return [_matched(partial, key)]

    def _latest_in(self, gap: int, key: tuple, low: float, high: float) -> float | None:
        """The time of the latest missing-stage event of the gap in [low, high)."""
        found = [t for stage in self.missing.get(gap, ()) for t in self.missing_seen[id(stage)].get(key, ())
                 if low <= t < high]
        return max(found) if found else None

    def _seen_in(self, gap: int, key: tuple, low: float, high: float, closed_low: bool, closed_high: bool) -> bool:
        for stage in self.missing.get(gap, ()):
            for t in self.missing_seen[id(stage)].get(key, ()):
                if (low < t or (closed_low and t == low)) and (t < high or (closed_high and t == high)):
                    return True
        return False

    def _no_missing_between(self, key: tuple, times: tuple[float, ...]) -> bool:
        if 0 in self.missing and len(self.positive) not in self.missing \
                and self._seen_in(0, key, times[-1] - (self.maxspan or 0.0), times[0], True, False):
            return False  # (with a trailing missing stage too, both are checked together when released)
        for gap in range(1, len(times)):
            if gap in self.missing and self._seen_in(gap, key, times[gap - 1], times[gap], False, False):
                return False
        return True

    def _release(self, now: float | None) -> list[tuple[Event, ...]]:
        """Sequences with a trailing missing stage whose maxspan has passed (all of them at the end)."""
        ready = [p for p in self.pending if now is None or now > p.deadline]
        if not ready:
            return []
        self.pending = [p for p in self.pending if not (now is None or now > p.deadline)]
        gap = len(self.positive)
        out: list[tuple[Event, ...]] = []
        for p in ready:
            if p.leading is None:
                if not self._seen_in(gap, p.key, p.times[-1], p.deadline, False, True):
                    out.append(_matched(p, p.key))
            elif not self._seen_in(gap, p.key, p.times[-1], min(p.deadline, p.leading + (self.maxspan or 0.0)),
                                   False, True):
                out.append(_matched(p, p.key))  # no trailing event within maxspan of the leading one
        return out

    def finish(self) -> list[tuple[Event, ...]]:
        return self._release(None)


def run_sequences(matcher: SequenceMatcher, events: Iterable[Event]) -> list[tuple[Event, ...]]:
    found: list[tuple[Event, ...]] = []
    for event in events:
        found.extend(matcher.feed(event))
    return found + matcher.finish()
