"""`elastic-pack standin`: the Kibana stand-in over real HTTP on loopback, driven by the real client."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest
import requests
from typer.testing import CliRunner

from elastic_pack.cli import app

runner = CliRunner()
CLI = [sys.executable, "-c", "from elastic_pack.cli import main; main()"]


@pytest.fixture
def standin(monkeypatch):
    """`elastic-pack standin --port 0` in its own process; yields its URL; stopped with Ctrl-C (SIGINT)."""
    process = subprocess.Popen([*CLI, "standin", "--port", "0", "--api-key", "k-123", "--space", "soc"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline()  # "Kibana stand-in at http://127.0.0.1:PORT (...)"
        url = first.split(" at ", 1)[1].split(" ", 1)[0]
        assert url.startswith("http://127.0.0.1:")
        monkeypatch.setenv("KIBANA_URL", url)
        monkeypatch.setenv("ELASTIC_API_KEY", "k-123")
        yield url, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                raise


def test_deploy_through_http_then_nothing_left_to_change(standin, tmp_path):
    url, process = standin
    assert runner.invoke(app, ["doctor", "--space", "soc"]).exit_code == 0
    plan = tmp_path / "plan.json"
    diff = runner.invoke(app, ["diff", "--space", "soc", "--out", str(plan), "--exit-code"])
    assert diff.exit_code == 2, diff.output  # changes: every rule is new
    deployed = runner.invoke(app, ["deploy", "--space", "soc", "--plan", str(plan), "--yes",
                                   "--backup-dir", str(tmp_path / "backups"), "--json"])
    assert deployed.exit_code == 0, deployed.output
    rules = requests.get(f"{url}/s/soc/api/detection_engine/rules/_find?per_page=100", timeout=5,
                         headers={"Authorization": "ApiKey k-123", "elastic-api-version": "2023-10-31"}).json()
    assert rules["total"] == 14
    assert runner.invoke(app, ["diff", "--space", "soc", "--exit-code"]).exit_code == 0
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 0
    assert process.stderr.read().strip().endswith("stopped")


def test_wrong_key_and_oversized_body_are_refused(standin):
    url, _ = standin
    headers = {"elastic-api-version": "2023-10-31", "kbn-xsrf": "x"}
    assert requests.get(f"{url}/api/status", headers={"Authorization": "ApiKey nope"}, timeout=5).status_code == 401
    import http.client
    from urllib.parse import urlsplit

    # a body over 64 MB is refused from its Content-Length, before any of it is read
    connection = http.client.HTTPConnection(urlsplit(url).hostname, urlsplit(url).port, timeout=5)
    connection.putrequest("POST", "/api/detection_engine/rules")
    too_big = str(64 * 1024 * 1024 + 1)
    for name, value in {**headers, "Authorization": "ApiKey k-123", "Content-Length": too_big}.items():
        connection.putheader(name, value)
    connection.endheaders()
    assert connection.getresponse().status == 413
    connection.close()
    assert requests.get(f"{url}/api/status", headers={"Authorization": "ApiKey k-123"}, timeout=5).json()[
        "version"]["number"]


def test_a_port_in_use_is_one_error_line():
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([*CLI, "standin", "--port", str(port)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert result.stderr.strip().startswith(f"error: cannot listen on 127.0.0.1:{port}")
    assert json.dumps(result.stdout) == '""'


def test_connections_beyond_the_limit_wait_for_a_free_one(monkeypatch):
    import socket

    from elastic_pack.testing import http_standin

    monkeypatch.setattr(http_standin, "MAX_CONNECTIONS", 1)
    server = http_standin.StandInServer(port=0, api_key="k").start()
    status = f"{server.url}/api/status"
    try:
        idle = socket.create_connection(("127.0.0.1", server.port))  # holds the one slot, sending nothing
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.get(status, headers={"Authorization": "ApiKey k"}, timeout=0.5)
        idle.close()  # the slot comes free: the next request is served
        assert requests.get(status, headers={"Authorization": "ApiKey k"}, timeout=5).status_code == 200
    finally:
        server.stop()


def test_with_kibanas_openapi_schemas_a_rule_kibana_rejects_is_a_400():
    from elastic_pack.openapi import load_openapi
    from elastic_pack.testing.http_standin import StandInServer

    from .conftest import OPENAPI_DIR

    if not (OPENAPI_DIR / "model").is_dir():
        pytest.skip(f"Kibana's OpenAPI schemas are not at {OPENAPI_DIR}")
    server = StandInServer(port=0, api_key="k", openapi=load_openapi(str(OPENAPI_DIR))).start()
    try:
        answer = requests.post(f"{server.url}/api/detection_engine/rules", json={"type": "query", "name": "x"},
                               headers={"Authorization": "ApiKey k", "kbn-xsrf": "x",
                                        "elastic-api-version": "2023-10-31"}, timeout=10)
        assert answer.status_code == 400 and "risk_score" in answer.json()["message"]
    finally:
        server.stop()
