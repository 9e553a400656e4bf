"""The integration tier's pure parts, unit-tested in tests/test_docker_tier.py where no stack runs: which
rule runs to preview and in which chunks, which preview alerts count, and an alert's group values."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

# Kibana aborts a rule preview after 60 s (PREVIEW_TIMEOUT_SECONDS in the preview route) and answers
# `isAborted: true` with the runs it managed. A chunk of at most this many runs stays well under that.
MAX_INVOCATIONS = int(__import__("os").environ.get("ELASTIC_PACK_PREVIEW_CHUNK", "240"))


@dataclass(frozen=True)
class Chunk:
    """One preview call: `invocations` runs ending at `last_run`; alerts of runs before `keep_from` belong
    to the previous chunk (these runs only rebuild the state a single long preview would have)."""

    first_run: float
    keep_from: float
    last_run: float
    invocations: int


def live_runs(first_run: float, interval: float, runs: int, stamps: Iterable[float], lookback: float) -> list[int]:
    """The runs (indices, run k at first_run + k * interval) whose look-back window [t - lookback, t] holds an
    event: only they can raise an alert, the others read nothing."""
    live: set[int] = set()
    for stamp in stamps:
        lo = max(0, math.ceil((stamp - first_run) / interval - 1e-9))
        hi = min(runs - 1, math.floor((stamp + lookback - first_run) / interval + 1e-9))
        live.update(range(lo, hi + 1))
    return sorted(live)


def plan_chunks(first_run: float, interval: float, runs: int, stamps: Sequence[float], lookback: float,
                carry: float, max_invocations: int = MAX_INVOCATIONS) -> list[Chunk]:
    """The previews that give the alerts of one preview over all `runs` runs: the live runs only, in chunks
    of at most max_invocations runs. `carry` is how far back a run's result depends on earlier runs
    (look-back plus suppression duration: threshold history, suppression, deduplication by alert id);
    each chunk after the first repeats that many runs before the ones it keeps, and live runs closer than
    that stay in one chunk."""
    warm = math.ceil(carry / interval)
    if max_invocations <= warm:
        raise ValueError(f"a preview chunk of {max_invocations} runs cannot repeat {warm} runs of state")
    live = live_runs(first_run, interval, runs, stamps, lookback)
    groups: list[list[int]] = []
    for k in live:
        if groups and k - groups[-1][-1] <= warm + 1:
            groups[-1].append(k)
        else:
            groups.append([k])
    chunks = []
    for group in groups:
        start, end = group[0], group[-1]
        begin = start
        while True:
            stop = min(end, begin + max_invocations - 1)
            chunks.append(Chunk(first_run + begin * interval, first_run + start * interval,
                                first_run + stop * interval, stop - begin + 1))
            if stop == end:
                break
            start = stop + 1
            begin = start - warm
    return chunks


def field_value(source: dict, name: str):
    """A field of an alert's _source, written dotted or nested."""
    if name in source:
        return source[name]
    node = source
    parts = name.split(".")
    for i in range(len(parts)):
        head = ".".join(parts[: i + 1])
        if isinstance(node, dict) and head in node:
            rest = ".".join(parts[i + 1:])
            return node[head] if not rest else field_value(node[head], rest) if isinstance(node[head], dict) else None
    return None


def alert_run_time(source: dict) -> str | None:
    """The run that raised a preview alert: preview overrides the run's start time, which the alert keeps as
    kibana.alert.start (kibana.alert.intended_timestamp on 8.16+)."""
    return field_value(source, "kibana.alert.start") or field_value(source, "kibana.alert.intended_timestamp")


def stack_group(source: dict, rule_type: str, fields: Sequence[str]) -> tuple | None:
    """The values an alert is grouped by, in `fields` order: threshold terms, new terms, or (ES|QL) the
    row's columns. None for rule types whose alerts do not carry them (EQL sequences, queries)."""
    if rule_type == "threshold":
        terms = field_value(source, "kibana.alert.threshold_result.terms") or []
        by_field = {t["field"]: t["value"] for t in terms}
        return tuple(_hashable(by_field.get(f)) for f in fields)
    if rule_type == "new_terms":
        values = field_value(source, "kibana.alert.new_terms") or []
        return tuple(_hashable(v) for v in values)
    if rule_type == "esql":
        return tuple(_hashable(field_value(source, f)) for f in fields)
    return None


def local_group(group: dict, rule_type: str) -> tuple | None:
    if rule_type in ("threshold", "new_terms", "esql"):
        return tuple(_hashable(v) for v in group.values())
    return None


def _hashable(value):
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value) if len(value) != 1 else _hashable(value[0])
    return value


def live_scenarios(rules, scenarios, margin: float = 600.0, tags=("attack", "evasion")) -> list:
    """Scenarios that one run of each rule they expect to alert sees whole (their span plus `margin` within the
    rule's look-back), a set that together covers every rule some such scenario expects: what the tier seeds
    just before deploying the rules enabled, so that the rules' first real runs read them."""
    from elastic_pack.scenario_run import rule_key

    by_key = {rule_key(r.path): r for r in rules}
    chosen, covered = [], set()
    for scenario in scenarios:
        if scenario.exception_values or not set(tags) & set(scenario.tags):
            continue
        stamps = [_epoch(d["@timestamp"]) for d in scenario.documents()]
        expected = {k for k, v in scenario.expect.items() if v}
        span = max(stamps) - min(stamps)
        if expected and all(by_key[k].spec.lookback >= span + margin for k in expected) and expected - covered:
            chosen.append(scenario)
            covered |= expected
    return chosen


def live_documents(scenario, now: float, before: float = 120.0) -> list[dict]:
    """The scenario's events moved so that the last one lies `before` seconds before now (whole ms)."""
    from datetime import timedelta

    from elastic_pack.content.scenarios import shift

    docs = scenario.documents()
    last = max(_epoch(d["@timestamp"]) for d in docs)
    delta = math.floor((now - before - last) * 1000) / 1000
    return shift(docs, timedelta(seconds=delta))


def _epoch(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
