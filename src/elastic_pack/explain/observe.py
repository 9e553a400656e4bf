"""Observed rules: the engine's own rule types, each step recorded as it runs.

`observed(rule)` turns one freshly compiled rule into a subclass of its own type whose overrides call the
engine's method and then only look at what it did: which events the query let through, what the
exceptions removed, which alerts suppression folded, each threshold run's groups, each new term's verdict,
how far each key's partial sequences got and what ended them, the rows each ES|QL command left. The
answers (the alerts) are the engine's own; preview and test never use these classes, so their paths stay
as they are.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..engine.base import CompiledRule
from ..engine.eql_rules import EqlEventRule, EqlSampleRule, EqlSequenceRule
from ..engine.esql_rule import EsqlRule
from ..engine.kql_rules import NewTermsRule, QueryRule, ThresholdRule
from ..eql.sequence import SequenceMatcher

TOP_GROUPS = 5  # groups kept per threshold run: the ones closest to the value


@dataclass
class Record:
    """What one explained rule did, stage by stage (times are window times, epoch seconds)."""

    matched: list[float] = field(default_factory=list)  # events the query (any stage's, for EQL) let through
    excepted: list[float] = field(default_factory=list)  # events the query matched and an exception removed
    suppressed: list[tuple[float, tuple]] = field(default_factory=list)  # (run time, group) of folded alerts
    runs: list[dict] = field(default_factory=list)  # threshold and aggregating ES|QL: one entry per run
    terms: dict[tuple, list[tuple[float, str, float | None]]] = field(default_factory=dict)  # new terms
    stage_matches: Counter = field(default_factory=Counter)  # EQL sequence: events matching each stage
    keys: dict[tuple, "KeyProgress"] = field(default_factory=dict)  # EQL sequence: per join key
    row_counts: list[tuple[float, tuple[int, ...]]] = field(default_factory=list)  # ES|QL, per event
    last_matched: Any = None  # EQL sequence: the last event counted in `matched`


@dataclass
class KeyProgress:
    """One join key's partial sequences: the furthest stage reached, completions and what ended the others."""

    furthest: int = 0
    completed: int = 0
    ended: list[dict] = field(default_factory=list)
    orphans: Counter = field(default_factory=Counter)  # stage -> events of it with nothing waiting before


class _Observed:
    """Mixed in before the engine's rule class: records exceptions, suppression and the query's matches."""

    record: Record
    _event: Any = None

    def excepted(self, fields: dict) -> bool:
        removed = super().excepted(fields)  # type: ignore[misc]
        if removed:
            self.record.excepted.append(self._time())
        return removed

    def suppressed(self, fields: dict, run_time: float, group: tuple | None = None) -> bool:
        folded = super().suppressed(fields, run_time, group)  # type: ignore[misc]
        if folded:
            spec = self.suppression  # type: ignore[attr-defined]
            key = group if group is not None else tuple(fields.get(f) for f in spec.group_by)
            self.record.suppressed.append((run_time, key))
        return folded

    def feed(self, event: Any):
        self._event = event
        return super().feed(event)  # type: ignore[misc]

    def _time(self) -> float:
        return self._event.window_time if self._event is not None else 0.0

    def _count_matches(self, name: str) -> None:
        """Wrap the query predicate held in attribute `name` so every event it lets through is recorded."""
        inner = getattr(self, name)
        record = self.record

        def counted(fields: dict) -> bool:
            hit = inner(fields)
            if hit:
                record.matched.append(self._time())
            return hit

        setattr(self, name, counted)

