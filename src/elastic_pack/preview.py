"""Run the pack's rules over ECS events from files (the library side of `elastic-pack preview`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .content import load_pack
from .content.model import RuleFile
from .engine import CompiledRule, Event, ReadReport, UnorderedEvents, compile_rule, read_events, run_rules
from .engine.alerts import Alert
from .engine.gates import gates_of
from .engine.run import alert_order, by_window_field, windowed
from .engine.events import INGESTED, open_events
from .engine.json_files import looks_whole, regular_file
from .engine.parallel_read import jobs_for, read_gated_events
from .errors import ContentError, InputError, NotRunnable
from .exceptions_model import exception_predicates
from .findings import has_errors
from .parallel import default_jobs


def preview(paths: list[Path], content_dir: Path | None = None, rule_ids: list[str] | None = None,
            strict: bool = False, jobs: int | None = None,
            warm_up: float | None = None, mapping: Any = None) -> tuple[list[Alert], ReadReport]:
    """Alerts the pack's rules raise on the events in `paths`, read as indices with `mapping` hold them
    (elastic_pack.mapping.Mapping or a dict field -> type; default: Mapping.default()).

    Rules are run in groups by the time field they window on (see _run_group). `warm_up`: how long new
    terms rules treat the input as history only (None: their history window; see scenario_run.with_warm_up).
    """
    from .scenario_run import with_warm_up

    pack, findings = load_pack(content_dir)
    if has_errors(findings):
        raise ContentError(findings)
    selected = [r for r in pack.rules if not rule_ids or r.rule_id in rule_ids]
    if rule_ids and len(selected) != len(set(rule_ids)):
        missing = set(rule_ids) - {r.rule_id for r in selected}
        raise ValueError(f"no rule with rule_id {', '.join(sorted(missing))}")
    exceptions = exception_predicates(pack)
    report = ReadReport()
    compiled: list[CompiledRule] = []
    sources: dict[int, RuleFile] = {}
    for rule in selected:  # a rule named with --rule must run; from a whole tree, refused ones are named
        try:
            compiled.append(with_warm_up([compile_rule(rule, exceptions.get(rule.rule_id), mapping)], warm_up)[0])
        except NotRunnable as exc:
            if rule_ids:
                raise
            report.not_run.append(f"{rule.name or rule.rule_id} ({rule.path.name}): {exc.reason}")
            continue
        sources[id(compiled[-1])] = rule
    # rules that window on different time fields (timestamp_override or @timestamp) each need the events in
    # their field's order: one pass over the input per field, the first one counting what was read
    groups = by_window_field(compiled)
    source = _Input(paths, strict, default_jobs() if jobs is None else jobs)
    streams = [p for p in paths if Path(p).exists() and not regular_file(Path(p))]  # missing: "cannot open"
    if len(groups) > 1 and streams:
        raise InputError(f"{streams[0]}: a stream can be read once, and these rules window on "
                         f"{' and '.join(sorted({field for field, _ in groups}))}, one pass each: save the "
                         "events to a file first")

    def fresh(rules: list[CompiledRule]) -> list[CompiledRule]:  # after a partial run, rules hold state
        return with_warm_up([compile_rule(sources[id(r)], exceptions.get(r.rule_id), mapping) for r in rules],
                            warm_up)

    alerts: list[Alert] = []
    for index, ((window_field, fallback_disabled), group) in enumerate(groups.items()):
        counted = report if index == 0 else ReadReport()
        alerts += _run_group(group, fresh, source, counted, window_field, fallback_disabled)
    if not groups:  # nothing runs: still read the input, so its errors and counts are reported
        _run_group([], fresh, source, report, INGESTED, False)
    return sorted(alerts, key=alert_order), report


@dataclass
class _Input:
    """The event files and how to read them: `held` for a pipe or stream (read once, sorted in memory),
    `stretches` for ndjson files (the gated stretch reader), `plain` for files that are one JSON document."""

    paths: list[Path]
    strict: bool
    jobs: int
    reading: str = field(init=False)

    def __post_init__(self) -> None:
        if not all(regular_file(Path(p)) for p in self.paths):  # missing ones too: "cannot open" on reading
            self.reading = "held"
        elif any(looks_whole(Path(p), open_events) for p in self.paths):
            self.reading = "plain"
        else:
            self.reading = "stretches"


def _run_group(rules: list[CompiledRule], fresh: Callable[[list[CompiledRule]], list[CompiledRule]], source: _Input,
               report: ReadReport, window_field: str, fallback_disabled: bool) -> list[Alert]:
    """The group's alerts: streamed (ndjson files whose rules all have gates: most lines decoded only as far
    as the gates read, by one process per CPU for large inputs), or, when the files are not in order, read
    again and sorted in memory (`fresh` gives the rules without the partial run's state)."""
    gates = gates_of(rules) if rules else None

    def run(rules: list[CompiledRule], events: Iterable[Event]) -> list[Alert]:
        return run_rules(rules, windowed(events, window_field, fallback_disabled))

    def plain() -> Iterator[Event]:
        return read_events(source.paths, report, source.strict, window_field)

    if source.reading == "held":
        return run(rules, sorted(plain(), key=_time_order))
    try:
        if gates is not None and source.reading == "stretches":
            jobs = jobs_for(source.paths, source.jobs)
            return run(rules, read_gated_events(source.paths, report, gates, jobs, source.strict, window_field))
        return run(rules, plain())
    except UnorderedEvents:
        report.read, report.skipped = 0, []
        return run(fresh(rules), sorted(plain(), key=_time_order))


def _time_order(event: Event) -> tuple[float, float]:
    return event.window_time, event.timestamp
