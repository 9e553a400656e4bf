"""The `elastic-pack` command line: thin commands over the library.

Only typer is imported at start-up; each command imports what it needs, so `--help` stays fast.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="elastic-pack",
    help="Elastic Security content pack for cloud resource hijacking (T1496): validate, build, test, deploy.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

from . import engine_commands, kibana_commands, pack_commands  # noqa: E402,F401  (registers commands)


def main() -> None:
    app()