class _Threshold(_Observed, ThresholdRule):
    def _run(self, run_time: float):
        start = run_time - self.lookback
        cardinality = self.counter.cardinality
        groups: list[dict[str, Any]] = []
        for key, bucket in self.counter.buckets.items():
            inside = [distinct for window, _, distinct in bucket if start <= window <= run_time]
            if inside:
                distinct = len({v for values in inside for v in values}) if cardinality else None
                groups.append({"group": dict(zip(self.group_fields, key)), "count": len(inside),
                               "distinct": distinct})
        alerts = super()._run(run_time)
        if groups:
            groups.sort(key=lambda g: (-g["count"], -(g["distinct"] or 0), str(g["group"])))
            alerted = [dict(a.group) for a in alerts]
            for g in groups:
                g["alerted"] = g["group"] in alerted
            self.record.runs.append({"run_time": run_time, "groups": groups[:TOP_GROUPS],
                                     "group_count": len(groups), "alerts": len(alerts)})
        return alerts


class _NewTerms(_Observed, NewTermsRule):
    def _term(self, values: tuple, event: Any):
        previous = self.last_seen.get(values)
        first_run = self.schedule.first_run_at_or_after(event.window_time)
        folded = len(self.record.suppressed)
        alerts = super()._term(values, event)
        if alerts:
            verdict = "new"
        elif previous is not None and first_run - previous <= self.history:
            verdict = "seen"
        elif event.window_time < self.schedule.start + self.warm_up:
            verdict = "warm-up"
        elif len(self.record.suppressed) > folded:
            verdict = "suppressed"
        else:
            verdict = "max_signals"
        self.record.terms.setdefault(values, []).append((event.window_time, verdict, previous))
        return alerts


class _Matcher(SequenceMatcher):
    """The sequence matcher, recording per key how far its partial sequences got and what ended them."""

    record: Record

    def _progress(self, key: tuple) -> KeyProgress:
        return self.record.keys.setdefault(key, KeyProgress())

    def _advance(self, index, key, event, now):
        group = self.groups[index - 1].get(key) if index > 0 else None
        waiting = group[-1] if group else None
        moved = super()._advance(index, key, event, now)
        progress = self._progress(key)
        if moved is not None:
            progress.furthest = max(progress.furthest, index + 1)
            self._moved.add(key)
        elif waiting is None:
            self._orphaned[key] = index + 1  # stages are tried last to first: the lowest stays
        elif self.maxspan is not None and now - waiting.start > self.maxspan:
            progress.ended.append({"why": "maxspan", "stage": index + 1, "first": waiting.start, "at": now})
        else:
            until = self.until_seen.get(key)
            progress.ended.append({"why": "until", "stage": index + 1, "first": waiting.start,
                                   "at": until[1] if until else now})
        return moved

    def feed(self, event):
        self._moved: set = set()
        self._orphaned: dict = {}
        found = super().feed(event)
        for key, stage in self._orphaned.items():  # an event that took no step for its key, of any stage
            if key not in self._moved:
                self._progress(key).orphans[stage] += 1
        return found

    def _complete(self, key, partial):
        pending = len(self.pending)
        done = super()._complete(key, partial)
        if done:
            self._progress(key).completed += 1
        elif len(self.pending) == pending:
            self._progress(key).ended.append({"why": "missing", "first": partial.start, "at": partial.times[-1]})
        return done

    def _release(self, now):
        waiting = list(self.pending)
        released = super()._release(now)
        out = {tuple(map(id, events)) for events in released}  # released sequences are new tuples of its events
        still = {id(p) for p in self.pending}
        for p in waiting:
            if id(p) in still:
                continue
            if tuple(map(id, p.events)) in out:
                self._progress(p.key).completed += 1
            else:
                self._progress(p.key).ended.append({"why": "missing", "first": p.times[0], "at": p.deadline})
        return released


