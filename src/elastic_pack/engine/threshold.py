"""Threshold rules run on Kibana's schedule: count per group in each run's window, alert at count >= value.

After an alert, the group's events up to that alert's last event are not counted again (Kibana's
threshold signal history), so one burst gives one alert however many overlapping runs see it. With
`threshold.cardinality` (Kibana takes one entry), a group also needs that many distinct values of the
field among its events in the window (each value of a multi-valued field counts, as the cardinality
aggregation counts them).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from ..eql.sequence import candidate_keys
from ..mapping import Mapping
from .terms import as_written, terms_of


class ThresholdCounter:
    """Per group, the (window_time, timestamp) of its events inside the window.

    A run only has to look at groups that gained events since the last run: expiry and history only ever
    lower a count, so no other group can have reached the threshold."""

    def __init__(self, fields: list[str], value: int, lookback: float, max_signals: int,
                 cardinality: tuple[tuple[str, int], ...] = (), types: Callable[[str], "str | None"] | None = None):
        self.fields = fields
        # groups as the terms aggregation makes them: values the field's type indexes as one term are one group
        types = types or Mapping.default()
        self.terms = terms_of(fields, types)
        # one field whose strings are their own terms up to this length (terms.as_written): the usual case
        self.single_text = fields[0] if len(fields) == 1 else None
        self.text_up_to = as_written(fields, types) if self.single_text else None
        self.value = value
        self.cardinality = cardinality[0] if cardinality else None  # (field, distinct values needed)
        self.lookback = lookback
        self.max_signals = max_signals
        self.buckets: dict[tuple, deque] = {}
        self.arrivals: deque = deque()  # (window_time, key), in time order, for expiry
        self.dirty: set[tuple] = set()

    def keys_of(self, fields: dict) -> list[tuple]:
        """The groups an event counts in: a terms aggregation buckets each value of a multi-valued field,
        and has no bucket for a missing value."""
        if self.text_up_to is not None:  # the usual case, answered without the general path's lists
            value = fields.get(self.single_text)
            if value.__class__ is str and len(value) <= self.text_up_to:
                return [(value,)]
        terms = self.terms
        keys = dict.fromkeys(terms(key) for key in candidate_keys(fields, self.fields, frozenset()))
        return [key for key in keys if None not in key]

    def distinct_of(self, fields: dict) -> tuple:
        """The event's values of the cardinality field (none without cardinality)."""
        if self.cardinality is None:
            return ()
        value = fields.get(self.cardinality[0])
        values = value if isinstance(value, list) else [value]
        return tuple(v if isinstance(v, (str, int, float)) else repr(v) for v in values if v is not None)

    def add(self, key: tuple, window_time: float, timestamp: float, distinct: tuple = ()) -> None:
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = deque()
        bucket.append((window_time, timestamp, distinct))
        self.arrivals.append((window_time, key))
        self.dirty.add(key)

    def state_size(self) -> int:
        return len(self.arrivals)

    def _expire(self, start: float) -> None:
        arrivals, buckets = self.arrivals, self.buckets
        while arrivals and arrivals[0][0] < start:
            _, key = arrivals.popleft()
            bucket = buckets.get(key)
            if bucket and bucket[0][0] < start:
                bucket.popleft()
                if not bucket:
                    del buckets[key]

    def _distinct_enough(self, bucket: deque) -> bool:
        if self.cardinality is None:
            return True
        return len({v for _, _, values in bucket for v in values}) >= self.cardinality[1]

    def run(self, run_time: float) -> list[tuple[tuple, int, float, float]]:
        """Evaluate one run at run_time: (key, count, first @timestamp, last @timestamp) per alert."""
        self._expire(run_time - self.lookback)
        hits = []
        for key in self.dirty:
            bucket = self.buckets.get(key)
            if bucket and len(bucket) >= self.value and self._distinct_enough(bucket):
                stamps = [t for _, t, _ in bucket]
                hits.append((key, len(bucket), min(stamps), max(stamps)))
        self.dirty = set()
        hits.sort(key=lambda h: (-h[1], h[0]))
        for key, *_ in hits[self.max_signals:]:
            self.dirty.add(key)  # not alerted this run (max_signals): still a candidate next run
        hits = hits[: self.max_signals]
        for key, *_ in hits:
            del self.buckets[key]  # history: these events never count again
        return hits
