"""What a rule means, typed and frozen: one class per Kibana rule type, built once from a rule file whose
shape has been checked (content/shape.py), with Kibana's defaults filled in here and nowhere else.

The engine, the build, the checks and the lab read these instead of the raw TOML tables: the schedule
(`interval`, `from`, `max_signals`), threshold fields (text or list), new terms settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..durations import parse_interval, parse_lookback

# Kibana's defaults for a rule that does not say (the create API's schema)
DEFAULT_INTERVAL = "5m"
DEFAULT_FROM = "now-6m"
DEFAULT_MAX_SIGNALS = 100
DEFAULT_HISTORY_WINDOW = "now-7d"


class SpecError(ValueError):
    """A value the rule's type cannot take; `key` names it (rule.<key>) for the finding's line."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class Suppression:
    """Kibana's alert suppression: one alert per group_by values per rule run, or per `duration` when set."""

    group_by: tuple[str, ...]
    duration: float | None  # seconds; None: per rule execution
    suppress_missing: bool  # missing_fields_strategy "suppress" (the default): a missing value is one group


@dataclass(frozen=True)
class RuleSpec:
    rule_id: str
    name: str
    type: str
    language: str | None
    query: str
    index: tuple[str, ...] | None
    interval: float  # seconds between runs
    lookback: float  # seconds each run reads back from its run time (`from`)
    max_signals: int
    timestamp_override: str | None
    suppression: Suppression | None
    timestamp_fallback: bool  # a document without timestamp_override is read by @timestamp (Kibana's default)

    @property
    def grouping_fields(self) -> tuple[str, ...]:
        """Fields the rule's alerts are grouped by (threshold fields, new terms fields)."""
        return ()


@dataclass(frozen=True)
class QuerySpec(RuleSpec):
    pass


@dataclass(frozen=True)
class SavedQuerySpec(RuleSpec):
    saved_id: str | None


@dataclass(frozen=True)
class ThresholdSpec(RuleSpec):
    threshold_fields: tuple[str, ...]
    threshold_value: int
    cardinality: tuple[tuple[str, int], ...]  # (field, distinct values it needs) per cardinality entry

    @property
    def grouping_fields(self) -> tuple[str, ...]:
        return self.threshold_fields


@dataclass(frozen=True)
class EqlSpec(RuleSpec):
    event_category_override: str | None
    timestamp_field: str | None
    tiebreaker_field: str | None


@dataclass(frozen=True)
class NewTermsSpec(RuleSpec):
    new_terms_fields: tuple[str, ...]
    history_window: float  # seconds of history a term must be absent from

    @property
    def grouping_fields(self) -> tuple[str, ...]:
        return self.new_terms_fields


@dataclass(frozen=True)
class EsqlSpec(RuleSpec):
    pass


@dataclass(frozen=True)
class MachineLearningSpec(RuleSpec):
    anomaly_threshold: float | None
    machine_learning_job_id: tuple[str, ...]


@dataclass(frozen=True)
class ThreatMatchSpec(RuleSpec):
    threat_index: tuple[str, ...]
    threat_query: str | None


def threshold_fields(threshold: dict) -> tuple[str, ...]:
    """`field` as Kibana takes it: text or a list of text, absent or empty for one group over everything."""
    field = threshold.get("field") or []
    return (field,) if isinstance(field, str) else tuple(field)


def _seconds(key: str, text: Any, parse: Any) -> float:
    try:
        return parse(text).total_seconds()
    except ValueError as exc:
        raise SpecError(key, str(exc)) from None


def _suppression(table: Any) -> Suppression | None:
    if not isinstance(table, dict):
        return None
    duration = table.get("duration")
    seconds = None
    if isinstance(duration, dict):
        unit, value = duration.get("unit"), duration.get("value")
        try:  # a whole value above 0 and s, m, h or d: the same rule as a schedule interval
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(value)
            seconds = parse_interval(f"{value}{unit}").total_seconds()
        except ValueError:
            raise SpecError("alert_suppression", "alert_suppression.duration needs a whole value above 0 and a "
                            "unit of s, m, h or d") from None
    group_by = table.get("group_by") or []
    return Suppression(tuple(group_by) if isinstance(group_by, list) else (str(group_by),), seconds,
                       table.get("missing_fields_strategy", "suppress") != "doNotSuppress")


def spec_of(rule: dict) -> RuleSpec:
    """The typed rule of a `[rule]` table. Raises SpecError naming the key that cannot be read."""
    kind = rule.get("type") or ""
    index = rule.get("index")
    common: dict[str, Any] = dict(
        rule_id=rule.get("rule_id") or "", name=rule.get("name") or "", type=kind,
        language=rule.get("language"), query=(rule.get("query") or "").strip(),
        index=tuple(index) if index is not None else None,
        interval=_seconds("interval", rule.get("interval", DEFAULT_INTERVAL), parse_interval),
        lookback=_seconds("from", rule.get("from", DEFAULT_FROM), parse_lookback),
        max_signals=int(rule.get("max_signals", DEFAULT_MAX_SIGNALS)),
        timestamp_override=rule.get("timestamp_override"),
        suppression=_suppression(rule.get("alert_suppression")),
        timestamp_fallback=not rule.get("timestamp_override_fallback_disabled", False),
    )
    if kind == "threshold":
        threshold = rule.get("threshold")
        if not isinstance(threshold, dict) or "value" not in threshold:
            raise SpecError("threshold", "a threshold rule needs [rule.threshold] with a value")
        cardinality = tuple((str(c.get("field")), int(c.get("value", 0)))
                            for c in threshold.get("cardinality") or [] if isinstance(c, dict))
        return ThresholdSpec(**common, threshold_fields=threshold_fields(threshold),
                             threshold_value=int(threshold["value"]), cardinality=cardinality)
    if kind == "new_terms":
        fields = rule.get("new_terms_fields")
        if not fields:
            raise SpecError("new_terms_fields", "a new_terms rule needs new_terms_fields")
        history = _seconds("history_window_start", rule.get("history_window_start", DEFAULT_HISTORY_WINDOW),
                           parse_lookback)
        return NewTermsSpec(**common, new_terms_fields=tuple(fields), history_window=history)
    if kind == "eql":
        return EqlSpec(**common, event_category_override=rule.get("event_category_override"),
                       timestamp_field=rule.get("timestamp_field"), tiebreaker_field=rule.get("tiebreaker_field"))
    if kind == "esql":
        return EsqlSpec(**common)
    if kind == "saved_query":
        return SavedQuerySpec(**common, saved_id=rule.get("saved_id"))
    if kind == "machine_learning":
        job = rule.get("machine_learning_job_id") or ()
        return MachineLearningSpec(**common, anomaly_threshold=rule.get("anomaly_threshold"),
                                   machine_learning_job_id=(job,) if isinstance(job, str) else tuple(job))
    if kind == "threat_match":
        return ThreatMatchSpec(**common, threat_index=tuple(rule.get("threat_index") or ()),
                               threat_query=rule.get("threat_query"))
    return QuerySpec(**common)
