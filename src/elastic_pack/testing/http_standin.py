"""The in-process Kibana stand-in served over HTTP on loopback, to try `diff`, `deploy` and `doctor` without
a Kibana (`elastic-pack standin`).

Every request is handed to StandInKibana.handle exactly as the in-process adapter hands it (one at a time:
the stand-in keeps its rules in memory and is not thread-safe). Bounded: it listens on 127.0.0.1 only, a
request body over `max_body` bytes is refused with 413 before it is read, a client that stops sending is
dropped after `timeout` seconds, at most MAX_CONNECTIONS are served at once, and everything is forgotten when
it stops.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from .kibana_standin import RawAnswer, StandInKibana

HOST = "127.0.0.1"
MAX_CONNECTIONS = 32  # served at once; the next ones wait to be accepted (one thread each)
MAX_BODY = 64 * 1024 * 1024  # deploy's _import chunks stay under Kibana's ~10 MB; room for a hand-made request
TIMEOUT = 30.0


class StandInServer:
    """An HTTP server on 127.0.0.1:`port` (0: a free port) in front of one StandInKibana."""

    def __init__(self, port: int = 5601, api_key: str = "standin-api-key", spaces: tuple[str, ...] = (),
                 max_body: int = MAX_BODY, timeout: float = TIMEOUT, on_request=None, openapi=None):
        self._lock = threading.Lock()
        self.on_request = on_request  # called with (method, path, status) after each answer
        handler = _handler(self, max_body, timeout)
        self.httpd = _BoundedServer((HOST, port), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://{HOST}:{self.port}"
        self.kibana = StandInKibana(url=self.url, api_key=api_key, openapi=openapi)  # openapi: 400 as Kibana would
        for space in spaces:
            self.kibana.add_space(space)

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, object]:
        prepared = requests.Request(method, self.url + path, headers=headers, data=body or None).prepare()
        with self._lock:
            try:
                return self.kibana.handle(prepared)
            except Exception as exc:  # noqa: BLE001  (a bug in the stand-in answers 500, as a server would)
                return 500, {"statusCode": 500, "error": "Internal Server Error", "message": str(exc)}

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.2)

    def start(self) -> "StandInServer":
        """Serve in a background thread (tests); stop() ends it."""
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _BoundedServer(ThreadingHTTPServer):
    """A thread per connection, MAX_CONNECTIONS at most: accepting waits while that many are being served."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def process_request(self, request, client_address):
        self._slots.acquire()
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


def _handler(server: StandInServer, max_body: int, idle: float) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = idle  # the socket's: a client that stops sending is dropped

        def _serve(self) -> None:
            length = self.headers.get("Content-Length")
            try:
                size = int(length) if length else 0
            except ValueError:
                size = -1
            if size < 0 or size > max_body or self.headers.get("Transfer-Encoding"):
                self.close_connection = True
                return self._send(413 if size > max_body else 400,
                                  {"statusCode": 413 if size > max_body else 400,
                                   "message": f"a body of at most {max_body} bytes, with a Content-Length"})
            body = self.rfile.read(size) if size else b""
            headers = {name: value for name, value in self.headers.items()
                       if name.lower() not in ("host", "content-length", "connection")}
            status, answer = server.answer(self.command, self.path, headers, body)
            self._send(status, answer)
            if server.on_request is not None:
                server.on_request(self.command, self.path, status)

        def _send(self, status: int, answer: object) -> None:
            if isinstance(answer, RawAnswer):
                payload, kind = answer.encode(), "text/html; charset=utf-8"
            else:
                payload, kind = json.dumps(answer).encode(), "application/json"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002  (the base class's name)
            pass  # requests are reported through on_request

    return Handler
