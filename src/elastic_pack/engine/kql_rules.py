"""Rules whose query is KQL: threshold, custom query, new terms."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..content.model import RuleFile
from ..content.queries import KqlQuery
from ..content.spec import NewTermsSpec, ThresholdSpec
from ..kql import compile_kql
from ..mapping import as_mapping
from .alerts import Alert
from .base import _NONE, CompiledRule, Predicate, WindowedRule
from .events import Event
from .gates import kql_gate
from ..eql.sequence import candidate_keys
from .terms import as_written, terms_of
from .threshold import ThresholdCounter


class ThresholdRule(WindowedRule):
    def __init__(self, rule: RuleFile, query: KqlQuery, exceptions: list[Predicate] | None = None,
                 mapping: Any = None) -> None:
        super().__init__(rule, exceptions, mapping)
        self.filter = compile_kql(query.tree, as_mapping(mapping), now=self.clock)
        self.gate = kql_gate(query.tree)
        spec = rule.spec
        assert isinstance(spec, ThresholdSpec)
        self.group_fields = list(spec.threshold_fields)
        self.counter = ThresholdCounter(self.group_fields, spec.threshold_value, self.lookback, self.max_signals,
                                        spec.cardinality, as_mapping(mapping))
        # an optional observer of each counted (key, event), e.g. the backtest's hourly counts
        self.on_match: Callable[[tuple, Event], object] | None = None

    def _run(self, run_time: float) -> list[Alert]:
        return [
            self.alert(dict(zip(self.group_fields, key)), count, first, last, run_time)
            for key, count, first, last in self.counter.run(run_time)
            if not self.suppressed({}, run_time, group=key)  # a threshold rule suppresses per its own groups
        ]

    def feed(self, event: Event) -> Sequence[Alert]:
        self.now = event.window_time
        alerts = self.catch_up(event.window_time)
        fields = event.fields
        if self.filter(fields) and not (self.exceptions and self.excepted(fields)):
            distinct = self.counter.distinct_of(fields)
            for key in self.counter.keys_of(fields):
                self.counter.add(key, event.window_time, event.timestamp, distinct)
                if self.on_match is not None:
                    self.on_match(key, event)
        return alerts


    def state_size(self) -> int:
        return self.counter.state_size()


class QueryRule(CompiledRule):
    """A custom query rule: one alert per matching event (overlapping runs see it once, as Kibana dedupes)."""

    def __init__(self, rule: RuleFile, query: KqlQuery, exceptions: list[Predicate] | None = None,
                 mapping: Any = None) -> None:
        super().__init__(rule, exceptions, mapping)
        self.filter = compile_kql(query.tree, as_mapping(mapping), now=self.clock)
        self.gate = kql_gate(query.tree)

    def feed(self, event: Event) -> Sequence[Alert]:
        self.now = event.window_time
        fields = event.fields
        if self.filter(fields) and not (self.exceptions and self.excepted(fields)):
            run_time = self.alerting_run(event.window_time)
            if run_time is None or self.suppressed(fields, run_time):
                return _NONE
            self.count_alert(run_time)
            return [self.alert({}, 1, event.timestamp, event.timestamp, run_time, (event,))]
        return _NONE


class NewTermsRule(CompiledRule):
    """Alerts on a value of `new_terms_fields` not seen in the history window before (Kibana's new_terms).

    The history is what the engine has read. Like a rule deployed on an index that already holds its
    history window, it raises nothing until the stream has covered one whole history window (`warm_up`,
    settable); otherwise every value in the first days would be "new".
    """

    def __init__(self, rule: RuleFile, query: KqlQuery, exceptions: list[Predicate] | None = None,
                 mapping: Any = None) -> None:
        super().__init__(rule, exceptions, mapping)
        self.filter = compile_kql(query.tree, as_mapping(mapping), now=self.clock)
        self.gate = kql_gate(query.tree)
        spec = rule.spec
        assert isinstance(spec, NewTermsSpec)
        self.fields = list(spec.new_terms_fields)
        self.terms = terms_of(self.fields, as_mapping(mapping))
        self.text_up_to = as_written(self.fields, as_mapping(mapping))  # see terms.as_written
        self.history = spec.history_window
        self.warm_up = self.history  # how long the stream is history only; shorter: earlier, noisier alerts
        self.last_seen: dict[tuple, float] = {}
        self._fed = 0

    def feed(self, event: Event) -> Sequence[Alert]:
        self.now = event.window_time
        fields = event.fields
        if not self.filter(fields) or (self.exceptions and self.excepted(fields)):
            return _NONE
        alerts: list[Alert] = []
        if self.text_up_to is not None:  # every field one short string: the event's one term, as written
            values = tuple([fields.get(name) for name in self.fields])
            for value in values:
                if value.__class__ is not str or len(value) > self.text_up_to:
                    break
            else:
                return self._term(values, event)
        # each value of an array is a term, as the terms aggregation makes it from the field's type
        for values in dict.fromkeys(map(self.terms, candidate_keys(fields, self.fields, frozenset()))):
            if None not in values:  # a value the field does not index (ignore_above) is no term
                alerts += self._term(values, event)
        return alerts

    def _term(self, values: tuple, event: Event) -> Sequence[Alert]:
        previous = self.last_seen.get(values)
        self.last_seen[values] = event.window_time
        self._fed += 1
        if self._fed % 4096 == 0:  # forget values older than the history window: memory stays bounded
            horizon = event.window_time - self.history - self.lookback
            self.last_seen = {k: t for k, t in self.last_seen.items() if t >= horizon}
        # Kibana's run R asks whether the term occurs in [R - history, R - from): measured from the run that
        # first reads the event, not from the event itself
        if previous is not None and self.schedule.first_run_at_or_after(event.window_time) - previous <= self.history:
            return _NONE
        if event.window_time < self.schedule.start + self.warm_up:
            return _NONE  # still warming up
        run_time = self.alerting_run(event.window_time)
        if run_time is None or self.suppressed(event.fields, run_time):
            return _NONE
        self.count_alert(run_time)
        return [self.alert(dict(zip(self.fields, values)), 1, event.timestamp, event.timestamp, run_time,
                           (event,))]

    def state_size(self) -> int:
        return len(self.last_seen)
