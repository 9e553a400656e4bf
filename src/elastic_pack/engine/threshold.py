"""Threshold rules run on Kibana's schedule: count per group in each run's window, alert at count >= value.

After an alert, the group's events up to that alert's last event are not counted again (Kibana's
threshold signal history), so one burst gives one alert however many overlapping runs see it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass(slots=True)
class _Bucket:
    times: deque = field(default_factory=deque)  # (window_time, timestamp)


class ThresholdCounter:
    def __init__(self, fields: list[str], value: int, lookback: float, max_signals: int):
        self.fields = fields
        self.value = value
        self.lookback = lookback
        self.max_signals = max_signals
        self.buckets: dict[tuple, _Bucket] = {}

    def key_of(self, fields: dict) -> tuple | None:
        values = []
        for name in self.fields:
            value = fields.get(name)
            if value is None or value == []:
                return None  # a terms aggregation has no bucket for a missing value
            values.append(tuple(value) if isinstance(value, list) else value)
        return tuple(values)

    def add(self, key: tuple, window_time: float, timestamp: float) -> None:
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = _Bucket()
        bucket.times.append((window_time, timestamp))

    def state_size(self) -> int:
        return sum(len(b.times) for b in self.buckets.values())

    def run(self, run_time: float) -> list[tuple[tuple, int, float, float]]:
        """Evaluate one run at run_time: (key, count, first @timestamp, last @timestamp) per alert."""
        start = run_time - self.lookback
        hits = []
        for key in list(self.buckets):
            times = self.buckets[key].times
            while times and times[0][0] < start:
                times.popleft()
            if not times:
                del self.buckets[key]
                continue
            if len(times) >= self.value:
                stamps = [t for _, t in times]
                hits.append((key, len(times), min(stamps), max(stamps)))
        hits.sort(key=lambda h: (-h[1], h[0]))
        hits = hits[: self.max_signals]
        for key, *_ in hits:
            del self.buckets[key]  # history: these events never count again
        return hits
