"""The `elastic-pack` command line: thin commands over the library.

Only typer is imported at start-up; each command imports what it needs, so `--help` stays fast.
"""

from __future__ import annotations

import typer

from .coercion import install as _install_coercion

_install_coercion()  # text and paths without pydantic (see coercion.py)

app = typer.Typer(
    name="elastic-pack",
    help="Elastic Security content pack for cloud resource hijacking (T1496): validate, build, test, deploy.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rendering it with rich costs more than the rest of --help together
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"elastic-pack {version('elastic-pack')}")
        except PackageNotFoundError:
            typer.echo("elastic-pack (not installed)")
        raise typer.Exit(0)


@app.callback()
def _options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Elastic Security content pack for cloud resource hijacking (T1496): validate, build, test, deploy."""


from . import (  # noqa: E402,F401  (registers commands)
    engine_commands,
    explain_command,
    kibana_commands,
    pack_commands,
    query_command,
    standin_command,
)


def main() -> None:
    app()
