"""diff, deploy, restore, export, doctor: the pack against a Kibana space."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import app
from .kibana_options import (
    ApiKeyOption,
    CaOption,
    InsecureOption,
    PasswordOption,
    SpaceOption,
    UrlOption,
    UserOption,
    make_client,
)
from .options import ContentOption, JsonOption, console
from .pack_commands import exit_on_invalid_pack


def _fail(message: str) -> None:
    console(stderr=True).print(f"[red]error:[/] {message}", markup=True)
    raise typer.Exit(1)


def _client_or_exit(*args):
    try:
        return make_client(*args)
    except ValueError as exc:
        _fail(str(exc))


def _plan_or_exit(client, content):
    from ..kibana import KibanaError
    from ..operations import pack_objects

    with exit_on_invalid_pack("[red]error:[/] the pack does not validate; nothing was sent to Kibana"):
        rules, exception_objects = pack_objects(content)
    from ..deploy import plan_space

    try:
        return plan_space(client, rules), exception_objects
    except KibanaError as exc:
        _fail(str(exc))


def show_plan(plan, prune: bool = False) -> None:
    from rich.table import Table

    from .plan_view import field_diff_lines

    out = console()
    table = Table(title=f"Plan for space {plan.space!r}")
    for column in ("action", "rule", "rule_id", "fields"):
        table.add_column(column)
    style = {"create": "green", "update": "yellow", "replace": "magenta", "unchanged": "dim", "orphan": "red"}
    for action in plan.actions:
        kind = action.kind if action.kind != "orphan" else ("delete" if prune else "orphan (kept; --prune deletes)")
        table.add_row(f"[{style[action.kind]}]{kind}", action.name, action.rule_id,
                      ", ".join(f for f, _, _ in action.changes))
    out.print(table)
    for action in plan.of("update", "replace"):
        out.print(f"\n[bold]{action.name}[/]")
        for line in field_diff_lines(action.changes):
            out.print(line, markup=False, highlight=False)
    counts = plan.counts()
    out.print("\n" + ", ".join(f"{n} {k}" for k, n in counts.items()))


@app.command()
def diff(
    space: SpaceOption = "default",
    content: ContentOption = None,
    as_json: JsonOption = False,
    exit_code: Annotated[bool, typer.Option("--exit-code", help="Exit 2 when the space differs from the pack.")] = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="Also save the plan as JSON here.")] = None,
    kibana_url: UrlOption = None, api_key: ApiKeyOption = None, username: UserOption = None,
    password: PasswordOption = None, ca_cert: CaOption = None, insecure: InsecureOption = False,
) -> None:
    """Compare the built pack with a Kibana space: create, update (field by field), unchanged, orphaned.

    With --exit-code: 0 no changes, 2 changes, 1 error (for drift detection in CI).
    """
    client = _client_or_exit(kibana_url, space, api_key, username, password, ca_cert, insecure)
    plan, _ = _plan_or_exit(client, content)
    if out:
        out.write_text(json.dumps(plan.to_json(), indent=2, default=str) + "\n", encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(plan.to_json(), indent=2, default=str))
    else:
        show_plan(plan)
    raise typer.Exit(2 if exit_code and plan.has_changes(prune=True) else 0)


@app.command()
def deploy(
    space: SpaceOption = "default",
    content: ContentOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Apply without asking (for CI).")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan and stop.")] = False,
    prune: Annotated[bool, typer.Option("--prune", help="Delete rules this pack deployed earlier and no longer "
                                                        "has (only those: by the pack's marker tag).")] = False,
    enable: Annotated[bool, typer.Option("--enable", help="Create new rules enabled (default: disabled; "
                                                          "existing rules keep their state).")] = False,
    backup_dir: Annotated[Path, typer.Option("--backup-dir", help="Where the pre-change backup goes.")] = Path("backups"),
    saved_plan: Annotated[Optional[Path], typer.Option("--plan", help="Apply exactly this plan (from `diff --out`); "
                                                       "refuse if the space or the pack changed since.")] = None,
    as_json: JsonOption = False,
    kibana_url: UrlOption = None, api_key: ApiKeyOption = None, username: UserOption = None,
    password: PasswordOption = None, ca_cert: CaOption = None, insecure: InsecureOption = False,
) -> None:
    """Deploy the pack to a Kibana space: plan, confirm, back up, apply.

    Keeps what analysts own in Kibana (enabled state, actions, exception lists the pack did not add).
    Rules run with the API key of whoever deployed them last: deploy with a key meant for that.
    """
    from ..deploy import apply_plan, exception_drift
    from ..kibana import KibanaError

    client = _client_or_exit(kibana_url, space, api_key, username, password, ca_cert, insecure)
    plan, exception_objects = _plan_or_exit(client, content)
    if saved_plan is not None:
        _check_saved_plan(saved_plan, plan)
    try:
        list_changes = exception_drift(client, exception_objects)
    except KibanaError as exc:
        _fail(str(exc))
    if not as_json:
        show_plan(plan, prune)
        for change in list_changes:
            console().print(change)
    if not plan.has_changes(prune) and not list_changes:
        if as_json:
            typer.echo(json.dumps({"plan": plan.to_json(), "result": None}, indent=2, default=str))
        else:
            console().print("nothing to do")
        raise typer.Exit(0)
    if dry_run:
        if as_json:
            typer.echo(json.dumps({"plan": plan.to_json()}, indent=2, default=str))
        raise typer.Exit(0)
    if not yes:
        if not sys.stdin.isatty():
            _fail("stdin is not a terminal: pass --yes to apply without confirmation, or --dry-run")
        if not typer.confirm(f"Apply this plan to space {space!r}?"):
            raise typer.Exit(1)
    result = apply_plan(client, plan, exception_objects, backup_dir, prune=prune, enable_new=enable)
    _report(result, as_json, plan)
    raise typer.Exit(0 if result.ok else 1)


def _check_saved_plan(path: Path, plan) -> None:
    """A reviewed plan is applied only if computing it again gives the same plan on the same space."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        _fail(f"cannot read plan {path}: {exc}")
    current = json.loads(json.dumps(plan.to_json(), default=str))
    if saved.get("space") != plan.space:
        _fail(f"plan {path} is for space {saved.get('space')!r}, not {plan.space!r}")
    if saved.get("remote_fingerprint") != current["remote_fingerprint"]:
        _fail(f"the space changed since {path} was made: run `elastic-pack diff --out` again and review it")
    if saved.get("rules") != current["rules"]:
        _fail(f"the pack changed since {path} was made: run `elastic-pack diff --out` again and review it")