class _Sequence(_Observed, EqlSequenceRule):
    def _observe(self) -> None:
        matcher: Any = self.matcher
        matcher.__class__ = _Matcher
        matcher.record = self.record
        # stages with the same predicate (`with runs=N`) share one slot: each slot is counted once per event
        self.slots = {stage: matcher.slot[id(p)] for stage, p in enumerate(matcher.positive, start=1)}
        for slot in set(self.slots.values()):
            matcher.unique_predicates[slot] = self._stage_counter(matcher.unique_predicates[slot], slot)

    def _stage_counter(self, inner, slot: int):
        """A stage's query, counted per slot, and once per event in `matched` however many stages it matches."""
        record = self.record

        def counted(fields: dict) -> bool:
            hit = inner(fields)
            if hit:
                record.stage_matches[slot] += 1
                if record.last_matched is not self._event:
                    record.last_matched = self._event
                    record.matched.append(self._time())
            return hit

        return counted


class _Sample(_Observed, EqlSampleRule):
    def feed(self, event: Any):
        excepted = len(self.record.excepted)
        alerts = super().feed(event)
        # the filters are run again on the window by each run: the query's matches are read off what feed kept
        if (self.window and self.window[-1] is event) or len(self.record.excepted) > excepted:
            self.record.matched.append(event.window_time)
        return alerts


class _Esql(_Observed, EsqlRule):
    def feed(self, event: Any):
        alerts = super().feed(event)
        if not CompiledRule.excepted(self, event.fields):
            self.record.row_counts.append((event.window_time, self._row_counts(event.fields)))
        return alerts

    def _row_counts(self, fields: dict) -> tuple[int, ...]:
        """Rows left after each command before STATS (or the whole-window part), for one event."""
        rows = [self.esql._doc_values(fields)]
        counts = []
        for step in self.esql.before:
            following: list = []
            for row in rows:
                result = step(row)
                if isinstance(result, list):
                    following += result
                elif result is not None:
                    following.append(result)
            rows = following
            counts.append(len(rows))
        return tuple(counts)

    def _run(self, run_time: float):
        alerts = super()._run(run_time)
        if self.table_mode:
            return alerts  # recorded by _run_table
        from ..esql.aggregates import aggregate_rows

        assert self.esql.stats is not None
        table = aggregate_rows(self.esql.stats, [compact for window, _, compact in self.rows if window <= run_time])
        self._record_run(run_time, [len(table)], table, self.esql.after_steps, len(alerts))
        return alerts

    def _run_table(self, run_time: float, start: float):
        alerts = super()._run_table(run_time, start)
        rows = [row for window, _, row in self.table_rows if window <= run_time]
        if rows:
            self._record_run(run_time, [], rows, self.esql.table_steps, len(alerts))
        return alerts

    def _record_run(self, run_time: float, counts: list[int], table: list, steps: list, alerts: int) -> None:
        start = run_time - self.lookback
        sample = [dict(row) for row in table[:TOP_GROUPS]] if counts else []  # STATS' rows, before the rest
        for step in steps:
            table = step(table)
            counts.append(len(table))
        self.record.runs.append({"run_time": run_time, "window": (start, run_time), "after": counts,
                                 "alerts": alerts, "stats_rows": sample})


_KINDS: dict[type, type] = {ThresholdRule: _Threshold, NewTermsRule: _NewTerms, EqlSequenceRule: _Sequence,
                            EqlSampleRule: _Sample, EsqlRule: _Esql}


def observed(compiled: CompiledRule) -> Any:
    """The compiled rule, now recording into `rule.record` (a Record) as it runs (one of the classes above)."""
    rule: Any = compiled
    kind = type(rule)
    if kind in _KINDS:
        rule.__class__ = _KINDS[kind]
    else:
        rule.__class__ = type(f"Observed{kind.__name__}", (_Observed, kind), {})
    rule.record = Record()
    # every event reaches the rule: a gate only skips events the query cannot match, and the explanation
    # counts what each stage (FROM too) let through
    rule.gate = None
    if isinstance(compiled, (ThresholdRule, NewTermsRule, QueryRule)):  # `rule` is the same object, observed
        rule._count_matches("filter")
    elif isinstance(compiled, EqlEventRule):
        rule._count_matches("predicate")
    elif isinstance(compiled, EqlSequenceRule):
        rule._observe()

    return rule
