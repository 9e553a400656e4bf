"""The base of every compiled rule: schedule, exceptions, alerts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..content.model import RuleFile
from .alerts import Alert
from .events import Event
from .schedule import Schedule

if TYPE_CHECKING:
    from .gates import AnyGate, Gate

Predicate = Callable[[dict], bool]
_NONE: tuple = ()


class CompiledRule:
    def __init__(self, rule: RuleFile, exceptions: list[Predicate] | None = None, mapping: Any = None):
        spec = rule.spec
        # the searched indices' mapping (elastic_pack.mapping: a Mapping, a dict field -> type, or None for
        # Mapping.default()), which the rule's query answers by
        self.mapping = mapping
        self.rule_id, self.name, self.type = spec.rule_id, spec.name, spec.type
        self.interval, self.lookback, self.max_signals = spec.interval, spec.lookback, spec.max_signals
        self.exceptions = exceptions or []
        self.schedule = Schedule(0.0, self.interval, self.lookback)  # set again by start()
        self.gate: Gate | AnyGate | None = None  # (field, values): events without one of the values cannot match (see gates.py)
        self.now = 0.0  # the time of the event being fed: `now` in the query's date math
        self.suppression = spec.suppression
        self._suppressed_until: dict[tuple, float] = {}
        # the time field the rule's runs read ranges of (Kibana: timestamp_override, else @timestamp); events
        # must reach the rule in this field's order
        self.window_field = spec.timestamp_override or "@timestamp"
        # timestamp_override_fallback_disabled: a document without the field is in no run's range
        self.window_strict = bool(spec.timestamp_override) and not spec.timestamp_fallback
        self._raised: dict[float, int] = {}  # run time -> alerts that run raised (Kibana stops at max_signals)
        # the fields the rule reads (engine.reads), set by compile_rule; None: not known, whole documents
        self.reads: frozenset[str] | None = None

    def suppressed(self, fields: dict, run_time: float, group: tuple | None = None) -> bool:
        """Kibana's alert suppression for an alert about to be raised in the run at `run_time`: the same
        group_by values already alerted in this run (or, with a duration, within it) add to that alert."""
        if self.suppression is None:
            return False
        key = group if group is not None else tuple(_value_key(fields.get(f)) for f in self.suppression.group_by)
        if not self.suppression.suppress_missing and any(v is None for v in key):
            return False
        until = self._suppressed_until.get(key)
        if until is not None and run_time < until:
            return True
        window = self.suppression.duration
        self._suppressed_until[key] = run_time + window if window else run_time + 1e-6  # this run only
        return False

    def alerting_run(self, last: float, first: float | None = None) -> float | None:
        """The run that raises the alert for a result whose events lie in [first, last] (window times): the
        first run whose window holds them, or, when that run already raised max_signals alerts (Kibana stops
        a run there), the next one whose window still holds them; None when no run is left."""
        first = last if first is None else first
        run = self.schedule.first_run_at_or_after(last)
        while run - self.lookback <= first:
            if self._raised.get(run, 0) < self.max_signals:
                return run
            run += self.interval
        return None

    def count_alert(self, run: float) -> None:
        raised = self._raised
        raised[run] = raised.get(run, 0) + 1
        if len(raised) > 256:  # earlier runs are over (results come in time order): their counts can go
            self._raised = {r: n for r, n in raised.items() if r >= run}

    def clock(self) -> float:
        return self.now

    def excepted(self, fields: dict) -> bool:
        return any(p(fields) for p in self.exceptions)

    def start(self, first_time: float) -> None:
        self.schedule = Schedule(first_time, self.interval, self.lookback)

    def feed(self, event: Event) -> Sequence[Alert]:
        raise NotImplementedError

    def finish(self, last_time: float) -> Sequence[Alert]:
        return []

    def state_size(self) -> int:
        return 0

    def alert(self, group: dict, count: int, first: float, last: float, run_time: float,
              events: tuple[Event, ...] = ()) -> Alert:
        ancestors = tuple(str(e.fields.get("_id") or e.source) for e in events)
        return Alert(self.rule_id, self.name, self.type, group, count, first, last, run_time, ancestors)


def _value_key(value: object) -> object:
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return None if isinstance(value, dict) else value


class WindowedRule(CompiledRule):
    """A rule that evaluates a window at every scheduled run (threshold, aggregating ES|QL).

    Runs are evaluated when time passes them: on the next event the rule is given, or at the end."""

    windowed = True

    def __init__(self, rule: RuleFile, exceptions: list[Predicate] | None = None, mapping: Any = None):
        super().__init__(rule, exceptions, mapping)
        self.next_run = 0.0  # set by start()
        self.fed_until: float | None = None  # the window time of the latest event fed

    def start(self, first_time: float) -> None:
        super().start(first_time)
        self.next_run = first_time

    def _run(self, run_time: float) -> list[Alert]:
        raise NotImplementedError

    def catch_up(self, until: float) -> Sequence[Alert]:
        """Evaluate every run strictly before `until` (events at a run's time belong to that run).

        Runs whose window holds none of the events fed so far are skipped: they cannot alert, and cost
        would otherwise grow with the time between events rather than with the events."""
        if not self.windowed:
            return _NONE
        alerts = []
        while self.next_run < until:
            if self._sees_nothing():
                self.next_run = self.schedule.first_run_at_or_after(until)
                break
            alerts += self._run(self.next_run)
            self.next_run += self.interval
        self.fed_until = until
        return alerts or _NONE

    def _sees_nothing(self) -> bool:
        """Whether the next run's window (and every later one's) lies past every event fed so far."""
        return self.fed_until is None or self.next_run - self.lookback > self.fed_until

    def finish(self, last_time: float) -> Sequence[Alert]:
        if not self.windowed:
            return []
        alerts = []
        while not self._sees_nothing():
            alerts += self._run(self.next_run)
            if self.next_run >= last_time:
                break
            self.next_run += self.interval
        return alerts
