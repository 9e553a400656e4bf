"""Threshold rules run on Kibana's schedule: count per group in each run's window, alert at count >= value.

After an alert, the group's events up to that alert's last event are not counted again (Kibana's
threshold signal history), so one burst gives one alert however many overlapping runs see it.
"""

from __future__ import annotations

from collections import deque

from .sequence import candidate_keys


class ThresholdCounter:
    """Per group, the (window_time, timestamp) of its events inside the window.

    A run only has to look at groups that gained events since the last run: expiry and history only ever
    lower a count, so no other group can have reached the threshold."""

    def __init__(self, fields: list[str], value: int, lookback: float, max_signals: int):
        self.fields = fields
        self.value = value
        self.lookback = lookback
        self.max_signals = max_signals
        self.buckets: dict[tuple, deque] = {}
        self.arrivals: deque = deque()  # (window_time, key), in time order, for expiry
        self.dirty: set[tuple] = set()

    def keys_of(self, fields: dict) -> list[tuple]:
        """The groups an event counts in: a terms aggregation buckets each value of a multi-valued field,
        and has no bucket for a missing value."""
        return candidate_keys(fields, self.fields, frozenset())

    def add(self, key: tuple, window_time: float, timestamp: float) -> None:
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = deque()
        bucket.append((window_time, timestamp))
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

    def run(self, run_time: float) -> list[tuple[tuple, int, float, float]]:
        """Evaluate one run at run_time: (key, count, first @timestamp, last @timestamp) per alert."""
        self._expire(run_time - self.lookback)
        hits = []
        for key in self.dirty:
            bucket = self.buckets.get(key)
            if bucket and len(bucket) >= self.value:
                stamps = [t for _, t in bucket]
                hits.append((key, len(bucket), min(stamps), max(stamps)))
        self.dirty = set()
        hits.sort(key=lambda h: (-h[1], h[0]))
        for key, *_ in hits[self.max_signals:]:
            self.dirty.add(key)  # not alerted this run (max_signals): still a candidate next run
        hits = hits[: self.max_signals]
        for key, *_ in hits:
            del self.buckets[key]  # history: these events never count again
        return hits
