"""diff, deploy, restore, export, doctor: the pack against a Kibana space."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, NoReturn, Optional

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
from .options import ContentOption, JsonOption, check_output, console, fail, marked, write_output
from .pack_commands import exit_on_invalid_pack


def _fail(message: str) -> NoReturn:
    fail(message)


def _client_or_exit(*args):
    try:
        return make_client(*args)
    except ValueError as exc:
        _fail(str(exc))


def _plan_or_exit(client, content):
    from ..kibana import KibanaError
    from ..operations import pack_objects

    with exit_on_invalid_pack(marked("[red]error:[/] the pack does not validate; nothing was sent to Kibana")):
        rules, exception_objects = pack_objects(content)
    from ..deploy import plan_space

    try:
        return plan_space(client, rules, exception_objects), exception_objects
    except KibanaError as exc:
        _fail(str(exc))


def show_plan(plan, prune: bool = False, prune_legacy: bool = False) -> None:
    from rich.table import Table
    from rich.text import Text

    from .plan_view import field_diff_lines

    out = console()
    table = Table(title=f"Plan for space {plan.space!r}")
    for column in ("action", "rule", "rule_id", "fields"):
        table.add_column(column)
    style = {"create": "green", "update": "yellow", "replace": "magenta", "unchanged": "dim", "orphan": "red"}
    pruned = {a.rule_id for a in plan.to_prune(prune_legacy)} if prune or prune_legacy else set()
    for action in plan.actions:
        kind = action.kind
        if action.kind == "orphan":
            kind = ("delete" if action.rule_id in pruned else
                    "orphan, old marker (kept; --prune-legacy deletes)" if action.legacy else
                    "orphan (kept; --prune deletes)")
        table.add_row(Text(kind, style=style[action.kind]), action.name, action.rule_id,
                      ", ".join(f for f, _, _ in action.changes))
    out.print(table)
    for action in plan.of("update", "replace"):
        out.print(f"\n{action.name}", style="bold", markup=False, highlight=False)
        for line in field_diff_lines(action.changes):
            out.print(line, markup=False, highlight=False)
    for action in plan.downgrades:
        out.print(f"downgrade: {action.name} would go from version {action.remote.get('version')} in Kibana "
                  f"to {action.desired.get('version')}", style="red", markup=False, highlight=False)
    for change in plan.exception_changes:
        out.print(change, markup=False, highlight=False)
    counts = plan.counts()
    out.print("\n" + ", ".join(f"{n} {k}" for k, n in counts.items())
              + f", {len(plan.exception_changes)} exception list changes")


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
    check_output(out, "--out")
    client = _client_or_exit(kibana_url, space, api_key, username, password, ca_cert, insecure)
    plan, _ = _plan_or_exit(client, content)
    if out:
        text = json.dumps(plan.to_json(), indent=2, default=str) + "\n"
        write_output(out, lambda path: path.write_text(text, encoding="utf-8"), "--out")
    if as_json:
        typer.echo(json.dumps(plan.to_json(), indent=2, default=str))
    else:
        show_plan(plan)
    raise typer.Exit(2 if exit_code and plan.has_changes(prune=True) else 0)


PRUNE_SHARE = 0.5  # --prune deletes at most this share of the space's pack rules without --force


@app.command()
def deploy(
    space: SpaceOption = "default",
    content: ContentOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Apply without asking (for CI).")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan and stop.")] = False,
    prune: Annotated[bool, typer.Option("--prune", help="Delete rules this pack deployed earlier and no longer "
                                                        "has (only those: by the pack's tag, from pack.toml's "
                                                        "id).")] = False,
    prune_legacy: Annotated[bool, typer.Option("--prune-legacy", help="With --prune, also delete rules marked "
                                               "only 'Managed: elastic-pack' (deployed before packs had ids, or "
                                               "by a pack without pack.toml) that the pack does not have. Another "
                                               "pack's such rules look the same: use it when this is the space's "
                                               "only pack.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Let --prune delete more than half of the space's pack "
                                                        "rules.")] = False,
    allow_downgrade: Annotated[bool, typer.Option("--allow-downgrade", help="Deploy rules whose version is "
                                                  "older than the space's.")] = False,
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
    Ctrl-C finishes the step in flight, then stops and says what was and was not done.
    Rules run with the API key of whoever deployed them last: deploy with a key meant for that.
    """
    from ..deploy import apply_plan, deferred_interrupt
    from ..kibana import KibanaError

    client = _client_or_exit(kibana_url, space, api_key, username, password, ca_cert, insecure)
    plan, exception_objects = _plan_or_exit(client, content)
    if saved_plan is not None:
        _check_saved_plan(saved_plan, plan)
    prune = prune or prune_legacy
    if not as_json:
        show_plan(plan, prune, prune_legacy)
    if plan.downgrades and not allow_downgrade:
        _fail(f"{len(plan.downgrades)} rule(s) would go back to an older version than the space has; deploy "
              "the newer pack, or pass --allow-downgrade")
    if prune:
        _check_prune(plan, force, prune_legacy)
    if not plan.has_changes(prune, prune_legacy):
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
    err = console(stderr=True)
    progress = (lambda text: err.print(text, markup=False, highlight=False)) if err.is_terminal else None
    try:
        with deferred_interrupt() as stop:
            result = apply_plan(client, plan, exception_objects, backup_dir, prune=prune, enable_new=enable,
                                stop=stop, progress=progress, prune_legacy=prune_legacy)
    except (KibanaError, ValueError, OSError) as exc:
        _fail(str(exc))
    _report(result, as_json, plan)
    raise typer.Exit(130 if result.interrupted else 0 if result.ok else 1)


