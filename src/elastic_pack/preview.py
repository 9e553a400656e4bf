"""Run the pack's rules over ECS events from files (the library side of `elastic-pack preview`)."""

from __future__ import annotations

from pathlib import Path

from .content import load_pack
from .engine import ReadReport, UnorderedEvents, compile_rule, read_events, run_rules
from .engine.alerts import Alert
from .engine.gates import gates_of
from .engine.events import open_events
from .engine.json_files import looks_whole
from .engine.parallel_read import jobs_for, read_gated_events
from .errors import ContentError, NotRunnable
from .exceptions_model import exception_predicates
from .findings import has_errors
from .parallel import default_jobs


def preview(paths: list[Path], content_dir: Path | None = None, rule_ids: list[str] | None = None,
            strict: bool = False, jobs: int | None = None) -> tuple[list[Alert], ReadReport]:
    """Alerts the pack's rules raise on the events in `paths`.

    Events are streamed; when every rule has a gate, only what the gates read is decoded from most lines
    (by one process per CPU for large inputs). If the files are not in time order they are read again and
    sorted in memory.
    """
    pack, findings = load_pack(content_dir)
    if has_errors(findings):
        raise ContentError(findings)
    selected = [r for r in pack.rules if not rule_ids or r.rule_id in rule_ids]
    if rule_ids and len(selected) != len(set(rule_ids)):
        missing = set(rule_ids) - {r.rule_id for r in selected}
        raise ValueError(f"no rule with rule_id {', '.join(sorted(missing))}")
    exceptions = exception_predicates(pack)
    refused: list[str] = []

    def compiled() -> list:
        """The rules the engine runs. A rule named with --rule must run; from a whole tree, the ones the
        engine refuses are left out and named in the report."""
        rules = []
        refused.clear()
        for rule in selected:
            try:
                rules.append(compile_rule(rule, exceptions.get(rule.rule_id)))
            except NotRunnable as exc:
                if rule_ids:
                    raise
                refused.append(f"{rule.name or rule.rule_id} ({rule.path.name}): {exc.reason}")
        return rules

    report = ReadReport()
    rules = compiled()
    report.not_run = list(refused)
    gates = gates_of(rules)
    jobs = default_jobs() if jobs is None else jobs
    try:
        if gates is not None and not any(looks_whole(Path(p), open_events) for p in paths):  # ndjson only
            return run_rules(rules, read_gated_events(paths, report, gates, jobs_for(paths, jobs), strict)), report
        return run_rules(rules, read_events(paths, report, strict)), report
    except UnorderedEvents:
        report = ReadReport(not_run=list(refused))
        events = sorted(read_events(paths, report, strict), key=lambda e: (e.window_time, e.timestamp))
        return run_rules(compiled(), events), report
