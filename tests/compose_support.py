"""Running docker/docker-compose.yml's shell commands here, without Docker: compose's interpolation, a fake
HTTP endpoint on 127.0.0.1 and stub programs on PATH that log their arguments."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

# compose's interpolation: `$$` is a literal `$`; `${VAR}`, `$VAR`, `${VAR:-default}` (unset or empty),
# `${VAR-default}` (unset), `${VAR:?message}` / `${VAR?message}` (error). Anything else after a `$` is an
# error in compose too, so the file cannot use a form this does not implement.
_TOKEN = re.compile(r"\$(?:(?P<dollar>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
                    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*))")


class InterpolationError(ValueError):
    pass


def interpolate(value: str, env: dict[str, str]) -> str:
    out, pos = [], 0
    for match in _TOKEN.finditer(value):
        between = value[pos:match.start()]
        if "$" in between:
            raise InterpolationError(f"invalid interpolation at {between[between.index('$'):][:20]!r}")
        out.append(between)
        pos = match.end()
        if match["dollar"]:
            out.append("$")
            continue
        name = match["braced"] or match["named"]
        op, arg = match["op"], match["arg"]
        current = env.get(name)
        missing = current is None or (current == "" and op is not None and op.startswith(":"))
        if op in (":-", "-"):
            out.append(arg if missing else current)
        elif op in (":?", "?"):
            if missing:
                raise InterpolationError(f"required variable {name} is missing: {arg}")
            out.append(current)
        else:
            out.append(current or "")
    rest = value[pos:]
    if "$" in rest:
        raise InterpolationError(f"invalid interpolation at {rest[rest.index('$'):][:20]!r}")
    out.append(rest)
    return "".join(out)


def interpolated(node, env: dict[str, str]):
    """The compose document with every string value interpolated (keys are left as they are, as compose does)."""
    if isinstance(node, dict):
        return {k: interpolated(v, env) for k, v in node.items()}
    if isinstance(node, list):
        return [interpolated(v, env) for v in node]
    if isinstance(node, str):
        return interpolate(node, env)
    return node


def container_env(service: dict) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {str(k): "" if v is None else str(v) for k, v in environment.items()}


def command_argv(service: dict) -> list[str]:
    """The service's command as the container gets it (a list here; a string would be split by compose)."""
    command = service["command"]
    assert isinstance(command, list), "a list command is passed to the container exactly as written"
    return [str(part) for part in command]


def healthcheck_shell(service: dict) -> str:
    test = service["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL" and len(test) == 2, test
    return test[1]


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeEndpoint:
    """An HTTP server on 127.0.0.1 that records every request and answers with `respond(request)` ->
    (status, body)."""

    respond: Callable[[Recorded], tuple[int, bytes]]
    headers: dict[str, str] = field(default_factory=dict)  # sent with every answer
    requests: list[Recorded] = field(default_factory=list)

    def __enter__(self) -> "FakeEndpoint":
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                recorded = Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                                    self.rfile.read(length))
                endpoint.requests.append(recorded)
                status, body = endpoint.respond(recorded)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in endpoint.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _handle

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def dead_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SilentListener:
    """Accepts connections on 127.0.0.1 and never answers: a hung Elasticsearch or Kibana."""

    def __enter__(self) -> "SilentListener":
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.port = self.socket.getsockname()[1]
        return self

    def __exit__(self, *exc) -> None:
        self.socket.close()


def stub_programs(directory: Path, exits: dict[str, int]) -> Path:
    """Shell scripts named after each program that append their argv (unit-separated, one call a line) to
    directory/calls.log and exit with the given code. Returns the log's path."""
    log = directory / "calls.log"
    for name, code in exits.items():
        script = directory / name
        script.write_text(f"#!/bin/sh\nprintf '%s\\037' {name} \"$@\" >> '{log}'\necho >> '{log}'\nexit {code}\n")
        script.chmod(0o755)
    return log


def stub_calls(log: Path) -> list[list[str]]:
    if not log.exists():
        return []
    return [line.rstrip("\x1f").split("\x1f") for line in log.read_text().splitlines()]


def run(argv: list[str], env: dict[str, str], path_first: Path | None = None, timeout: float = 60):
    """Run argv with only `env` (plus PATH), the way the container would, on this machine's bash/sh/curl."""
    full = dict(env)
    full["PATH"] = (f"{path_first}{os.pathsep}" if path_first else "") + os.environ.get("PATH", "/usr/bin:/bin")
    return subprocess.run(argv, env=full, capture_output=True, text=True, timeout=timeout)


def start(argv: list[str], env: dict[str, str]) -> subprocess.Popen:
    """As run, without waiting: stdout and stderr as text pipes."""
    full = dict(env)
    full["PATH"] = os.environ.get("PATH", "/usr/bin:/bin")
    return subprocess.Popen(argv, env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def option_value(argv: list[str], option: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg == option and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(option + "="):
            return arg.split("=", 1)[1]
    return None
