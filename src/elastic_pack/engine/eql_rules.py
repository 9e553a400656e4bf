"""Rules whose query is EQL: sequences, samples and single-event queries.

Kibana's EQL rule parameters are honoured: `event_category_override` names the field `process where`
reads (default `event.category`), `timestamp_field` the time sequences are measured on (maxspan, missing
events). `| head N` and `| tail N` (one or several, applied in order: `| head 4 | tail 2`) keep the first or
last N results of each scheduled run, in Elasticsearch's order: events by time, sequences by their last event,
then their first.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ..eql import cached_grammar  # noqa: F401  (before eql: its grammar, cached)
from eql import ast

from ..content.model import RuleFile
from ..content.spec import EqlSpec
from ..eql.compile import Compiler, UnsupportedEql, compile_event_query
from ..eql.parser import EqlQuery, field_name
from ..eql.pipes import apply_pipes, pipes_of
from ..eql.sample import find_samples, sample_filters
from ..eql.sequence import SequenceMatcher, Stage
from ..mapping import as_mapping
from .alerts import Alert
from .base import CompiledRule, Predicate, WindowedRule
from .events import Event, parse_time
from .gates import sequence_gate


class _LimitedRule(CompiledRule):
    """`| head N` / `| tail N`: each scheduled run keeps the first or last N results in its window (in
    Elasticsearch's order: by ordinal, the time and then the position in the input, of an event or a sequence's
    last event, then its first), and Kibana alerts once on each result kept by any run. Results are held back until
    the end of the input, when every run's window is known."""

    def _setup_limit(self, query: EqlQuery) -> None:
        self.limit = pipes_of(query) or None
        self.held: list = []  # (first window time, last window time, alert, order among results)

    def _emit(self, found: list) -> list:
        if self.limit is None:
            return [item[2] for item in found]
        self.held.extend(found)
        return []

    def _limited(self) -> list:
        if self.limit is None:
            return []
        runs: dict[float, list] = {}
        for item in self.held:
            first, last = item[0], item[1]
            run = self.schedule.first_run_at_or_after(last)
            while run - self.lookback <= first:
                runs.setdefault(run, []).append(item)
                run += self.interval
        kept: dict[int, object] = {}
        for run in sorted(runs):
            # Elasticsearch's order of results: an event's or a sequence's ordinal (see Matched.order)
            items = sorted(runs[run], key=lambda i: i[3])
            # the search asks for max_signals results at most
            for _, _, alert, _ in apply_pipes(self.limit, items, self.max_signals):
                kept.setdefault(id(alert), replace(alert, run_time=run))
        return list(kept.values())


def _shared_fields(events: Any, names: Any) -> dict:
    """A sequence's value of each field: the one all its events hold (Kibana's sequence alert keeps the fields
    its events share, and suppresses on those), else none."""
    out = {}
    for name in names:
        values = [event.fields.get(name) for event in events]
        out[name] = values[0] if all(v == values[0] for v in values) else None
    return out


def _category_field(rule: RuleFile) -> str:
    spec = rule.spec
    return (spec.event_category_override if isinstance(spec, EqlSpec) else None) or "event.category"


class EqlSequenceRule(_LimitedRule):
    """A sequence alerts once, in the first scheduled run whose window holds all of its events."""

    def __init__(self, rule: RuleFile, query: EqlQuery, exceptions: list[Predicate] | None = None,
                 mapping: Any = None) -> None:
        super().__init__(rule, exceptions, mapping)
        self._setup_limit(query)
        category = _category_field(rule)
        compiler = Compiler(query, None if mapping is None else as_mapping(mapping))
        self.gate = sequence_gate(query, compiler.insensitive) if category == "event.category" else None
        compiled: dict[int, Predicate] = {}

        def stage_of(sub: Any, missing: bool = False) -> Stage:
            if id(sub.query) not in compiled:
                predicate = compile_event_query(query, sub.query, compiler, category)
                compiled[id(sub.query)] = predicate if missing else self._with_exceptions(predicate)
            return Stage(compiled[id(sub.query)], [field_name(f) for f in sub.join_values], missing)

        sequence = query.sequence
        assert sequence is not None
        stages = [stage_of(sub, bool(sub.data.get("is_negated"))) for sub in sequence.queries]
        until = stage_of(sequence.close, True) if sequence.close is not None else None
        maxspan = query.maxspan.total_seconds() if query.maxspan else None
        self.join_fields = query.join_fields
        nullable = frozenset(f for keys in query.stage_join_fields for f in keys) & frozenset(query.optional_fields)
        self.matcher = SequenceMatcher(stages, maxspan, nullable, until, self._time_of(rule))

    @staticmethod
    def _time_of(rule: RuleFile) -> Any:
        spec = rule.spec
        name = spec.timestamp_field if isinstance(spec, EqlSpec) else None
        if not name or name == "@timestamp":
            return None

        def time_of(event: Event) -> float:
            value = event.fields.get(name)
            try:
                return parse_time(value[0] if isinstance(value, list) and value else value)
            except (TypeError, ValueError):
                return event.timestamp

        return time_of

    def _with_exceptions(self, predicate: Predicate) -> Predicate:
        if not self.exceptions:
            return predicate
        return lambda fields: predicate(fields) and not self.excepted(fields)

    def _alerts(self, sequences: Any) -> list:
        alerts = []
        for events in sequences:
            first_window = min(e.window_time for e in events)
            last_window = max(e.window_time for e in events)
            run_time = self.alerting_run(last_window, first_window)
            if run_time is None:
                continue  # no run's window holds the whole sequence (or had room left under max_signals)
            if self.suppression is not None and self.suppressed(_shared_fields(events, self.suppression.group_by),
                                                                run_time):
                continue
            if self.limit is None:
                self.count_alert(run_time)
            group = {name: events[0].fields.get(name) for name in self.join_fields}
            alert = self.alert(group, len(events), events[0].timestamp, events[-1].timestamp, run_time, events)
            alerts.append((first_window, last_window, alert, events.order))
        return alerts

    def feed(self, event: Event) -> Sequence[Alert]:
        found = self.matcher.feed(event)
        return self._emit(self._alerts(found)) if found else []

    def finish(self, last_time: float) -> Sequence[Alert]:
        return self._emit(self._alerts(self.matcher.finish())) + self._limited()

    def state_size(self) -> int:
        return self.matcher.state_size()


