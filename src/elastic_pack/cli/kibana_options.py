"""Options for commands that talk to Kibana, and how they become a client."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

UrlOption = Annotated[Optional[str], typer.Option("--kibana-url", help="Kibana URL. Default: $KIBANA_URL.",
                                                   show_default=False)]
SpaceOption = Annotated[str, typer.Option("--space", help="Kibana space id.")]
ApiKeyOption = Annotated[Optional[str], typer.Option(
    "--api-key", help="API key. Prefer $ELASTIC_API_KEY: options end up in shell history.", show_default=False)]
UserOption = Annotated[Optional[str], typer.Option("--username", help="Default: $ELASTIC_USERNAME.",
                                                    show_default=False)]
PasswordOption = Annotated[Optional[str], typer.Option("--password", help="Default: $ELASTIC_PASSWORD.",
                                                        show_default=False)]
CaOption = Annotated[Optional[Path], typer.Option("--ca-cert", help="CA bundle for Kibana's TLS certificate. "
                                                  "Default: $KIBANA_CA_CERT.", show_default=False)]
InsecureOption = Annotated[bool, typer.Option("--insecure", help="Do not verify Kibana's TLS certificate (labs only).")]

# Tests replace this to put an in-process Kibana behind the client, and settings to shorten its limits.
session_factory = None
client_settings: dict = {}


def make_client(url, space, api_key, username, password, ca_cert, insecure):
    from ..kibana import KibanaClient, KibanaConfig

    config = KibanaConfig.from_env(url=url, space=space, api_key=api_key, username=username, password=password,
                                   ca_cert=str(ca_cert) if ca_cert else None, insecure=insecure, **client_settings)
    session = session_factory() if session_factory else None
    return KibanaClient(config, session=session)
