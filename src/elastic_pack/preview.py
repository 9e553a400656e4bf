"""Run the pack's rules over ECS events from files (the library side of `elastic-pack preview`)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .content import load_pack
from .content.model import RuleFile
from .engine import CompiledRule, Event, ReadReport, UnorderedEvents, compile_rule, read_events, run_rules
from .engine.alerts import Alert
from .engine.gates import gates_of
from .engine.run import alert_order, windowed
from .engine.events import INGESTED, open_events
from .engine.json_files import looks_whole, regular_file
from .engine.parallel_read import jobs_for, read_gated_events
from .errors import ContentError, InputError, NotRunnable
from .exceptions_model import exception_predicates
from .findings import has_errors
from .parallel import default_jobs


def preview(paths: list[Path], content_dir: Path | None = None, rule_ids: list[str] | None = None,
            strict: bool = False, jobs: int | None = None) -> tuple[list[Alert], ReadReport]:
    """Alerts the pack's rules raise on the events in `paths`.

    Rules are run in groups by the time field they window on (see _run_group).
    """
    pack, findings = load_pack(content_dir)
    if has_errors(findings):
        raise ContentError(findings)
    selected = [r for r in pack.rules if not rule_ids or r.rule_id in rule_ids]
    if rule_ids and len(selected) != len(set(rule_ids)):
        missing = set(rule_ids) - {r.rule_id for r in selected}
        raise ValueError(f"no rule with rule_id {', '.join(sorted(missing))}")
    exceptions = exception_predicates(pack)
    report = ReadReport()
    # rules that window on different time fields (timestamp_override or @timestamp) each need the events in
    # their field's order: one pass over the input per field, the first one counting what was read
    groups: dict[tuple[str, bool], list[tuple[RuleFile, CompiledRule]]] = {}
    for rule in selected:  # a rule named with --rule must run; from a whole tree, refused ones are named
        try:
            compiled = compile_rule(rule, exceptions.get(rule.rule_id))
        except NotRunnable as exc:
            if rule_ids:
                raise
            report.not_run.append(f"{rule.name or rule.rule_id} ({rule.path.name}): {exc.reason}")
            continue
        groups.setdefault((compiled.window_field, compiled.window_strict), []).append((rule, compiled))
    streams = [p for p in paths if Path(p).exists() and not regular_file(Path(p))]  # missing: "cannot open"
    if len(groups) > 1 and streams:
        raise InputError(f"{streams[0]}: a stream can be read once, and these rules window on "
                         f"{' and '.join(sorted({field for field, _ in groups}))}, one pass each: save the "
                         "events to a file first")
    alerts: list[Alert] = []
    for index, ((window_field, fallback_disabled), group) in enumerate(groups.items()):
        counted = report if index == 0 else ReadReport()
        alerts += _run_group(group, exceptions, paths, counted, strict, jobs, window_field, fallback_disabled)
    if not groups:  # nothing runs: still read the input, so its errors and counts are reported
        _run_group([], exceptions, paths, report, strict, jobs, INGESTED, False)
    return sorted(alerts, key=alert_order), report


def _run_group(group: list[tuple[RuleFile, CompiledRule]], exceptions: dict, paths: list[Path], report: ReadReport,
               strict: bool, jobs: int | None, window_field: str, fallback_disabled: bool) -> list[Alert]:
    """The group's alerts: streamed (when every rule has a gate, most lines decoded only as far as the gates
    read, by one process per CPU for large inputs), or, when the files are not in order, read again and
    sorted in memory."""
    compiled = [rule for _, rule in group]
    gates = gates_of(compiled) if compiled else None
    jobs = default_jobs() if jobs is None else jobs
    def run(rules: list[CompiledRule], events: Iterable[Event]) -> list[Alert]:
        return run_rules(rules, windowed(events, window_field, fallback_disabled))

    if not all(regular_file(Path(p)) for p in paths):  # a pipe is read once: held in memory, in time order
        return run(compiled, sorted(read_events(paths, report, strict, window_field), key=_time_order))
    try:
        if gates is not None and all(regular_file(Path(p)) and not looks_whole(Path(p), open_events) for p in paths):
            # ndjson files: the stretch reader
            return run(compiled, read_gated_events(paths, report, gates, jobs_for(paths, jobs), strict, window_field))
        return run(compiled, read_events(paths, report, strict, window_field))
    except UnorderedEvents:  # the rules hold state from the partial run: compiled afresh
        report.read, report.skipped = 0, []
        events = sorted(read_events(paths, report, strict, window_field), key=_time_order)
        return run([compile_rule(rule, exceptions.get(rule.rule_id)) for rule, _ in group], events)


def _time_order(event: Event) -> tuple[float, float]:
    return event.window_time, event.timestamp
