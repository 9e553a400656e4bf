"""Kibana's rule schedule: a run every `interval`, each reading [run time - look-back, run time]."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Schedule:
    start: float  # the first run; the engine puts it at the first event's window time
    interval: float
    lookback: float

    def first_run_at_or_after(self, t: float) -> float:
        if t <= self.start:
            return self.start
        return self.start + math.ceil((t - self.start) / self.interval - 1e-9) * self.interval
