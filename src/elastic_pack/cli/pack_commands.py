"""validate, build, bump: commands on the pack's content."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import app
from .options import ContentOption, JsonOption, check_output, console, fail, marked


@contextmanager
def exit_on_invalid_pack(message: object = None, as_json: bool = False):
    """Inside: a ContentError prints its findings (and the message, a str or rich Text) and ends the command with
    exit 1.
    With as_json the findings go to stdout as the JSON array `validate --json` prints."""
    from ..errors import ContentError
    from .options import json_requested

    as_json = as_json or json_requested()  # --json: the findings are the one JSON document
    try:
        yield
    except ContentError as exc:
        print_findings(exc.findings, as_json=as_json)
        if message and not as_json:
            console(stderr=True).print(message)
        raise typer.Exit(1)


def print_findings(findings, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps([f.to_json() for f in findings], indent=2))
        return
    err = console(stderr=True)
    for finding in findings:
        style = "red" if finding.severity.value == "error" else "yellow"
        rule = finding.rule_name or finding.rule_id
        named = f" [{rule}]" if rule else ""
        err.print(marked(f"[{style}]{finding.severity.value}[/] ",
                         f"{finding.location} {finding.check}{named}: {finding.message}"))


@app.command()
def validate(
    content: ContentOption = None,
    as_json: JsonOption = False,
    kibana_openapi: Annotated[Optional[Path], typer.Option(
        "--kibana-openapi", help="Also check each rule against Kibana's own OpenAPI schemas in this folder "
        "(x-pack/solutions/security/plugins/security_solution/common/api/detection_engine of a Kibana checkout).",
        show_default=False)] = None,
) -> None:
    """Check every rule (Kibana schema, EQL/KQL/ES|QL syntax, fields, schedule, thresholds, tags, MITRE, versions).

    Reports all problems at once with file, rule and line. Exit 0 when clean, 1 otherwise.
    """
    from ..checks import validate_pack
    from ..findings import has_errors

    pack, findings = validate_pack(content)
    if kibana_openapi is not None:
        from ..checks.openapi_check import openapi_findings

        findings = findings + openapi_findings(pack, kibana_openapi)
    print_findings(findings, as_json)
    if not as_json:
        errors = sum(f.severity.value == "error" for f in findings)
        summary = (f"{len(pack.rules)} rules checked in {pack.root}, {errors} errors, "
                   f"{len(findings) - errors} warnings")
        console(stderr=True).print(summary, style="red" if errors else "green")
    raise typer.Exit(1 if has_errors(findings) else 0)


@app.command()
def build(
    content: ContentOption = None,
    out: Annotated[Path, typer.Option("--out", help="Folder to write the bundle into.")] = Path("dist"),
    as_json: JsonOption = False,
) -> None:
    """Validate, then write the Kibana import bundle (ndjson) to --out. Refuses when validation fails."""
    from ..build import BUNDLE_NAME
    from ..operations import build_pack

    check_output(out, "--out", folder=True)
    check_output(out / BUNDLE_NAME, "--out")
    with exit_on_invalid_pack(marked("[red]build refused: the pack does not validate"), as_json):
        try:
            path = build_pack(content, out)
        except OSError as exc:
            fail(f"--out: cannot write into {out}: {exc.strerror or exc}")
    if as_json:
        objects = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        typer.echo(json.dumps({
            "bundle": str(path),
            "rules": sorted(o["rule_id"] for o in objects if "rule_id" in o),
            "exception_lists": sorted(o["list_id"] for o in objects if "list_id" in o and "item_id" not in o),
            "exception_items": sum("item_id" in o for o in objects),
        }, indent=2))
        return
    console().print(f"wrote {path}", markup=False, highlight=False)


@app.command()
def bump(
    rule_ids: Annotated[Optional[list[str]], typer.Argument(help="rule_ids to bump (default: every changed rule)")] = None,
    content: ContentOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record changed rules in version.lock.json with their next version."""
    from ..operations import bump_versions

    try:
        with exit_on_invalid_pack(as_json=as_json):
            bumped = bump_versions(content, rule_ids)
    except ValueError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps([{"rule_id": rule_id, "name": entry.name, "version": entry.version}
                               for rule_id, entry in bumped.items()], indent=2))
        return
    out = console()
    for rule_id, entry in bumped.items():
        out.print(f"{rule_id} {entry.name}: version {entry.version}")
    if not bumped:
        out.print("nothing changed")


@app.command()
def docs(
    content: ContentOption = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for the playbooks.")] = Path("playbooks"),
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if a playbook is stale.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Generate the responder playbooks (one per technique) from the guides in content/guides."""
    from ..operations import render_playbooks, stale_playbooks

    check_output(out, "--out", folder=True)
    if check:
        with exit_on_invalid_pack(as_json=as_json):
            stale = stale_playbooks(content, out)
        if as_json:
            typer.echo(json.dumps({"stale": [str(out / name) for name in stale]}, indent=2))
        for name in [] if as_json else stale:
            console(stderr=True).print(marked("[red]stale:[/] ", f"{out / name} (run `elastic-pack docs --out {out}`)"))
        raise typer.Exit(1 if stale else 0)
    with exit_on_invalid_pack(as_json=as_json):
        playbooks = render_playbooks(content)
    for name in playbooks:
        check_output(out / name, "--out")
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in playbooks.items():
            (out / name).write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"--out: cannot write into {out}: {exc.strerror or exc}")
    if as_json:
        typer.echo(json.dumps({"written": [str(out / name) for name in playbooks]}, indent=2))
        return
    for name in playbooks:
        console().print(f"wrote {out / name}", markup=False, highlight=False)
