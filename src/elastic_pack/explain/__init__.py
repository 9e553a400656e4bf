"""Why a rule alerted or did not: the rule run over the events by the local engine, each step recorded.

`explain(rule, paths)` reads event files as `preview` does and runs one rule over them with an observed copy
of the engine's own rule (see observe.py): the alerts are exactly preview's, and the explanation says what
each stage let through. `explain_events` does the same for events already read (a scenario's).

The result is a JSON-ready dict: `rule`, `events`, `query`, `alerts`, `suppressed`, `at`, `verdict`, and one
section for the rule's type: `threshold` (the runs that matter: each one's top groups against the value and
cardinality), `sequence` (per stage the events it matched; per join key how far its partial sequences got,
which stage it waits for and what ended the others: maxspan, until, a missing event), `new_terms` (per term:
new, seen within the history window, or still in the warm-up) or `esql` (rows left after each command, per
run that matters). `render_text` turns it into lines for people.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..engine.events import Event, format_time
from .observe import Record, observed
from .sections import esql_section, new_terms_section, sequence_section, threshold_section, verdict

__all__ = ["explain", "explain_events", "explain_scenario", "find_rule", "render_text"]


def find_rule(pack: Any, name: str) -> Any:
    """The pack's rule with this rule_id or file name (without .toml); LookupError naming the choices."""
    for rule in pack.rules:
        if name in (rule.rule_id, rule.path.stem, rule.path.name):
            return rule
    raise LookupError(f"no rule with rule_id or file name {name!r} in the pack "
                      "(`elastic-pack preview --json` lists the rule_ids that alert)")


def explain(name: str, paths: list[Path], content_dir: Path | None = None, at: str | None = None,
            warm_up: float | None = None, strict: bool = False, mapping: Any = None) -> dict:
    """Explain rule `name` (rule_id or file name) over the events in `paths`, with the pack's exceptions;
    `mapping` as compile_rule takes it (the searched indices' mapping; None: the default one)."""
    from ..content import load_pack
    from ..engine import ReadReport, read_events
    from ..errors import ContentError
    from ..exceptions_model import exception_predicates
    from ..findings import has_errors

    pack, findings = load_pack(content_dir)
    if has_errors(findings):
        raise ContentError(findings)
    rule = find_rule(pack, name)
    window_field = rule.spec.timestamp_override or "@timestamp"
    report = ReadReport()
    events = sorted(read_events(paths, report, strict, window_field), key=lambda e: (e.window_time, e.timestamp))
    result = explain_events(rule, events, exception_predicates(pack).get(rule.rule_id), warm_up, at, mapping)
    result["events"]["skipped"] = report.skipped_count
    return result


def explain_scenario(pack: Any, scenario: Any, name: str, warm_up: float | None = None, mapping: Any = None) -> dict:
    """Explain rule `name` over a scenario's events, with the pack's exceptions filled as the scenario fills
    them (what `elastic-pack test` ran)."""
    from ..engine import event_from_document
    from ..exceptions_model import exception_predicates

    rule = find_rule(pack, name)
    lists = [lst.with_values(scenario.exception_values) for lst in pack.exception_lists]
    window_field = rule.spec.timestamp_override or "@timestamp"
    events = sorted((event_from_document(d, window_field=window_field) for d in scenario.documents()),
                    key=lambda e: (e.window_time, e.timestamp))
    return explain_events(rule, events, exception_predicates(pack, lists).get(rule.rule_id), warm_up, None, mapping)


