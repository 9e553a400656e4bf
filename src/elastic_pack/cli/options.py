"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

ContentOption = Annotated[
    Optional[Path],
    typer.Option(
        "--content",
        help="Pack folder (with rules/). Default: $ELASTIC_PACK_CONTENT, else the pack shipped with elastic-pack.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)
