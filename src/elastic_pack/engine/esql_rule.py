"""ES|QL rules."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

from ..content.model import RuleFile
from ..mapping import as_mapping
from .alerts import Alert
from .base import Predicate, WindowedRule
from .gates import esql_gate


class EsqlRule(WindowedRule):
    """An ES|QL rule. Aggregating queries run STATS over each run's window and alert per result row;
    `alert_suppression` (group_by, duration) keeps a group from alerting again within the duration."""

    def __init__(self, rule: RuleFile, query: Any, exceptions: list[Predicate] | None = None,
                 mapping: Any = None) -> None:
        super().__init__(rule, exceptions, mapping)
        from ..esql.evaluate import CompiledEsql
        from ..esql.lexer import UnsupportedEsql

        if query.row:  # Kibana's ES|QL rule searches its index; ROW reads none
            raise UnsupportedEsql("an ES|QL rule reads an index (FROM); a ROW query has no events to alert on")

        # the searched indices' types decide comparisons, ordering and aggregates (an ip's MAX by its bytes)
        self.esql = CompiledEsql(query, clock=self.clock, types=None if mapping is None else as_mapping(mapping))
        self.table_mode = self.esql.table_mode  # INLINE STATS: every run evaluates its whole window
        self.windowed = self.esql.stats is not None or self.table_mode
        self.table_rows: deque = deque()  # table mode: (window_time, timestamp, row)
        self.alerted_rows: set = set()  # table mode without STATS: rows already alerted on
        self.gate = esql_gate(query)
        self.rows: deque = deque()  # (window_time, timestamp, compact)
        # STATS without BY answers a row for every run, also when its window holds no event (COUNT 0)
        self.answers_empty = self.esql.stats is not None and not self.esql.stats.by and not self.table_mode
        if self.esql.stats is not None:
            from ..esql.window import SlidingStats

            self.window = SlidingStats(self.esql.stats.aggregates)
            self.spans: dict[tuple, deque] = {}  # key -> timestamps of its rows in the window
            self.passing: dict[tuple, dict] = {}  # group -> its result row, for groups that pass WHERE

    def feed(self, event: Any) -> Sequence[Alert]:
        alerts = self.catch_up(event.window_time)
        self.now = event.window_time  # NOW() in row-local commands: the event's own run, within an interval
        if self.exceptions and self.excepted(event.fields):
            return alerts
        if self.esql.stats is not None and not self.table_mode:
            window_time, timestamp = event.window_time, event.timestamp
            for compact in self.esql.compacts(event.fields):
                self.rows.append((window_time, timestamp, compact))
                key, values = compact
                self.window.add(key, values)
                stamps = self.spans.get(key)
                if stamps is None:
                    stamps = self.spans[key] = deque()
                stamps.append(timestamp)
            return alerts
        rows = self.esql.rows(event.fields)
        if not rows:
            return alerts
        if self.table_mode:
            self.table_rows.extend((event.window_time, event.timestamp, row) for row in rows)
            return alerts
        raised = list(alerts)  # no STATS: one alert per result row
        for row in rows:
            run_time = self.alerting_run(event.window_time)
            if run_time is None or self.suppressed(row, run_time):
                continue
            self.count_alert(run_time)
            raised.append(self.alert({}, 1, event.timestamp, event.timestamp, run_time, (event,)))
        return raised

    def _run(self, run_time: float) -> list[Alert]:
        self.now = run_time  # NOW() after STATS: the run's time
        start = run_time - self.lookback
        if self.table_mode:
            return self._run_table(run_time, start)
        while self.rows and self.rows[0][0] < start:
            _, _, (key, values) = self.rows.popleft()
            self.window.remove(key, values)
            stamps = self.spans[key]
            stamps.popleft()
            if not stamps:
                del self.spans[key]
        stats = self.esql.stats
        assert stats is not None  # windowed rules aggregate
        by_names = [name for name, _ in stats.by]
        aggregate_names = [name for name, _, _ in stats.aggregates]
        changed = self.window.take_dirty()  # only groups whose rows changed can change their result
        if self.answers_empty:
            changed.add(())
        for group_key in changed:
            row = self.window.row(group_key, by_names, aggregate_names)
            row = self.esql.after_row(row) if row is not None else None
            if row is None:
                self.passing.pop(group_key, None)
            else:
                self.passing[group_key] = row
        result = self.esql.after_table(list(self.passing.values()))
        alerts = []
        for row in result[: self.max_signals]:
            key = tuple(row.get(n) for n in by_names)
            group = {n: row.get(n) for n in by_names}
            if self.suppressed(row, run_time):
                continue
            times = self.spans.get(key)
            first, last, count = (min(times), max(times), len(times)) if times else (run_time, run_time, 0)
            alerts.append(self.alert(group, count, first, last, run_time))
        return alerts

    def _sees_nothing(self) -> bool:
        return False if self.answers_empty else super()._sees_nothing()

    def _run_table(self, run_time: float, start: float) -> list[Alert]:
        """INLINE STATS and what follows, over every row of this run's window."""
        while self.table_rows and self.table_rows[0][0] < start:
            self.table_rows.popleft()
        window = [(w, t, row) for w, t, row in self.table_rows if w <= run_time]
        if not window:
            return []
        first, last = min(t for _, t, _ in window), max(t for _, t, _ in window)
        alerts = []
        for row in self.esql.run_table([row for _, _, row in window])[: self.max_signals]:
            if not self.esql.aggregating:  # a row alerts once, however many overlapping runs return it
                identity = tuple(sorted((k, repr(v)) for k, v in row.items()))
                if identity in self.alerted_rows:
                    continue
                self.alerted_rows.add(identity)
            if self.suppressed(row, run_time):
                continue
            group = {n: row.get(n) for n in self.esql.final_by}
            alerts.append(self.alert(group, len(window), first, last, run_time))
        return alerts

    def state_size(self) -> int:
        return len(self.rows) + len(self.table_rows)