def _report(result, as_json: bool, plan) -> None:
    if as_json:
        typer.echo(json.dumps({"plan": plan.to_json(), "result": result.to_json()}, indent=2, default=str))
        return
    out, err = console(), console(stderr=True)
    if result.backup:
        out.print(f"backup of the rules as they were: {result.backup}  (elastic-pack restore {result.backup})")
    out.print(f"created {len(result.created)}, updated {len(result.updated)}, deleted {len(result.deleted)}, "
              f"failed {len(result.failed)}")
    for rule_id, reason in result.failed.items():
        err.print(f"[red]failed[/] {rule_id}: {reason}", markup=True)
    if result.failed:
        err.print("the rules not listed as failed were applied; run the same deploy again to converge")


@app.command()
def restore(
    backup: Annotated[Path, typer.Argument(help="A backup file written by deploy.")],
    space: SpaceOption = "default",
    kibana_url: UrlOption = None, api_key: ApiKeyOption = None, username: UserOption = None,
    password: PasswordOption = None, ca_cert: CaOption = None, insecure: InsecureOption = False,
) -> None:
    """Put the rules of a deploy backup back into the space, as they were before that deploy."""
    from ..deploy import restore_backup
    from ..kibana import KibanaError

    client = _client_or_exit(kibana_url, space, api_key, username, password, ca_cert, insecure)
    try:
        client.get_space()
        result = restore_backup(client, backup)
    except (KibanaError, ValueError, OSError) as exc:
        _fail(str(exc))
    for error in result.get("errors", []):
        console(stderr=True).print(f"[red]failed[/] {error.get('rule_id')}: {error.get('error', {}).get('message')}")
    console().print(f"restored {result.get('success_count', 0)} of {result.get('rules_count', 0)} rules")
    raise typer.Exit(0 if result.get("success") else 1)


@app.command("export")
def export_rules(
    space: SpaceOption = "default",
    out: Annotated[Path, typer.Option("--out", help="Folder for the rule files.")] = Path("exported-rules"),
    include_managed: Annotated[bool, typer.Option("--include-managed", help="Also export this pack's rules.")] = False,
    kibana_url: UrlOption = None, api_key: ApiKeyOption = None, username: UserOption = None,
    password: PasswordOption = None, ca_cert: CaOption = None, insecure: InsecureOption = False,
) -> None:
    """Write the space's custom rules as TOML files in the pack's format, to adopt rules made in the UI."""
    from ..deploy.export import export_space
    from ..kibana import KibanaError

    client = _client_or_exit(kibana_url, space, api_key, username, password, ca_cert, insecure)
    try:
        written = export_space(client, out, include_managed)
    except KibanaError as exc:
        _fail(str(exc))
    for path in written:
        console().print(f"wrote {path}")
    console().print(f"{len(written)} rules exported; add them to content/rules and run `elastic-pack bump`")


@app.command()
def doctor(
    space: SpaceOption = "default",
    kibana_url: UrlOption = None, api_key: ApiKeyOption = None, username: UserOption = None,
    password: PasswordOption = None, ca_cert: CaOption = None, insecure: InsecureOption = False,
) -> None:
    """Check URL, credentials, privileges, the space and Kibana's version, and say what to fix."""
    from ..deploy.doctor import diagnose

    client = _client_or_exit(kibana_url, space, api_key, username, password, ca_cert, insecure)
    checks = diagnose(client)
    out = console()
    for check in checks:
        out.print(("[green]ok  [/]" if check.ok else "[red]FAIL[/]") + f" {check.name}: {check.detail}")
    raise typer.Exit(0 if all(c.ok for c in checks) else 1)
