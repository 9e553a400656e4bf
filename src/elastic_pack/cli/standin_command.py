"""standin: the in-process Kibana stand-in over HTTP, to try diff and deploy without a Kibana."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from . import app
from .options import console, fail


@app.command()
def standin(
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port on 127.0.0.1 (0: any free port).")] = 5601,
    api_key: Annotated[str, typer.Option("--api-key", help="The API key it accepts (give it to the other commands "
                                         "as $ELASTIC_API_KEY).")] = "standin-api-key",
    space: Annotated[Optional[list[str]], typer.Option("--space", help="Also create this space (repeatable); "
                                                       "'default' always exists.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="Do not print a line per request.")] = False,
    kibana_openapi: Annotated[Optional[Path], typer.Option(
        "--kibana-openapi", help="Also answer 400, as Kibana would, to rule bodies its OpenAPI schemas in this "
        "folder reject (as `validate --kibana-openapi` takes it).", show_default=False)] = None,
) -> None:
    """Serve the in-process Kibana stand-in on 127.0.0.1 until Ctrl-C, to try diff, deploy and doctor without a
    Kibana: rules and exception lists live in memory and are forgotten when it stops."""
    import signal

    from ..testing.http_standin import StandInServer

    err = console(stderr=True)

    def report(method: str, path: str, status: int) -> None:
        err.print(f"{method} {path} -> {status}")

    openapi = None
    if kibana_openapi is not None:
        from ..openapi import load_openapi

        try:
            openapi = load_openapi(str(kibana_openapi))
        except (OSError, ValueError) as exc:
            fail(f"--kibana-openapi: {exc}", 2)
    try:
        server = StandInServer(port, api_key, tuple(space or ()), on_request=None if quiet else report,
                               openapi=openapi)
    except OSError as exc:
        fail(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}")

    def stop(signum, frame):  # Ctrl-C, and SIGTERM: also when started in the background, where SIGINT is ignored
        raise KeyboardInterrupt

    try:  # the handlers before the banner: whoever reads it may stop the server at once
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        out = console()
        out.print(f"Kibana stand-in at {server.url} (in memory; Ctrl-C stops it). In another shell:")
        out.print(f"  export KIBANA_URL={server.url} ELASTIC_API_KEY={api_key}")
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
    err.print("stopped")
