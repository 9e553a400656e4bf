"""EQL sequences matched the way Elasticsearch's sequence matcher does, one event at a time.

Per join key and stage there is a group of partial sequences. An event that matches stage 0 opens a new
one. An event that matches stage s > 0 takes the newest partial sequence of stage s-1 for its key and
drops every older one there (Elasticsearch's `trimBefore`); if the event lies more than maxspan after the
sequence's first event the sequence is discarded, otherwise it moves to stage s, or completes. Stages are
tried from last to first so one event never fills two positions of one sequence. `with runs=N` is N
copies of the same stage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .events import Event

_SWEEP_EVERY = 4096
_NONE: tuple = ()


@dataclass(slots=True)
class Partial:
    start: float
    events: tuple[Event, ...]


class SequenceMatcher:
    def __init__(self, stages: list[Callable[[dict], bool]], keys: list[str], maxspan: float | None,
                 nullable_keys: frozenset = frozenset()):
        self.stages = stages
        self.keys = keys
        # Elasticsearch joins on null only for optional (`?field`) keys; other keys must have a value
        self.nullable_keys = nullable_keys
        self.maxspan = maxspan
        self.groups: list[dict[tuple, list[Partial]]] = [dict() for _ in stages]
        # identical stage predicates (runs=N) are evaluated once per event
        unique: dict[int, int] = {}
        self.stage_slot = [unique.setdefault(id(p), len(unique)) for p in stages]
        self.unique_predicates = [None] * len(unique)
        for p, slot in zip(stages, self.stage_slot):
            self.unique_predicates[slot] = p
        self._seen = 0

    def key_of(self, event: Event) -> tuple | None:
        values = []
        for name in self.keys:
            value = event.fields.get(name)
            if value is None or value == []:
                if name in self.nullable_keys:
                    values.append(None)
                    continue
                return None
            values.append(tuple(value) if isinstance(value, list) else value)
        return tuple(values)

    def state_size(self) -> int:
        return sum(len(g) for groups in self.groups for g in groups.values())

    def _sweep(self, now: float) -> None:
        """Forget partial sequences that can no longer complete within maxspan."""
        if self.maxspan is None:
            return
        horizon = now - self.maxspan
        for groups in self.groups:
            for key in [k for k, g in groups.items() if g[-1].start < horizon]:
                del groups[key]

    def feed(self, event: Event) -> list[tuple[Event, ...]]:
        """Process one event (in timestamp order); return the sequences it completes."""
        self._seen += 1
        if self._seen % _SWEEP_EVERY == 0:
            self._sweep(event.timestamp)
        fields = event.fields
        matched = [p(fields) for p in self.unique_predicates]
        if True not in matched:
            return _NONE
        key = self.key_of(event)
        if key is None:
            return _NONE
        completed: list = []
        last = len(self.stages) - 1
        for stage in range(last, -1, -1):
            if not matched[self.stage_slot[stage]]:
                continue
            if stage == 0:
                partial = Partial(event.timestamp, (event,))
                if last == 0:
                    completed.append(partial.events)
                else:
                    self.groups[0].setdefault(key, []).append(partial)
                continue
            group = self.groups[stage - 1].pop(key, None)
            if not group:
                continue
            partial = group[-1]  # newest wins; older ones are dropped with it
            if self.maxspan is not None and event.timestamp - partial.start > self.maxspan:
                continue
            moved = Partial(partial.start, partial.events + (event,))
            if stage == last:
                completed.append(moved.events)
            else:
                self.groups[stage].setdefault(key, []).append(moved)
        return completed


def run_sequences(matcher: SequenceMatcher, events: Iterable[Event]) -> list[tuple[Event, ...]]:
    found = []
    for event in events:
        found.extend(matcher.feed(event))
    return found
