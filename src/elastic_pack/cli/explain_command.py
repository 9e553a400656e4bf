"""explain: why one rule alerted or did not on local events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import app
from .engine_commands import _WARM_UP_HELP, _warm_up_seconds
from .options import ContentOption, JsonOption, MappingOption, console, devices, fail, load_mapping_option
from .pack_commands import exit_on_invalid_pack


@app.command()
def explain(
    rule: Annotated[str, typer.Argument(help="The rule's rule_id, or its file name in rules/ (without .toml).")],
    events: Annotated[list[Path], typer.Option("--events", help="ECS events: ndjson, a JSON array or a search "
                                               "response (.gz accepted); repeat for several files.")],
    at: Annotated[Optional[str], typer.Option("--at", help="Explain the scheduled run at or after this time "
                                              "(ISO 8601; runs start at the first event, every interval).")] = None,
    content: ContentOption = None,
    as_json: JsonOption = False,
    warm_up: Annotated[Optional[str], typer.Option("--warm-up", help=_WARM_UP_HELP)] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on the first bad line instead of skipping "
                                         "it.")] = False,
    mapping: MappingOption = None,
) -> None:
    """Say why a rule alerted or did not on events from files: what the query let through, threshold counts,
    sequence progress, new terms' history, ES|QL rows per command, exceptions and suppression."""
    from ..engine.events import parse_time
    from ..errors import InputError, NotRunnable
    from ..explain import explain as run_explain, render_text

    warm = _warm_up_seconds(warm_up, console(stderr=True))
    indices = load_mapping_option(mapping)
    if devices(events):
        fail(f"--events: not a file but a device: {', '.join(map(str, devices(events)))}")
    if at is not None:
        try:
            parse_time(at)
        except ValueError as exc:
            fail(f"--at: {exc}", 2)
    try:
        with exit_on_invalid_pack():
            result = run_explain(rule, events, content, at, warm, strict, indices)
    except LookupError as exc:
        fail(exc.args[0] if exc.args else exc, 2)
    except (InputError, NotRunnable, ValueError) as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(result, indent=2, default=str))
        return
    out = console()
    for line in render_text(result):
        out.print(line)