class EqlEventRule(_LimitedRule):
    """A plain `any where ...` EQL rule: one alert per matching event, in the run that covers it."""

    def __init__(self, rule: RuleFile, query: EqlQuery, exceptions: list[Predicate] | None = None,
                 mapping: Any = None) -> None:
        super().__init__(rule, exceptions, mapping)
        self._setup_limit(query)
        first = query.tree.first
        if not isinstance(first, ast.EventQuery):
            raise UnsupportedEql(f"EQL {type(first).__name__.lower()} queries")
        category = _category_field(rule)
        types = None if mapping is None else as_mapping(mapping)
        self.predicate = compile_event_query(query, first, Compiler(query, types), category_field=category)
        self._fed = 0

    def feed(self, event: Event) -> Sequence[Alert]:
        self._fed += 1  # the event's position in the input: its ordinal after its time
        if self.predicate(event.fields) and not self.excepted(event.fields):
            run_time = self.alerting_run(event.window_time)
            if run_time is None or self.suppressed(event.fields, run_time):
                return []
            if self.limit is None:
                self.count_alert(run_time)
            alert = self.alert({}, 1, event.timestamp, event.timestamp, run_time, (event,))
            return self._emit([(event.window_time, event.window_time, alert, (event.timestamp, self._fed))])
        return []

    def finish(self, last_time: float) -> Sequence[Alert]:
        return self._limited()


class EqlSampleRule(WindowedRule):
    """A `sample` rule: each scheduled run samples the events in its window (elastic_pack.eql.sample, at most
    max_signals samples, as Kibana asks for), and alerts once on each sample (the same events again in a later
    run are the same alert, as Kibana's sequence alerts are). Excepted events take part in no sample."""

    def __init__(self, rule: RuleFile, query: EqlQuery, exceptions: list[Predicate] | None = None,
                 mapping: Any = None) -> None:
        super().__init__(rule, exceptions, mapping)
        if query.tree.pipes:
            raise UnsupportedEql("pipes after `sample` (Elasticsearch takes none)")
        compiler = Compiler(query, None if mapping is None else as_mapping(mapping))
        self.filters = sample_filters(query, compiler, _category_field(rule))
        self.types = compiler.types
        self.nullable = frozenset(query.optional_fields)
        self.key_fields = [field_name(f) for f in query.tree.first.queries[0].join_values]
        self.window: deque[Event] = deque()  # events some filter matches, in the order read
        self.alerted: set[tuple] = set()

    def feed(self, event: Event) -> Sequence[Alert]:
        self.now = event.window_time
        alerts = self.catch_up(event.window_time)
        fields = event.fields
        if any(predicate(fields) for predicate, _ in self.filters) and not self.excepted(fields):
            self.window.append(event)
        return alerts

    def _run(self, run_time: float) -> list[Alert]:
        while self.window and self.window[0].window_time < run_time - self.lookback:
            self.window.popleft()
        events = [e for e in self.window if e.window_time <= run_time]
        alerts = []
        for key, picked in find_samples(self.filters, [e.fields for e in events], self.nullable, self.types,
                                        self.max_signals):
            sample = tuple(events[index] for index in picked)
            identity = tuple(id(e) for e in sample)
            if identity in self.alerted:
                continue
            self.alerted.add(identity)
            if self.suppression is not None and self.suppressed(_shared_fields(sample, self.suppression.group_by),
                                                                run_time):
                continue
            self.count_alert(run_time)
            stamps = [e.timestamp for e in sample]
            alerts.append(self.alert(dict(zip(self.key_fields, key)), len(sample), min(stamps), max(stamps),
                                     run_time, sample))
        return alerts

    def state_size(self) -> int:
        return len(self.window)
