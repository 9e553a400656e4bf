"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer

ContentOption = Annotated[
    Optional[Path],
    typer.Option(
        "--content",
        help="Pack folder (with rules/). Default: $ELASTIC_PACK_CONTENT, else the pack this folder is in (or its "
             "content/), searching upwards, "
             "else the pack shipped with elastic-pack.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
MappingOption = Annotated[
    Optional[Path],
    typer.Option(
        "--mapping",
        help="The searched indices' mapping, which every query answers by: a GET _mapping response, an index, "
             "component or composable template (or a GET _index_template / _component_template response), or "
             "{\"field\": \"type\"}. Default: the field catalogue (ECS and the integrations' fields) and "
             "docker/index-templates.",
        show_default=False,
    ),
]


def load_mapping_option(path: Path | None):
    """The Mapping of a --mapping file (None: the default); exit 2 with one line when it cannot be used."""
    if path is None:
        return None
    from ..mapping import Mapping

    try:
        return Mapping.load(path)
    except ValueError as exc:
        fail(f"--mapping: {exc}", 2)


def console(stderr: bool = False):
    """Rich output; off a terminal tables are wide enough never to cut an ARN or a rule name.

    Markup is off: every string printed, in a table cell or a title too, is shown as it is, so an ARN
    `user/[/evil]` or a rule named `[b]admin` never becomes markup. Styles come from `marked` or Text."""
    from rich.console import Console

    probe = Console(stderr=stderr)
    width = None if probe.is_terminal else 400
    return Console(stderr=stderr, highlight=False, soft_wrap=True, width=width, markup=False)


def marked(markup: str, *plain: object):
    """Our own markup (a constant, never data) followed by values shown exactly as they are."""
    from rich.text import Text

    text = Text.from_markup(markup)
    for part in plain:
        text.append(str(part))
    return text


def pack_location(content: Path | None) -> str:
    from ..content.loader import default_content_dir

    return str(content if content is not None else default_content_dir())


def output_problem(path: Path, folder: bool = False) -> str | None:
    """Why `path` cannot take a command's output (a file, or with `folder` a folder), or None.

    One rule for every command, checked before the work starts: missing parent folders are created when the
    output is written; a file where a folder has to be (`README.md/x`), a folder where the file has to be, or
    a place this user may not write is refused."""
    import os

    if folder and path.exists() and not path.is_dir():
        return f"{path} is a file, not a folder"
    if not folder and path.is_dir():
        return f"{path} is a folder; give a file name"
    if path.exists() and not os.access(path, os.W_OK):
        return f"{path} is not writable"
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                return f"{parent} is a file, not a folder"
            if not os.access(parent, os.W_OK | os.X_OK):
                return f"cannot write into {parent}"
            break
    return None


def check_output(path: Path | None, option: str, folder: bool = False) -> None:
    """Exit 2 with one line when `path` (given with `option`) cannot take the output (see output_problem)."""
    problem = None if path is None else output_problem(path, folder)
    if problem is not None:
        fail(f"{option}: {problem}", 2)


def write_output(path: Path, write, option: str) -> None:
    """write(path) after creating its parent folders; an OSError (a full disk, a race) is one line, exit 1."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path)
    except OSError as exc:
        fail(f"{option}: cannot write {path}: {exc.strerror or exc}")


def devices(paths) -> list[Path]:
    """The paths that are devices (/dev/zero, /dev/urandom): inputs that never end or are not files. Pipes and
    process substitution (<(zcat x.gz)) end when their writer does and are read as files."""
    import stat

    found = []
    for path in paths:
        try:
            mode = Path(path).stat().st_mode
        except OSError:
            continue
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            found.append(Path(path))
    return found


def json_requested() -> bool:
    """The running command was given --json (it then prints exactly one JSON document on stdout, errors too)."""
    import importlib

    for name in ("click", "typer._click.globals"):  # typer uses click, or (0.2x) a copy of it of its own
        try:
            context = importlib.import_module(name).get_current_context(silent=True)
        except (ImportError, AttributeError):
            continue
        return bool(context is not None and context.params.get("as_json"))
    return False


def fail(message: object, code: int = 1) -> NoReturn:
    """End the command: one error line on stderr and, under --json, {"error": ...} as the document on stdout."""
    console(stderr=True).print(marked("[red]error:[/] ", message))
    if json_requested():
        import json

        typer.echo(json.dumps({"error": str(message)}))
    raise typer.Exit(code)
