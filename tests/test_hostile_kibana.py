"""Issue 25, deadlines: a server on 127.0.0.1 that asks for a day's pause, trickles its answer a byte at a
time, never answers or pages for ever. Every call ends in bounded time with one clear error, and so does
every command. The server runs in a daemon thread, stops itself when the test ends, and never waits longer
than its stop signal lets it."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from typer.testing import CliRunner

from elastic_pack.cli import app
from elastic_pack.kibana import KibanaClient, KibanaConfig, KibanaServerError, KibanaUnexpectedAnswer, KibanaUnreachable

runner = CliRunner()


class Hostile:
    """One behaviour for every request: a function (handler, stop event) -> None."""

    def __init__(self, behaviour):
        self.behaviour = behaviour
        self.stop = threading.Event()
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802
                outer.requests.append(self.path)
                try:
                    outer.behaviour(self, outer.stop)
                except OSError:  # the client gave up and shut the connection: that is the point
                    pass

            do_POST = do_PUT = do_DELETE = do_GET

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hostile(monkeypatch):
    servers = []

    def start(behaviour, **limits):
        from elastic_pack.cli import kibana_options

        server = Hostile(behaviour)
        servers.append(server)
        monkeypatch.setattr(kibana_options, "client_settings", limits)
        monkeypatch.setenv("KIBANA_URL", server.url)
        monkeypatch.setenv("ELASTIC_API_KEY", "k")
        return server

    yield start
    for server in servers:
        server.close()


def _json(handler, status, body, headers=()):
    data = json.dumps(body).encode()
    handler.send_response(status)
    for name, value in headers:
        handler.send_header(name, value)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def retry_after_a_day(handler, stop):
    _json(handler, 503, {"message": "busy"}, [("Retry-After", "86400")])


def trickle_body(handler, stop):
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    while not stop.wait(5):
        handler.wfile.write(b" ")
        handler.wfile.flush()


def trickle_headers(handler, stop):
    for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n":
        if stop.wait(5):
            return
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()


def never_answer(handler, stop):
    stop.wait(60)


def endless_pages(handler, stop):
    rules = [{"rule_id": f"r{i}", "id": f"o{i}", "name": f"rule {i}"} for i in range(10)]
    if "/api/status" in handler.path:
        _json(handler, 200, {"version": {"number": "9.2.0"}})
    elif "/api/spaces/space/" in handler.path:
        _json(handler, 200, {"id": "default"})
    elif "_find" in handler.path:
        _json(handler, 200, {"page": 1, "per_page": 10, "total": 10**9, "data": rules})
    else:
        _json(handler, 200, {})


def test_retry_after_is_capped(hostile):
    server = hostile(retry_after_a_day)
    pauses: list[float] = []
    client = KibanaClient(KibanaConfig.from_env(url=server.url, env={}), sleep=pauses.append)
    with pytest.raises(KibanaServerError):
        client.status()
    assert len(pauses) == client.config.retries and max(pauses) <= client.config.max_retry_after <= 5


def test_retry_after_never_outlasts_the_calls_deadline(hostile):
    server = hostile(retry_after_a_day)
    client = KibanaClient(KibanaConfig.from_env(url=server.url, env={}, max_retry_after=1.0, call_deadline=1.5))
    started = time.monotonic()
    with pytest.raises(KibanaServerError):
        client.status()
    assert time.monotonic() - started < 3.5 and len(server.requests) == 2  # the third pause would pass 1.5 s


@pytest.mark.parametrize("behaviour", [trickle_body, trickle_headers], ids=["body", "headers"])
def test_an_answer_trickling_a_byte_every_5_s_hits_the_calls_deadline(hostile, behaviour):
    server = hostile(behaviour)
    client = KibanaClient(KibanaConfig.from_env(url=server.url, env={}, call_deadline=1.0))
    started = time.monotonic()
    with pytest.raises(KibanaUnreachable, match=r"did not finish GET /api/status in time \(1 s"):
        client.status()
    assert time.monotonic() - started < 3  # not the 5 s the next byte would take, let alone 1,000 bytes' worth


def test_every_call_of_a_command_shares_one_deadline(hostile):
    server = hostile(never_answer)
    client = KibanaClient(KibanaConfig.from_env(url=server.url, env={}, timeout=5, call_deadline=5, deadline=1.0))
    started = time.monotonic()
    with pytest.raises(KibanaUnreachable, match="this command allows"):
        client.status()
    with pytest.raises(KibanaUnreachable, match="this command allows"):
        client.privileges()
    assert time.monotonic() - started < 3


def test_a_read_timeout_is_not_multiplied_by_the_retries(hostile):
    server = hostile(never_answer)
    client = KibanaClient(KibanaConfig.from_env(url=server.url, env={}, timeout=0.5, retries=3))
    started = time.monotonic()
    with pytest.raises(KibanaUnreachable, match="did not answer GET /api/status within 0.5 s"):
        client.status()
    assert time.monotonic() - started < 2.5 and len(server.requests) == 1


def test_paging_stops_at_kibanas_result_window(hostile):
    server = hostile(endless_pages)
    client = KibanaClient(KibanaConfig.from_env(url=server.url, env={}))
    with pytest.raises(KibanaUnexpectedAnswer, match="reports 1,000,000,000 rules"):
        list(client.find_rules(per_page=10))
    assert len(server.requests) == 1


def test_paging_stops_at_the_total_of_the_first_page(hostile):
    def growing(handler, stop):  # full pages for ever, and a total that grows with each one
        page = len(server.requests)
        _json(handler, 200, {"total": 25 * page, "data": [{"rule_id": f"r{page}-{i}", "id": f"o{page}-{i}"}
                                                         for i in range(10)]})

    server = hostile(growing)
    client = KibanaClient(KibanaConfig.from_env(url=server.url, env={}))
    assert len(list(client.find_rules(per_page=10))) == 30 and len(server.requests) == 3


@pytest.mark.parametrize("behaviour", [retry_after_a_day, trickle_body, trickle_headers, endless_pages],
                         ids=["retry-after", "trickle-body", "trickle-headers", "endless-pages"])
@pytest.mark.parametrize("command", [["doctor"], ["diff"], ["deploy", "--yes"]])
def test_commands_end_with_one_line_in_bounded_time(hostile, behaviour, command, tmp_path):
    if behaviour is endless_pages and command == ["doctor"]:
        pytest.skip("doctor reads no pages")
    hostile(behaviour, call_deadline=1.0, deadline=2.0, max_retry_after=0.2)
    started = time.monotonic()
    result = runner.invoke(app, [*command, "--backup-dir", str(tmp_path)] if "deploy" in command else command)
    assert time.monotonic() - started < 5
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    failures = [line for line in result.output.splitlines() if line.startswith(("error:", "FAIL"))]
    assert len(failures) == 1, result.output


def test_an_answer_nested_thousands_of_levels_deep_is_one_line(hostile):
    def deep(handler, stop):
        data = b"[" * 100_000 + b"]" * 100_000
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    server = hostile(deep)
    client = KibanaClient(KibanaConfig.from_env(url=server.url, env={}))
    with pytest.raises(KibanaUnexpectedAnswer, match="not JSON"):
        client.status()
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 1 and "not JSON" in result.stdout and result.exception is None or \
        isinstance(result.exception, SystemExit)


def test_a_short_password_does_not_break_every_answer(hostile):
    server = hostile(endless_pages)
    client = KibanaClient(KibanaConfig.from_env(url=server.url, env={}, username="u", password="a"))
    assert client.status()["version"]["number"] == "9.2.0"
    assert client.config.redact("a secret") == "*** secret"  # messages still hide it


@pytest.mark.parametrize("space", ["x/../default", "Soc", "a b", "", "s?x=1"])
def test_a_space_that_is_not_a_space_id_is_refused_before_any_request(kibana, space):
    result = runner.invoke(app, ["diff", "--space", space])
    assert result.exit_code == 1 and "not a Kibana space id" in result.stderr and kibana.log == []
