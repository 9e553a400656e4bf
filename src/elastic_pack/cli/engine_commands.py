"""test and preview: the pack's rules on the local engine."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import app
from .options import (ContentOption, JsonOption, MappingOption, check_output, console, devices, fail,
                      load_mapping_option, marked, write_output)
from .pack_commands import exit_on_invalid_pack


_WARM_UP_HELP = ("How much of the input new terms rules treat as history only, e.g. 3d, or 0 to alert on the "
                 "first sighting as Kibana's rule preview does on a fresh index (default: their history window, "
                 "as a rule deployed on a full index).")


def _warm_up_seconds(value: Optional[str], err) -> Optional[float]:
    """--warm-up as seconds (None: the rules' own history window); exit 2 on a value that is not a span."""
    from ..durations import parse_span

    try:
        return None if value is None else (0.0 if value.strip() == "0" else parse_span(value).total_seconds())
    except ValueError as exc:
        fail(f"--warm-up: {exc}", 2)


@app.command("test")
def test_scenarios(
    names: Annotated[Optional[list[str]], typer.Argument(help="Scenario names to run (default: all).")] = None,
    content: ContentOption = None,
    junit: Annotated[Optional[Path], typer.Option("--junit", help="Also write JUnit XML here, for CI.")] = None,
    as_json: JsonOption = False,
    warm_up: Annotated[Optional[str], typer.Option("--warm-up", help=_WARM_UP_HELP + " The scenarios' "
                                                   "expectations assume the default.")] = None,
    mapping: MappingOption = None,
) -> None:
    """Run every scenario on the local engine; print pass/fail per scenario. Exit 1 on any failure."""
    from rich.table import Table

    from ..errors import NotRunnable
    from ..scenario_run import run_scenarios

    err = console(stderr=True)
    warm = _warm_up_seconds(warm_up, err)
    check_output(junit, "--junit")
    indices = load_mapping_option(mapping)
    try:
        with exit_on_invalid_pack():
            results = run_scenarios(content, names, warm_up=warm, mapping=indices)
    except (NotRunnable, LookupError) as exc:
        fail(exc, 2 if isinstance(exc, LookupError) else 1)
    failed = [r for r in results if not r.passed]
    if junit:
        from ..junit import write_junit

        write_output(junit, lambda path: write_junit(results, path), "--junit")
    explained = _explain_failures(content, failed, warm, indices)
    if as_json:
        typer.echo(json.dumps([{"scenario": r.scenario.name, "passed": r.passed, "problems": r.problems,
                                "alerts": [a.to_json() for a in r.alerts],
                                **({"explanations": explained.get(r.scenario.name, {})} if not r.passed else {})}
                               for r in results], indent=2, default=str))
        raise typer.Exit(1 if failed or not results else 0)
    table = Table(title="Scenarios on the local engine")
    for column in ("scenario", "result", "alerts", "detail"):
        table.add_column(column)
    rule_names = {a.rule_id: a.rule_name for r in results for a in r.alerts}
    for result in results:
        tally = Counter(a.rule_id for a in result.alerts)
        counts = "\n".join(f"{n} × {rule_names[rid]}"
                           for rid, n in sorted(tally.items(), key=lambda x: rule_names[x[0]])) or "none"
        table.add_row(result.scenario.name, marked("[green]pass" if result.passed else "[red]FAIL"), counts,
                      "; ".join(result.problems))
    out = console()
    out.print(table)
    for result in failed:  # under each failing expectation: why the rule alerted or did not
        from ..explain import render_text

        for key, explanation in explained.get(result.scenario.name, {}).items():
            out.print(marked("[red]FAIL[/] ", f"{result.scenario.name}: {key}, explained:"))
            for line in render_text(explanation) if "error" not in explanation else [explanation["error"]]:
                out.print("    " + line)
    out.print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    raise typer.Exit(1 if failed or not results else 0)


def _explain_failures(content, failed: list, warm_up, mapping) -> dict[str, dict[str, dict]]:
    """scenario -> rule file name -> the explanation of that rule on the scenario's events."""
    if not failed:
        return {}
    from ..errors import NotRunnable
    from ..explain import explain_scenario
    from ..scenario_run import load_pack_and_scenarios

    pack, _ = load_pack_and_scenarios(content)
    out: dict[str, dict[str, dict]] = {}
    for result in failed:
        for key in result.failed_rules:
            try:
                explanation = explain_scenario(pack, result.scenario, key, warm_up, mapping)
            except (NotRunnable, LookupError) as exc:
                explanation = {"error": str(exc)}
            out.setdefault(result.scenario.name, {})[key] = explanation
    return out


@app.command()
def preview(
    events: Annotated[list[Path], typer.Option("--events", help="ECS events: ndjson, a JSON array or a search response (.gz accepted).")],
    rule: Annotated[Optional[list[str]], typer.Option("--rule", help="Only this rule_id (repeatable).")] = None,
    content: ContentOption = None,
    as_json: JsonOption = False,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on the first bad line instead of skipping it.")] = False,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help="Processes decoding large inputs "
                                                "(default: one per CPU; 1 reads in this process).")] = None,
    warm_up: Annotated[Optional[str], typer.Option("--warm-up", help=_WARM_UP_HELP)] = None,
    mapping: MappingOption = None,
) -> None:
    """Run the rules over ECS events from files and print the alerts they would raise in Kibana."""
    from ..errors import InputError
    from ..preview import preview as run_preview

    warm = _warm_up_seconds(warm_up, None)
    if devices(events):
        fail(f"--events: not a file but a device: {', '.join(map(str, devices(events)))}")
    indices = load_mapping_option(mapping)
    try:
        with exit_on_invalid_pack():
            alerts, report = run_preview(events, content, rule, strict, jobs, warm_up=warm, mapping=indices)
    except (InputError, ValueError) as exc:
        fail(exc)
    if report.skipped or report.not_run:
        err = console(stderr=True)
        for reason in report.skipped:
            err.print(marked("[yellow]skipped[/] ", reason))
        for reason in report.not_run:
            err.print(marked("[yellow]not run[/] ", reason))
    not_run = f", {len(report.not_run)} rules the local engine does not run" if report.not_run else ""
    # numbers and words only: written as rich would write it (no markup, no highlight), without importing rich
    typer.echo(f"{report.read} events read, {report.skipped_count} lines skipped, {len(alerts)} alerts{not_run}",
               err=True)
    if report.read == 0 and report.skipped_count:
        fail("no event could be read")
    if as_json:
        typer.echo(json.dumps([a.to_json() for a in alerts], indent=2))
        return
    from rich.table import Table

    table = Table(title="Alerts")
    for column in ("rule", "type", "group", "events", "first event", "last event"):
        table.add_column(column)
    for alert in alerts:
        data = alert.to_json()
        group = ", ".join(f"{k}={v}" for k, v in data["group"].items())
        table.add_row(alert.rule_name, alert.rule_type, group, str(alert.event_count), data["first_event"],
                      data["last_event"])
    console().print(table)


