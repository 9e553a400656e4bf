"""test and preview: the pack's rules on the local engine."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import app
from .options import ContentOption, JsonOption, console
from .pack_commands import print_findings


@app.command("test")
def test_scenarios(
    names: Annotated[Optional[list[str]], typer.Argument(help="Scenario names to run (default: all).")] = None,
    content: ContentOption = None,
    junit: Annotated[Optional[Path], typer.Option("--junit", help="Also write JUnit XML here, for CI.")] = None,
) -> None:
    """Run every scenario on the local engine; print pass/fail per scenario. Exit 1 on any failure."""
    from rich.table import Table

    from ..errors import ContentError
    from ..scenario_run import run_scenarios

    try:
        results = run_scenarios(content, names)
    except ContentError as exc:
        print_findings(exc.findings, as_json=False)
        raise typer.Exit(1)
    table = Table(title="Scenarios on the local engine")
    for column in ("scenario", "result", "alerts", "detail"):
        table.add_column(column)
    names = {a.rule_id: a.rule_name for r in results for a in r.alerts}
    for result in results:
        tally = Counter(a.rule_id for a in result.alerts)
        counts = "\n".join(f"{n} × {names[rid]}" for rid, n in sorted(tally.items(), key=lambda x: names[x[0]])) or "none"
        table.add_row(result.scenario.name, "[green]pass" if result.passed else "[red]FAIL", counts,
                      "; ".join(result.problems))
    out = console()
    out.print(table)
    failed = [r for r in results if not r.passed]
    out.print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if junit:
        from ..junit import write_junit

        write_junit(results, junit)
    raise typer.Exit(1 if failed or not results else 0)


@app.command()
def preview(
    events: Annotated[list[Path], typer.Option("--events", help="ndjson file(s) of ECS events (.gz accepted).")],
    rule: Annotated[Optional[list[str]], typer.Option("--rule", help="Only this rule_id (repeatable).")] = None,
    content: ContentOption = None,
    as_json: JsonOption = False,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on the first bad line instead of skipping it.")] = False,
) -> None:
    """Run the rules over ECS events from files and print the alerts they would raise in Kibana."""
    from ..errors import ContentError, InputError
    from ..preview import preview as run_preview

    err = console(stderr=True)
    try:
        alerts, report = run_preview(events, content, rule, strict)
    except ContentError as exc:
        print_findings(exc.findings, as_json=False)
        raise typer.Exit(1)
    except (InputError, ValueError) as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1)
    for reason in report.skipped:
        err.print(f"[yellow]skipped[/] {reason}")
    err.print(f"{report.read} events read, {report.skipped_count} lines skipped, {len(alerts)} alerts")
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
    from ..errors import ContentError
    from ..lab import elasticsearch_client, seed as seed_events, shifted_documents
    from ..scenario_run import load_pack_and_scenarios

    try:
        pack, scenarios = load_pack_and_scenarios(content)
    except ContentError as exc:
        print_findings(exc.findings, as_json=False)
        raise typer.Exit(1)
    chosen = [s for s in scenarios if scenario in (s.name, s.path.stem)]
    if not chosen:
        console(stderr=True).print(f"[red]error:[/] no scenario {scenario!r}; known: "
                                   + ", ".join(s.name for s in scenarios))
        raise typer.Exit(1)
    try:
        stream, count = seed_events(elasticsearch_client(es_url), shifted_documents(chosen[0], pack.rules), namespace)
    except Exception as exc:  # the elasticsearch client's errors: report one line, never a traceback
        console(stderr=True).print(f"[red]error:[/] seeding failed: {type(exc).__name__}: {exc}")
        raise typer.Exit(1)
    console().print(f"wrote {count} events to {stream}; expected alerts: "
                    + (", ".join(f"{k} x{v}" for k, v in chosen[0].expect.items()) or "none"))
