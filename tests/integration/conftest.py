"""The integration tier: a real Elasticsearch and Kibana, from docker/ through pytest-docker or from
--stack-kibana-url/--stack-es-url. Without either, every test here is skipped with the reason, or fails
with it under REQUIRE_STACK=1 (CI: a runner without Docker must not pass the job with skips).

Docker mode: compose project ELASTIC_PACK_COMPOSE_PROJECT (default elastic-pack-tests-<pid>), host ports
ES_PORT / KIBANA_PORT (default: free ports on 127.0.0.1), stack logs written to ELASTIC_PACK_STACK_LOG before
`down -v` (default: a file in the temp directory), so a failed run keeps them."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PASSWORD = os.environ.get("ELASTIC_PASSWORD", "changeme-elastic")


HERE = Path(__file__).resolve().parent


def is_integration_test(path: Path) -> bool:
    """Whether a test file lies under tests/integration (by path, not by substring: works on Windows)."""
    return Path(path).resolve().is_relative_to(HERE)


def pytest_collection_modifyitems(items):
    for item in items:
        if is_integration_test(Path(str(item.fspath))):
            item.add_marker(pytest.mark.integration)


def stack_required() -> bool:
    return os.environ.get("REQUIRE_STACK", "").strip().lower() in ("1", "true", "yes")


def no_stack(reason: str):
    """Skip, or fail under REQUIRE_STACK=1."""
    if stack_required():
        pytest.fail(f"REQUIRE_STACK is set and there is no stack: {reason}", pytrace=False)
    pytest.skip(reason)


@dataclass
class Stack:
    kibana_url: str
    es_url: str
    username: str = "elastic"
    password: str = PASSWORD
    external: bool = False  # the user's cluster (--stack-*-url), not the tier's own Docker stack


def docker_unavailable_reason() -> str | None:
    if shutil.which("docker") is None:
        return "no docker command on this machine"
    probe = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True)
    if probe.returncode != 0:
        detail = (probe.stderr.strip().splitlines() or ["docker info failed"])[-1]
        return f"no Docker engine reachable ({detail})"
    compose = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
    if compose.returncode != 0:
        return "docker compose is not installed"
    return None


@pytest.fixture(scope="session")
def docker_compose_file():
    return str(REPO / "docker" / "docker-compose.yml")


def compose_project() -> str:
    return os.environ.get("ELASTIC_PACK_COMPOSE_PROJECT") or f"elastic-pack-tests-{os.getpid()}"


def stack_log_path() -> Path:
    return Path(os.environ.get("ELASTIC_PACK_STACK_LOG")
                or Path(tempfile.gettempdir()) / f"{compose_project()}-stack.log").resolve()


@pytest.fixture(scope="session")
def docker_compose_project_name():
    return compose_project()


@pytest.fixture(scope="session")
def docker_setup():
    # free host ports unless the user chose them; `up --wait` returns once both services are healthy (the
    # setup service completed), bounded by --wait-timeout instead of hanging
    os.environ.setdefault("ES_PORT", "")
    os.environ.setdefault("KIBANA_PORT", "")
    return ["up -d --wait --wait-timeout 600"]


@pytest.fixture(scope="session")
def docker_cleanup():
    log = stack_log_path()
    log.parent.mkdir(parents=True, exist_ok=True)
    return [f'logs --no-color --timestamps > "{log}" 2>&1', "down -v"]


def _compose(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", "compose", "-f", str(REPO / "docker" / "docker-compose.yml"),
                           "-p", compose_project(), *args], capture_output=True, text=True, timeout=300)


def _healthy(url: str, path: str, auth) -> bool:
    import requests

    try:
        response = requests.get(url + path, auth=auth, timeout=5)
        body = response.json() if response.status_code == 200 else {}
    except (requests.RequestException, ValueError):
        return False
    if path == "/api/status":  # Kibana's overall level, not any plugin's
        return body.get("status", {}).get("overall", {}).get("level") == "available"
    return body.get("status") in ("yellow", "green")


@pytest.fixture(scope="session")
def stack(request) -> Stack:
    kibana = request.config.getoption("--stack-kibana-url") or os.environ.get("ELASTIC_PACK_STACK_KIBANA_URL")
    es = request.config.getoption("--stack-es-url") or os.environ.get("ELASTIC_PACK_STACK_ES_URL")
    if kibana and es:
        return Stack(kibana.rstrip("/"), es.rstrip("/"), external=True)
    reason = docker_unavailable_reason()
    if reason:
        no_stack(f"integration tier needs Docker or --stack-kibana-url/--stack-es-url: {reason}")
    try:
        services = request.getfixturevalue("docker_services")
    except Exception as exc:
        # pytest-docker does not clean up after a failed `up`: keep the logs, then remove the stack
        log = stack_log_path()
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(_compose("logs", "--no-color", "--timestamps").stdout)
        _compose("down", "-v")
        pytest.fail(f"the Docker stack did not start ({exc}); its logs are in {log}", pytrace=False)
    es_url = f"http://127.0.0.1:{services.port_for('elasticsearch', 9200)}"
    kibana_url = f"http://127.0.0.1:{services.port_for('kibana', 5601)}"
    auth = ("elastic", PASSWORD)
    services.wait_until_responsive(lambda: _healthy(es_url, "/_cluster/health", auth), timeout=300, pause=3)
    services.wait_until_responsive(lambda: _healthy(kibana_url, "/api/status", auth), timeout=600, pause=5)
    return Stack(kibana_url, es_url)


@contextmanager
def kibana_space(stack: Stack):
    """A fresh Kibana space, deleted afterwards (with the rules in it)."""
    import requests

    space_id = "ep-" + uuid.uuid4().hex[:10]
    auth = (stack.username, stack.password)
    headers = {"kbn-xsrf": "elastic-pack-tests"}
    response = requests.post(f"{stack.kibana_url}/api/spaces/space", json={"id": space_id, "name": space_id},
                             auth=auth, headers=headers, timeout=30)
    response.raise_for_status()
    try:
        yield space_id
    finally:
        requests.delete(f"{stack.kibana_url}/api/spaces/space/{space_id}", auth=auth, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def space(stack):
    """A fresh Kibana space for the module, deleted afterwards."""
    with kibana_space(stack) as space_id:
        yield space_id


@pytest.fixture
def stack_env(stack, monkeypatch):
    """The CLI pointed at the stack through its documented environment variables."""
    monkeypatch.setenv("KIBANA_URL", stack.kibana_url)
    monkeypatch.setenv("ELASTICSEARCH_URL", stack.es_url)
    monkeypatch.setenv("ELASTIC_USERNAME", stack.username)
    monkeypatch.setenv("ELASTIC_PASSWORD", stack.password)
    monkeypatch.delenv("ELASTIC_API_KEY", raising=False)
    return stack