@app.command()
def seed(
    scenario: Annotated[str, typer.Option("--scenario", help="Scenario name (see `elastic-pack test`).")],
    namespace: Annotated[str, typer.Option("--namespace", help="Data stream namespace: events go to "
                                           "logs-aws.cloudtrail-<namespace>.")] = "default",
    es_url: Annotated[Optional[str], typer.Option("--es-url", help="Default: $ELASTICSEARCH_URL.",
                                                  show_default=False)] = None,
    content: ContentOption = None,
) -> None:
    """Write a scenario's events, shifted to now, into a real cluster to watch the deployed rules fire."""
    from ..lab import elasticsearch_client, seed as seed_events, shifted_documents
    from ..scenario_run import load_pack_and_scenarios

    with exit_on_invalid_pack():
        pack, scenarios = load_pack_and_scenarios(content)
    chosen = [s for s in scenarios if scenario in (s.name, s.path.stem)]
    if not chosen:
        fail(f"no scenario {scenario!r}; known: " + ", ".join(s.name for s in scenarios))
    try:
        stream, count = seed_events(elasticsearch_client(es_url), shifted_documents(chosen[0], pack.rules), namespace)
    except Exception as exc:  # the elasticsearch client's errors: report one line, never a traceback or a secret
        import os

        from ..kibana.config import KibanaConfig

        url = es_url or os.environ.get("ELASTICSEARCH_URL") or ""
        secrets = KibanaConfig(url=url, api_key=os.environ.get("ELASTIC_API_KEY"),
                               username=os.environ.get("ELASTIC_USERNAME"), password=os.environ.get("ELASTIC_PASSWORD"))
        message = secrets.redact(f"{type(exc).__name__}: {exc}".replace(url, secrets.display_url) if url else
                                 f"{type(exc).__name__}: {exc}")
        fail(f"seeding failed: {message}")
    console().print(f"wrote {count} events to {stream}; expected alerts: "
                    + (", ".join(f"{k} x{v}" for k, v in chosen[0].expect.items()) or "none"))


