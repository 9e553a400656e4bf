"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

ContentOption = Annotated[
    Optional[Path],
    typer.Option(
        "--content",
        help="Pack folder (with rules/). Default: $ELASTIC_PACK_CONTENT, else ./content in a pack checkout, "
             "else the pack shipped with elastic-pack.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


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