def _check_prune(plan, force: bool, legacy: bool = False) -> None:
    """--prune never empties a space by accident: not from an empty pack, not most of it without --force."""
    orphans = plan.to_prune(legacy)
    if not [a for a in plan.actions if a.kind != "orphan"]:
        _fail("the pack has no rules: --prune would delete every pack rule in the space; nothing was sent")
    deployed = len(orphans) + len([a for a in plan.actions if a.remote is not None and a.kind != "orphan"])
    if orphans and len(orphans) > PRUNE_SHARE * deployed and not force:
        _fail(f"--prune would delete {len(orphans)} of the {deployed} pack rules in space {plan.space!r} (more "
              f"than {PRUNE_SHARE:.0%}); is --content the right pack? Pass --force if it is")


def _check_saved_plan(path: Path, plan) -> None:
    """A reviewed plan is applied only if computing it again gives the same plan on the same space."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        _fail(f"cannot read plan {path}: {exc}")
    if not isinstance(saved, dict) or not isinstance(saved.get("rules"), list):
        _fail(f"{path} is not a plan written by `elastic-pack diff --out`")
    current = json.loads(json.dumps(plan.to_json(), default=str))
    if saved.get("space") != plan.space:
        _fail(f"plan {path} is for space {saved.get('space')!r}, not {plan.space!r}")
    if saved.get("remote_fingerprint") != current["remote_fingerprint"]:
        _fail(f"the space changed since {path} was made: run `elastic-pack diff --out` again and review it")
    if saved.get("rules") != current["rules"] or saved.get("exception_changes", []) != current["exception_changes"]:
        _fail(f"the pack changed since {path} was made: run `elastic-pack diff --out` again and review it")


def _report(result, as_json: bool, plan) -> None:
    if as_json:
        typer.echo(json.dumps({"plan": plan.to_json(), "result": result.to_json()}, indent=2, default=str))
        return
    out, err = console(), console(stderr=True)
    if result.backup:
        out.print(f"backup of the rules as they were: {result.backup}", markup=False, highlight=False)
        out.print(f"  to put them back: elastic-pack restore {result.backup} --space {result.space}",
                  markup=False, highlight=False)
    out.print(f"created {len(result.created)}, updated {len(result.updated)}, replaced {len(result.replaced)}, "
              f"deleted {len(result.deleted)}, failed {len(result.failed)}, not applied {len(result.not_applied)}")
    for rule_id, reason in result.failed.items():
        err.print(f"failed {rule_id}: {reason}", markup=False, highlight=False)
    if result.interrupted:
        err.print(f"interrupted: the step in flight was finished; not applied: {', '.join(result.not_applied)}. "
                  "Run the same deploy again to finish.", markup=False, highlight=False)
    elif result.failed:
        err.print("the rules not listed as failed were applied; run the same deploy again to converge")


@app.command()
def restore(
    backup: Annotated[Path, typer.Argument(help="A backup file written by deploy.")],
    space: Annotated[Optional[str], typer.Option("--space", help="The space to restore into (default: the one the "
                                                 "backup came from).")] = None,
    keep_created: Annotated[bool, typer.Option("--keep-created", help="Keep the rules the deploy created "
                                               "(default: delete them).")] = False,
    as_json: JsonOption = False,
    kibana_url: UrlOption = None, api_key: ApiKeyOption = None, username: UserOption = None,
    password: PasswordOption = None, ca_cert: CaOption = None, insecure: InsecureOption = False,
) -> None:
    """Put a space back as it was before a deploy: its changed and deleted rules, without the rules it created.

    Exception lists and items the deploy created stay (they are harmless without the rules)."""
    from ..deploy import read_backup_meta, restore_backup
    from ..kibana import KibanaError

    try:
        meta = read_backup_meta(backup)
    except ValueError as exc:
        _fail(str(exc))
    target = space or meta.get("space") or "default"
    client = _client_or_exit(kibana_url, target, api_key, username, password, ca_cert, insecure)
    try:
        client.get_space()
        result = restore_backup(client, backup, remove_created=not keep_created)
    except (KibanaError, ValueError, OSError) as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps({"space": target, "restored": result.get("success_count", 0),
                               "rules": result.get("rules_count", 0), "removed": result.get("removed", []),
                               "errors": result.get("errors", [])}, indent=2))
        raise typer.Exit(0 if result.get("success") else 1)
    for error in result.get("errors", []):
        console(stderr=True).print(f"failed {error.get('rule_id')}: {(error.get('error') or {}).get('message')}",
                                   markup=False, highlight=False)
    console().print(f"restored {result.get('success_count', 0)} of {result.get('rules_count', 0)} rules into space "
                    f"{target!r}; removed {len(result.get('removed', []))} rules the deploy created",
                    markup=False, highlight=False)
    raise typer.Exit(0 if result.get("success") else 1)


@app.command("export")
def export_rules(
    space: SpaceOption = "default",
    out: Annotated[Path, typer.Option("--out", help="Folder for the rule files.")] = Path("exported-rules"),
    include_managed: Annotated[bool, typer.Option("--include-managed", help="Also export this pack's rules.")] = False,
    as_json: JsonOption = False,
    kibana_url: UrlOption = None, api_key: ApiKeyOption = None, username: UserOption = None,
    password: PasswordOption = None, ca_cert: CaOption = None, insecure: InsecureOption = False,
) -> None:
    """Write the space's custom rules as TOML files in the pack's format, to adopt rules made in the UI."""
    from ..deploy.export import export_space
    from ..kibana import KibanaError

    check_output(out, "--out", folder=True)
    client = _client_or_exit(kibana_url, space, api_key, username, password, ca_cert, insecure)
    try:
        written, skipped = export_space(client, out, include_managed)
    except (KibanaError, OSError) as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps({"written": [str(p) for p in written], "not_overwritten": [str(p) for p in skipped]},
                              indent=2))
        raise typer.Exit(1 if skipped else 0)
    for path in written:
        console().print(f"wrote {path}", markup=False, highlight=False)
    for path in skipped:
        console(stderr=True).print(f"not overwritten (already there): {path}", markup=False, highlight=False)
    console().print(f"{len(written)} rules exported, {len(skipped)} left as they were; add them to content/rules "
                    "and run `elastic-pack bump`")
    raise typer.Exit(1 if skipped else 0)


@app.command()
def doctor(
    space: SpaceOption = "default",
    as_json: JsonOption = False,
    kibana_url: UrlOption = None, api_key: ApiKeyOption = None, username: UserOption = None,
    password: PasswordOption = None, ca_cert: CaOption = None, insecure: InsecureOption = False,
) -> None:
    """Check URL, credentials, privileges, the space and Kibana's version, and say what to fix."""
    from ..deploy.doctor import diagnose

    client = _client_or_exit(kibana_url, space, api_key, username, password, ca_cert, insecure)
    checks = diagnose(client)
    if as_json:
        typer.echo(json.dumps([{"check": c.name, "ok": c.ok, "detail": c.detail} for c in checks], indent=2))
        raise typer.Exit(0 if all(c.ok for c in checks) else 1)
    out = console()
    for check in checks:
        out.print(marked("[green]ok  [/]" if check.ok else "[red]FAIL[/]", f" {check.name}: {check.detail}"))
    raise typer.Exit(0 if all(c.ok for c in checks) else 1)