@app.command()
def backtest(
    paths: Annotated[list[Path], typer.Argument(help="CloudTrail files or folders (AWSLogs/ trees, .json.gz).")],
    from_: Annotated[Optional[str], typer.Option("--from", help="Start date (ISO 8601), inclusive.")] = None,
    to: Annotated[Optional[str], typer.Option("--to", help="End date (ISO 8601), exclusive.")] = None,
    content: ContentOption = None,
    as_json: JsonOption = False,
    html: Annotated[Optional[Path], typer.Option("--html", help="Also write a self-contained HTML report.")] = None,
    window_on: Annotated[str, typer.Option("--window-on", help="The time rule windows read: 'event' (eventTime; "
                                           "the default) or 'delivery' (the time in each S3 object's name, a close "
                                           "stand-in for the event.ingested Kibana's rules read).")] = "event",
    warm_up: Annotated[Optional[str], typer.Option("--warm-up", help=_WARM_UP_HELP)] = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help="Processes decoding files "
                                                "(default: one per CPU).")] = None,
    mapping: MappingOption = None,
) -> None:
    """Run the pack over your own CloudTrail logs: alerts per rule, identity and day, hourly distributions
    against each threshold, suggested thresholds and exception candidates."""
    import sys

    from ..backtest import backtest as run_backtest
    from ..engine.events import parse_time

    err = console(stderr=True)
    check_output(html, "--html")
    try:
        start = parse_time(from_) if from_ else None
        end = parse_time(to) if to else None
    except ValueError as exc:
        fail(f"--from/--to: {exc}")
    if start is not None and end is not None and start >= end:
        fail("--from must be before --to", 2)
    warm = _warm_up_seconds(warm_up, err)
    indices = load_mapping_option(mapping)
    if window_on not in ("event", "delivery"):
        fail("--window-on takes 'event' or 'delivery'", 2)
    missing = [p for p in paths if not p.exists()]
    if missing:
        fail(f"no such file or folder: {', '.join(map(str, missing))}")
    if devices(paths):
        fail(f"not a file or folder but a device: {', '.join(map(str, devices(paths)))}")
    from ..parallel import fewer_collections

    with exit_on_invalid_pack(), fewer_collections():
        if sys.stderr.isatty() and not as_json:
            from rich.progress import Progress

            from ..cloudtrail import find_files

            files = find_files(paths)  # walked once: the count for the bar, then the files themselves
            with Progress(console=err, transient=True) as progress:
                task = progress.add_task("reading CloudTrail", total=len(files))
                result = run_backtest(files, content, start, end, on_file=lambda _: progress.advance(task),
                                      window_on=window_on, jobs=jobs, warm_up=warm, mapping=indices)
        else:
            result = run_backtest(paths, content, start, end, window_on=window_on, jobs=jobs, warm_up=warm,
                                  mapping=indices)
    for reason in result.input.skipped:
        err.print(marked("[yellow]skipped[/] ", reason))
    if html:
        from ..backtest.html import render_html

        page = render_html(result)
        write_output(html, lambda path: path.write_text(page, encoding="utf-8"), "--html")
        err.print(f"wrote {html}")
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2))
    else:
        _print_backtest(result)
    if not result.input.files:
        err.print(marked("[red]error:[/] ", "no CloudTrail file (.json, .json.gz, .log, .ndjson) in "
                         + ", ".join(map(str, paths))))  # not fail(): under --json the report is the document
        raise typer.Exit(1)


def _print_backtest(result) -> None:
    from rich.table import Table

    out = console()
    data = result.to_json()
    reordered = (f"; {data['reordered_records']} records came out of order across files, so the input was "
                 "read again and sorted" if data["reordered_records"] else "")
    out.print(f"{data['events']:,} events from {data['files']} files; {data['skipped_count']} unusable "
              f"inputs{reordered}", markup=False, highlight=False)
    for warm in data["new_terms_warm_up"]:
        out.print(f"{warm['rule']}: the first {warm['warm_up_days']:g} days are history only (history window "
                  f"{warm['history_window_days']:g} days; --warm-up to change); first alert possible from "
                  f"{warm['first_alert_possible_from']}",
                  markup=False, highlight=False)
    table = Table(title="Threshold rules: hourly counts per identity")
    for column in ("rule", "threshold", "p50", "p90", "p99", "p99.9", "max", "suggested", "hours over"):
        table.add_column(column)
    for t in result.thresholds:
        p = t.percentiles
        table.add_row(t.rule_name, str(t.value), str(p["p50"]), str(p["p90"]), str(p["p99"]), str(p["p99.9"]),
                      str(t.maximum), "n/a" if t.suggested is None else str(t.suggested), str(t.hours_at_or_over))
    out.print(table)
    for t in result.thresholds:
        if t.caveat and t.suggested is not None:
            out.print(f"{t.rule_name}: {t.caveat}", markup=False, highlight=False)
    alerts = Table(title="Alerts per rule")
    alerts.add_column("rule")
    alerts.add_column("alerts")
    for rule, count in sorted(data["alerts_per_rule"].items()):
        alerts.add_row(rule, str(count))
    out.print(alerts)
    if data["exception_candidates"]:
        out.print("Exception candidates (alerting on most days they are active):")
        for c in data["exception_candidates"]:
            out.print(f"  {c['rule']}: {c['identity']} ({c['alert_days']} of {c['active_days']} days)")
