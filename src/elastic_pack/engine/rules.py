"""Pack rules compiled for the local engine: the same parsed query that is built for Kibana."""

from __future__ import annotations

from collections.abc import Callable

from eql import ast

from ..content.model import RuleFile
from ..content.queries import KqlQuery, parse_rule_query
from ..durations import parse_lookback, parse_span
from ..eql_query import EqlQuery
from ..kql import compile_kql
from .alerts import Alert
from .eql_compile import Compiler, UnsupportedEql, compile_event_query
from .events import Event
from .schedule import Schedule
from .sequence import SequenceMatcher
from .threshold import ThresholdCounter

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

    def alert(self, group: dict, count: int, first: float, last: float, run_time: float) -> Alert:
        return Alert(self.rule_id, self.name, self.type, group, count, first, last, run_time)


class ThresholdRule(CompiledRule):
    def __init__(self, rule: RuleFile, query: KqlQuery, exceptions=None):
        super().__init__(rule, exceptions)
        self.filter = compile_kql(query.tree)
        threshold = rule.rule["threshold"]
        fields = threshold["field"]
        self.group_fields = [fields] if isinstance(fields, str) else list(fields)
        self.counter = ThresholdCounter(self.group_fields, int(threshold["value"]), self.lookback, self.max_signals)
        self.next_run: float | None = None

    def start(self, first_time):
        super().start(first_time)
        self.next_run = first_time

    def _run(self, run_time: float) -> list[Alert]:
        return [
            self.alert(dict(zip(self.group_fields, key)), count, first, last, run_time)
            for key, count, first, last in self.counter.run(run_time)
        ]

    def feed(self, event):
        alerts = _NONE
        if self.next_run < event.window_time:
            alerts = []
            while self.next_run < event.window_time:
                alerts += self._run(self.next_run)
                self.next_run += self.interval
        fields = event.fields
        if self.filter(fields) and not (self.exceptions and self.excepted(fields)):
            key = self.counter.key_of(fields)
            if key is not None:
                self.counter.add(key, event.window_time, event.timestamp)
        return alerts

    def finish(self, last_time):
        alerts = []
        while True:
            alerts += self._run(self.next_run)
            if self.next_run >= last_time:
                return alerts
            self.next_run += self.interval

    def state_size(self):
        return self.counter.state_size()


class EqlSequenceRule(CompiledRule):
    """A sequence alerts once, in the first scheduled run whose window holds all of its events."""

    def __init__(self, rule: RuleFile, query: EqlQuery, exceptions=None):
        super().__init__(rule, exceptions)
        compiler = Compiler(query)
        compiled: dict[int, Predicate] = {}
        stages = []
        for sub in query.sequence.queries:
            if id(sub.query) not in compiled:
                predicate = compile_event_query(query, sub.query, compiler)
                compiled[id(sub.query)] = self._with_exceptions(predicate)
            stages.append(compiled[id(sub.query)])
        maxspan = query.maxspan.total_seconds() if query.maxspan else None
        self.join_fields = query.join_fields
        self.matcher = SequenceMatcher(stages, self.join_fields, maxspan)

    def _with_exceptions(self, predicate: Predicate) -> Predicate:
        if not self.exceptions:
            return predicate
        return lambda fields: predicate(fields) and not self.excepted(fields)

    def feed(self, event):
        alerts = []
        for events in self.matcher.feed(event):
            first_window = min(e.window_time for e in events)
            last_window = max(e.window_time for e in events)
            run_time = self.schedule.first_run_at_or_after(last_window)
            if run_time - self.lookback > first_window:
                continue  # no run's window holds the whole sequence
            group = {name: events[0].fields.get(name) for name in self.join_fields}
            alerts.append(self.alert(group, len(events), events[0].timestamp, events[-1].timestamp, run_time))
        return alerts

    def state_size(self):
        return self.matcher.state_size()


class EqlEventRule(CompiledRule):
    """A plain `any where ...` EQL rule: one alert per matching event, in the run that covers it."""

    def __init__(self, rule: RuleFile, query: EqlQuery, exceptions=None):
        super().__init__(rule, exceptions)
        if query.tree.pipes:
            raise UnsupportedEql("EQL pipes are not run by the local engine")
        first = query.tree.first
        if not isinstance(first, ast.EventQuery):
            raise UnsupportedEql(f"the local engine does not run EQL {type(first).__name__} queries")
        self.predicate = compile_event_query(query, first)

    def feed(self, event):
        if self.predicate(event.fields) and not self.excepted(event.fields):
            run_time = self.schedule.first_run_at_or_after(event.window_time)
            return [self.alert({}, 1, event.timestamp, event.timestamp, run_time)]
        return []


def compile_rule(rule: RuleFile, exceptions: list[Predicate] | None = None) -> CompiledRule:
    query = parse_rule_query(rule)
    if rule.type == "threshold":
        return ThresholdRule(rule, query, exceptions)
    if rule.type == "eql":
        if query.sequence is not None:
            return EqlSequenceRule(rule, query, exceptions)
        return EqlEventRule(rule, query, exceptions)
    raise UnsupportedEql(f"the local engine does not run {rule.type} rules yet")