def explain_events(rule: Any, events: list[Event], exceptions: list | None = None,
                   warm_up: float | None = None, at: str | None = None, mapping: Any = None) -> dict:
    """Explain one rule (a RuleFile) over events in window-time order; NotRunnable when the engine refuses it."""
    from ..engine import compile_rule, run_rules
    from ..engine.events import parse_time
    from ..engine.run import windowed
    from ..scenario_run import with_warm_up

    from ..content.queries import checked_query

    compiled = observed(with_warm_up([compile_rule(rule, exceptions, mapping)], warm_up)[0])
    compiled.query_tree = checked_query(rule)  # the stages' and commands' texts
    spec = rule.spec
    seen = list(windowed(events, compiled.window_field, compiled.window_strict))
    alerts = run_rules([compiled], seen)
    record: Record = compiled.record
    run = None
    if at is not None and seen:
        run = compiled.schedule.first_run_at_or_after(parse_time(at))
    window = (run - compiled.lookback, run) if run is not None else None
    at_run = None if window is None else {"requested": at, "run_time": format_time(window[1]),
                                          "window": [format_time(window[0]), format_time(window[1])]}

    def inside(t: float) -> bool:
        return window is None or window[0] <= t <= window[1]

    shown = [a for a in alerts if run is None or a.run_time == run]
    # the indices the rule reads: its index patterns, an ES|QL rule's FROM
    patterns = tuple(spec.index or getattr(compiled.query_tree, "sources", None) or ())
    result: dict = {
        "rule": {"rule_id": spec.rule_id, "name": spec.name, "type": spec.type, "interval_seconds": compiled.interval,
                 "lookback_seconds": compiled.lookback, "window_field": compiled.window_field,
                 "window_strict": compiled.window_strict,
                 "index": list(patterns)},
        "events": {"read": len(events), "in_window_field": len(seen),
                   "outside_index": _outside_index(events, patterns),
                   "first": format_time(seen[0].window_time) if seen else None,
                   "last": format_time(seen[-1].window_time) if seen else None},
        "query": {"matched": sum(1 for t in record.matched if inside(t)),
                  "excepted": sum(1 for t in record.excepted if inside(t))},
        "alerts": [a.to_json() for a in shown],
        "suppressed": [{"run_time": format_time(t), "group": list(g)} for t, g in record.suppressed
                       if run is None or t == run],
        "at": at_run,
    }
    if run is not None:
        result["events"]["in_run"] = sum(1 for e in seen if inside(e.window_time))
    if spec.type == "threshold":
        result["threshold"] = threshold_section(compiled, record, run)
    elif spec.type == "new_terms":
        result["new_terms"] = new_terms_section(compiled, record, inside)
    elif spec.type == "eql" and hasattr(compiled, "matcher"):
        result["sequence"] = sequence_section(compiled, record)
    elif spec.type == "esql":
        result["esql"] = esql_section(compiled, record, run)
        # the events that are still rows when the row-by-row commands are done
        result["query"]["matched"] = sum(1 for t, counts in record.row_counts
                                         if inside(t) and (not counts or counts[-1]))
    if exceptions and record.excepted:
        result["removed_by_exceptions"] = _removed_by_exceptions(rule, seen, alerts, warm_up, mapping, run)
    result["verdict"] = verdict(result)
    return result


def _removed_by_exceptions(rule: Any, events: list[Event], alerts: list, warm_up: float | None, mapping: Any,
                           run: float | None) -> list[dict]:
    """The alerts the rule raises on the same events without its exceptions that it does not raise with them
    (the engine run once more, without them)."""
    from ..engine import compile_rule, run_rules
    from ..scenario_run import with_warm_up

    def key(alert: Any) -> tuple:
        return alert.run_time, repr(sorted(alert.group.items())), alert.first_event, alert.last_event

    kept = {key(a) for a in alerts}
    without = run_rules(with_warm_up([compile_rule(rule, None, mapping)], warm_up), events)
    return [a.to_json() for a in without if key(a) not in kept and (run is None or a.run_time == run)]


_BACKING = re.compile(r"^\.ds-(.+)-\d{4}\.\d{2}\.\d{2}-\d{6}$")


def _outside_index(events: list[Event], patterns: tuple[str, ...]) -> int:
    """Events that name their index (`_index`, or a data stream's type-dataset-namespace) outside the rule's
    index patterns: Kibana's rule would not read them; the local engine reads every event it is given."""
    if not patterns:
        return 0
    from fnmatch import fnmatchcase

    local = [p.split(":", 1)[-1] for p in patterns]  # `remote:logs-*` names logs-* on another cluster
    include = [p for p in local if not p.startswith("-")]
    exclude = [p[1:] for p in local if p.startswith("-")]
    outside = 0
    for event in events:
        index = event.get("_index")
        if index is None:
            parts = [event.get(f"data_stream.{p}") for p in ("type", "dataset", "namespace")]
            index = "-".join(parts) if all(isinstance(p, str) for p in parts) else None
        if isinstance(index, str):
            name = index.split(":", 1)[-1]
            backing = _BACKING.match(name)  # a data stream's backing index answers to the stream's name
            name = backing.group(1) if backing else name
            if not any(fnmatchcase(name, p) for p in include) or any(fnmatchcase(name, p) for p in exclude):
                outside += 1
    return outside


def render_text(result: dict) -> list[str]:
    from .text import render

    return render(result)
