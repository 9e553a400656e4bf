"""Rules whose query is EQL: sequences and single-event queries."""

from __future__ import annotations

from eql import ast

from ..content.model import RuleFile
from ..eql_query import EqlQuery
from .base import CompiledRule, Predicate
from .eql_compile import Compiler, UnsupportedEql, compile_event_query
from .gates import sequence_gate
from .sequence import SequenceMatcher


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
        self.matcher = SequenceMatcher(stages, self.join_fields, maxspan,
                                       frozenset(self.join_fields) & frozenset(query.optional_fields))

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
