"""Pack rules compiled for the local engine: the same parsed query that is built for Kibana."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from eql import ast

from ..content.model import RuleFile
from ..content.queries import KqlQuery, parse_rule_query
from ..durations import parse_lookback, parse_span
from ..eql_query import EqlQuery
from ..kql import compile_kql
from .alerts import Alert
from .eql_compile import Compiler, UnsupportedEql, compile_event_query
from .gates import esql_gate, kql_gate, sequence_gate
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
        self.gate = None  # (field, values): events without one of the values cannot match (see gates.py)

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
        self.gate = kql_gate(query.tree)
        threshold = rule.rule["threshold"]
        fields = threshold["field"]
        self.group_fields = [fields] if isinstance(fields, str) else list(fields)
        self.counter = ThresholdCounter(self.group_fields, int(threshold["value"]), self.lookback, self.max_signals)
        self.next_run: float | None = None
        self.on_match = None  # optional observer (key, event), e.g. the backtest's hourly counts

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
                if self.on_match is not None:
                    self.on_match(key, event)
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
        self.gate = sequence_gate(query, compiler.insensitive)
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


class QueryRule(CompiledRule):
    """A custom query rule: one alert per matching event (overlapping runs see it once, as Kibana dedupes)."""

    def __init__(self, rule: RuleFile, query: KqlQuery, exceptions=None):
        super().__init__(rule, exceptions)
        self.filter = compile_kql(query.tree)
        self.gate = kql_gate(query.tree)

    def feed(self, event):
        fields = event.fields
        if self.filter(fields) and not (self.exceptions and self.excepted(fields)):
            run_time = self.schedule.first_run_at_or_after(event.window_time)
            return [self.alert({}, 1, event.timestamp, event.timestamp, run_time)]
        return _NONE


class NewTermsRule(CompiledRule):
    """Alerts on a value of `new_terms_fields` not seen in the history window before (Kibana's new_terms).

    The history is what the engine has read. Like a rule deployed on an index that already holds its
    history window, it raises nothing until the stream has covered one whole history window (warm-up);
    otherwise every value in the first days would be "new".
    """

    def __init__(self, rule: RuleFile, query: KqlQuery, exceptions=None):
        super().__init__(rule, exceptions)
        self.filter = compile_kql(query.tree)
        self.gate = kql_gate(query.tree)
        self.fields = list(rule.rule["new_terms_fields"])
        self.history = parse_lookback(rule.rule.get("history_window_start", "now-7d")).total_seconds()
        self.last_seen: dict[tuple, float] = {}
        self._fed = 0

    def feed(self, event):
        fields = event.fields
        if not self.filter(fields) or (self.exceptions and self.excepted(fields)):
            return _NONE
        values = tuple(fields.get(f) for f in self.fields)
        if any(v is None for v in values):
            return _NONE
        values = tuple(tuple(v) if isinstance(v, list) else v for v in values)
        previous = self.last_seen.get(values)
        self.last_seen[values] = event.window_time
        self._fed += 1
        if self._fed % 4096 == 0:  # forget values older than the history window: memory stays bounded
            horizon = event.window_time - self.history - self.lookback
            self.last_seen = {k: t for k, t in self.last_seen.items() if t >= horizon}
        if previous is not None and event.window_time - previous <= self.history:
            return _NONE
        if event.window_time < self.schedule.start + self.history:
            return _NONE  # still warming up
        run_time = self.schedule.first_run_at_or_after(event.window_time)
        return [self.alert(dict(zip(self.fields, values)), 1, event.timestamp, event.timestamp, run_time)]

    def state_size(self):
        return len(self.last_seen)


class EsqlRule(CompiledRule):
    """An ES|QL rule. Aggregating queries run STATS over each run's window and alert per result row;
    `alert_suppression` (group_by, duration) keeps a group from alerting again within the duration."""

    def __init__(self, rule: RuleFile, query, exceptions=None):
        super().__init__(rule, exceptions)
        from ..esql.evaluate import CompiledEsql

        self.esql = CompiledEsql(query)
        self.gate = esql_gate(query)
        suppression = rule.rule.get("alert_suppression") or {}
        self.suppress_by = list(suppression.get("group_by", []))
        duration = suppression.get("duration")
        self.suppress_for = (parse_span(f"{duration['value']}{duration['unit']}").total_seconds()
                             if duration else 0.0)
        self.suppressed_until: dict[tuple, float] = {}
        self.rows: deque = deque()  # (window_time, timestamp, compact)
        if self.esql.stats is not None:
            from ..esql.window import SlidingStats

            self.window = SlidingStats(self.esql.stats.aggregates)
            self.spans: dict[tuple, list] = {}  # key -> [count, deque of timestamps]
        self.next_run: float | None = None

    def start(self, first_time):
        super().start(first_time)
        self.next_run = first_time

    def feed(self, event):
        alerts = _NONE
        if self.esql.stats is not None and self.next_run < event.window_time:
            alerts = []
            while self.next_run < event.window_time:
                alerts += self._run(self.next_run)
                self.next_run += self.interval
        if self.exceptions and self.excepted(event.fields):
            return alerts
        row = self.esql.row(event.fields)
        if row is None:
            return alerts
        if self.esql.stats is None:
            run_time = self.schedule.first_run_at_or_after(event.window_time)
            return [*alerts, self.alert({}, 1, event.timestamp, event.timestamp, run_time)]
        compact = self.esql.compact(row)
        self.rows.append((event.window_time, event.timestamp, compact))
        self.window.add(*compact)
        self.spans.setdefault(compact[0], deque()).append(event.timestamp)
        return alerts

    def _run(self, run_time: float) -> list[Alert]:
        start = run_time - self.lookback
        while self.rows and self.rows[0][0] < start:
            _, _, (key, values) = self.rows.popleft()
            self.window.remove(key, values)
            stamps = self.spans[key]
            stamps.popleft()
            if not stamps:
                del self.spans[key]
        if not self.rows:
            return []
        by_names = [name for name, _ in self.esql.stats.by]
        aggregate_names = [name for name, _, _ in self.esql.stats.aggregates]
        result = self.esql.finish_rows(self.window.results(by_names, aggregate_names))
        alerts = []
        for row in result[: self.max_signals]:
            key = tuple(row.get(n) for n in by_names)
            group = {n: row.get(n) for n in by_names}
            if self.suppress_by:
                suppress_key = tuple(row.get(n) for n in self.suppress_by)
                if self.suppressed_until.get(suppress_key, float("-inf")) > run_time:
                    continue
                self.suppressed_until[suppress_key] = run_time + self.suppress_for
            stamps = self.spans.get(key)
            first, last, count = (min(stamps), max(stamps), len(stamps)) if stamps else (run_time, run_time, 0)
            alerts.append(self.alert(group, count, first, last, run_time))
        return alerts

    def finish(self, last_time):
        if self.esql.stats is None:
            return []
        alerts = []
        while True:
            alerts += self._run(self.next_run)
            if self.next_run >= last_time:
                return alerts
            self.next_run += self.interval

    def state_size(self):
        return len(self.rows)


def compile_rule(rule: RuleFile, exceptions: list[Predicate] | None = None) -> CompiledRule:
    query = parse_rule_query(rule)
    if rule.type == "threshold":
        return ThresholdRule(rule, query, exceptions)
    if rule.type == "eql":
        if query.sequence is not None:
            return EqlSequenceRule(rule, query, exceptions)
        return EqlEventRule(rule, query, exceptions)
    if rule.type == "query":
        return QueryRule(rule, query, exceptions)
    if rule.type == "new_terms":
        return NewTermsRule(rule, query, exceptions)
    if rule.type == "esql":
        return EsqlRule(rule, query, exceptions)
    raise UnsupportedEql(f"the local engine does not run {rule.type} rules")
