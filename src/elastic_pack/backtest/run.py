"""Stream CloudTrail through the local engine and gather what a content manager needs to tune."""

from __future__ import annotations

import fnmatch
import math
from functools import partial
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..cloudtrail import InputReport, StreamTotals, cloudtrail_events
from ..content import load_pack
from ..content.queries import checked_query
from ..engine import Alert, compile_rule, run_rules
from ..engine.gates import gates_of
from ..engine.reads import rules_read
from ..engine.rules import NewTermsRule, ThresholdRule
from ..errors import ContentError
from ..exceptions_model import exception_predicates
from ..findings import has_errors
from ..parallel import default_jobs

PERCENTILES = (50, 90, 99, 99.9)


def _day(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d")


def _hour(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:00Z")


def percentile(sorted_values: list[int], p: float) -> float:
    if not sorted_values:
        return 0.0
    rank = (len(sorted_values) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


@dataclass
class ThresholdStats:
    rule_id: str
    rule_name: str
    value: int
    cells: int  # (identity, hour) pairs with at least one matching event
    percentiles: dict[str, float]
    maximum: int
    suggested: int | None  # None: no data to suggest from
    hours_at_or_over: int
    series: dict[str, dict[str, int]]  # top identities: hour -> count, for the chart

    @property
    def caveat(self) -> str:
        """What the suggestion would cost, said where it matters."""
        if self.suggested is None:
            return "no matching events: no suggestion"
        if self.hours_at_or_over and self.suggested > self.maximum:
            return (f"the suggestion ({self.suggested}) is above the busiest hour in this data ({self.maximum}): "
                    f"it would not have alerted on the {self.hours_at_or_over} hour(s) the current threshold "
                    "catches here; look at them before raising it")
        return ""

    def to_json(self) -> dict:
        return {"rule_id": self.rule_id, "rule_name": self.rule_name, "threshold": self.value, "cells": self.cells,
                "percentiles": self.percentiles, "max": self.maximum, "suggested_threshold": self.suggested,
                "suggestion_caveat": self.caveat, "hours_at_or_over_threshold": self.hours_at_or_over}


@dataclass
class BacktestResult:
    alerts: list[Alert]
    input: InputReport
    events: int
    first: float | None
    last: float | None
    busiest_hours: list[tuple[str, int]]
    thresholds: list[ThresholdStats]
    exception_candidates: list[dict] = field(default_factory=list)
    reordered: int = 0  # records that came later than the reorder buffer: the input was read again, sorted
    warm_ups: list[dict] = field(default_factory=list)  # new terms rules: when their first alert is possible

    def per_rule(self) -> Counter:
        return Counter(a.rule_name for a in self.alerts)

    def per_identity(self) -> Counter:
        return Counter((a.rule_name, ", ".join(str(v) for v in a.group.values()) or "-") for a in self.alerts)

    def per_day(self) -> Counter:
        return Counter((a.rule_name, _day(a.run_time)) for a in self.alerts)

    def to_json(self) -> dict:
        return {
            "events": self.events, "files": self.input.files, "records": self.input.records,
            "skipped": self.input.skipped, "skipped_count": self.input.skipped_count, "late_events": self.input.late,
            "first_event": _hour(self.first) if self.first else None,
            "last_event": _hour(self.last) if self.last else None,
            "alerts": [a.to_json() for a in self.alerts],
            "alerts_per_rule": dict(self.per_rule()),
            "alerts_per_identity": [{"rule": r, "identity": i, "alerts": n} for (r, i), n in self.per_identity().most_common()],
            "alerts_per_day": [{"rule": r, "day": d, "alerts": n} for (r, d), n in sorted(self.per_day().items())],
            "busiest_hours": [{"hour": h, "events": n} for h, n in self.busiest_hours],
            "thresholds": [t.to_json() for t in self.thresholds],
            "exception_candidates": self.exception_candidates,
            "reordered_records": self.reordered,
            "new_terms_warm_up": self.warm_ups,
        }


def reads_cloudtrail(rule) -> bool:
    """Whether the rule's indices (or ES|QL FROM) include the CloudTrail data stream: the others never see it."""
    patterns = rule.rule.get("index")
    if patterns is None and rule.rule.get("language") == "esql":
        patterns = checked_query(rule).sources
    return any(fnmatch.fnmatch("logs-aws.cloudtrail-default", p) for p in patterns or [])


def suggest_threshold(sorted_counts: list[int]) -> int | None:
    """Twice the 95th percentile of identity-hours, at least 2: well above a busy normal hour, while the few
    outlying hours (attacks, newsletters) do not drag it up. Noisier data gives a higher suggestion.
    None without data: nothing to suggest from."""
    if not sorted_counts:
        return None
    return max(2, math.ceil(2 * percentile(sorted_counts, 95)))


def backtest(paths: list[Path], content_dir: Path | None = None, start: float | None = None,
             end: float | None = None, on_file=None, window_on: str = "event", jobs: int | None = None,
             warm_up: float | None = None, mapping: Any = None) -> BacktestResult:
    """Stream the records in time order (a reorder buffer covers CloudTrail's delivery); when some came later
    than the buffer (files out of order, detonation sets), read everything again and sort it in memory."""
    pack, findings = load_pack(content_dir)
    if has_errors(findings):
        raise ContentError(findings)
    jobs = default_jobs() if jobs is None else jobs
    result = _backtest(pack, paths, start, end, on_file, 1800.0, window_on, jobs, warm_up, mapping)
    if result.input.late:
        late = result.input.late
        result = _backtest(pack, paths, start, end, None, float("inf"), window_on, jobs, warm_up, mapping)
        result.reordered = late
    return result


def _backtest(pack, paths, start, end, on_file, tolerance: float, window_on: str, jobs: int,
              warm_up: float | None, mapping: Any = None) -> BacktestResult:
    exceptions = exception_predicates(pack)
    rules = [compile_rule(r, exceptions.get(r.rule_id), mapping) for r in pack.rules if reads_cloudtrail(r)]
    for rule in rules:
        if isinstance(rule, NewTermsRule) and warm_up is not None:
            rule.warm_up = warm_up
    union = dict(gates_of(rules) or ())  # every rule gated on event.action alone: other records are counted only
    actions = union["event.action"] if list(union) == ["event.action"] else None
    hourly: dict[str, dict[tuple, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for rule in rules:
        if isinstance(rule, ThresholdRule):
            cells = hourly[rule.rule_id]
            rule.on_match = partial(_count_hour, cells)
    report, totals = InputReport(), StreamTotals()
    # the workers send only the fields the rules read (all of them when a rule does not say exactly)
    events = cloudtrail_events(paths, report, start, end, tolerance=tolerance, on_file=on_file, actions=actions,
                               window_on=window_on, jobs=jobs, totals=totals, reads=rules_read(rules))
    alerts = run_rules(rules, events)
    thresholds = [_threshold_stats(rule, hourly[rule.rule_id]) for rule in rules if isinstance(rule, ThresholdRule)]
    busiest = [(_hour(h * 3600), n) for h, n in totals.hours.most_common(10)]
    result = BacktestResult(alerts, report, totals.records, totals.first, totals.last, busiest, thresholds)
    first = totals.first
    result.exception_candidates = _exception_candidates(alerts, hourly, rules, first, totals.last)
    result.warm_ups = [{"rule": r.name, "history_window_days": round(r.history / 86400, 1),
                        "warm_up_days": round(r.warm_up / 86400, 2),
                        "first_alert_possible_from": _hour(first + r.warm_up) if first is not None else None}
                       for r in rules if isinstance(r, NewTermsRule)]
    return result


def _count_hour(cells: dict[tuple, Counter], key: tuple, event: Any) -> None:
    cells[key][int(event.timestamp // 3600)] += 1  # (Counter.update costs several times more per event)


def _threshold_stats(rule: ThresholdRule, cells: dict[tuple, Counter]) -> ThresholdStats:
    counts = sorted(n for hours in cells.values() for n in hours.values())
    top = sorted(cells, key=lambda k: -max(cells[k].values()))[:5]
    series = {", ".join(map(str, key)): {_hour(h * 3600): n for h, n in sorted(cells[key].items())} for key in top}
    return ThresholdStats(
        rule.rule_id, rule.name, rule.counter.value, len(counts),
        {f"p{p:g}": round(percentile(counts, p), 1) for p in PERCENTILES},
        counts[-1] if counts else 0, suggest_threshold(counts),
        sum(1 for n in counts if n >= rule.counter.value), series)


def _exception_candidates(alerts, hourly, rules, first, last) -> list[dict]:
    """Identities that alert on most of the days they are active: newsletters, pipelines, batch jobs."""
    if first is None:
        return []
    total_days = max(1, round((last - first) / 86400) + 1)
    names = {r.rule_id: r.name for r in rules}
    alert_days: dict[tuple, set] = defaultdict(set)
    for alert in alerts:
        alert_days[(alert.rule_id, tuple(alert.group.values()))].add(_day(alert.run_time))
    candidates = []
    for (rule_id, key), days in sorted(alert_days.items(), key=lambda kv: -len(kv[1])):
        active = {_day(h * 3600) for h in hourly.get(rule_id, {}).get(key, {})} or days
        if len(days) >= 2 and len(days) >= 0.5 * len(active) and len(active) >= min(3, total_days):
            candidates.append({"rule": names[rule_id], "rule_id": rule_id, "identity": ", ".join(map(str, key)),
                               "alert_days": len(days), "active_days": len(active)})
    return candidates
