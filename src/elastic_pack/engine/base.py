"""The base of every compiled rule: schedule, exceptions, alerts."""

from __future__ import annotations

from collections.abc import Callable

from ..content.model import RuleFile
from ..durations import parse_lookback, parse_span
from .alerts import Alert
from .events import Event
from .schedule import Schedule

Predicate = Callable[[dict], bool]
_NONE: tuple = ()


class CompiledRule:
    def __init__(self, rule: RuleFile, exceptions: list[Predicate] | None = None):
        self.rule_id = rule.rule_id or ""
        self.name = rule.name or ""
        self.type = rule.type or ""
        self.interval = parse_span(rule.rule.get("interval", "5m")).total_seconds()
        self.lookback = parse_lookback(rule.rule.get("from", "now-6m")).total_seconds()
        self.max_signals = int(rule.rule.get("max_signals", 100))
        self.exceptions = exceptions or []
        self.schedule: Schedule | None = None
        self.gate = None  # (field, values): events without one of the values cannot match (see gates.py)
        self.now = 0.0  # the time of the event being fed: `now` in the query's date math

    def clock(self) -> float:
        return self.now

    def excepted(self, fields: dict) -> bool:
        return any(p(fields) for p in self.exceptions)

    def start(self, first_time: float) -> None:
        self.schedule = Schedule(first_time, self.interval, self.lookback)

    def feed(self, event: Event) -> list[Alert]:
        raise NotImplementedError

    def finish(self, last_time: float) -> list[Alert]:
        return []

    def state_size(self) -> int:
        return 0

    def alert(self, group: dict, count: int, first: float, last: float, run_time: float,
              events: tuple[Event, ...] = ()) -> Alert:
        ancestors = tuple(str(e.fields.get("_id") or e.source) for e in events)
        return Alert(self.rule_id, self.name, self.type, group, count, first, last, run_time, ancestors)


class WindowedRule(CompiledRule):
    """A rule that evaluates a window at every scheduled run (threshold, aggregating ES|QL).

    Runs are evaluated when time passes them: on the next event the rule is given, or at the end."""

    windowed = True

    def __init__(self, rule: RuleFile, exceptions: list[Predicate] | None = None):
        super().__init__(rule, exceptions)
        self.next_run: float | None = None

    def start(self, first_time: float) -> None:
        super().start(first_time)
        self.next_run = first_time

    def _run(self, run_time: float) -> list[Alert]:
        raise NotImplementedError

    def catch_up(self, until: float):
        """Evaluate every run strictly before `until` (events at a run's time belong to that run)."""
        if not self.windowed or self.next_run >= until:
            return _NONE
        alerts = []
        while self.next_run < until:
            alerts += self._run(self.next_run)
            self.next_run += self.interval
        return alerts

    def finish(self, last_time: float) -> list[Alert]:
        if not self.windowed:
            return []
        alerts = []
        while True:
            alerts += self._run(self.next_run)
            if self.next_run >= last_time:
                return alerts
            self.next_run += self.interval
