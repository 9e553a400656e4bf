"""The Docker tier's files, checked here where no Docker engine runs."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from elastic_pack.build import pack_payloads
from elastic_pack.content import load_pack
from elastic_pack.esql import parse_esql
from elastic_pack.kql import parse_kql
from elastic_pack.kql.to_dsl import to_dsl
from elastic_pack.lab import schedule_for, shifted_documents
from elastic_pack.scenario_run import load_pack_and_scenarios

from . import compose_support as cs
from .conftest import CONTENT, REPO

COMPOSE = REPO / "docker" / "docker-compose.yml"
TEMPLATE = REPO / "docker" / "index-templates" / "logs-aws.cloudtrail.json"


def _mapping_type(template: dict, field: str) -> str | None:
    node = template["template"]["mappings"]
    for part in field.split("."):
        node = node.get("properties", {}).get(part)
        if node is None:
            return None
    return node.get("type")


def _templates() -> dict[str, dict]:
    return {t["index_patterns"][0]: t for t in
            (json.loads(p.read_text()) for p in (REPO / "docker" / "index-templates").glob("*.json"))}


def test_templates_give_every_required_field_its_integration_type():
    """Each rule's required fields are typed in the template of at least one data stream it reads."""
    templates = _templates()
    template = templates["logs-aws.cloudtrail-*"]
    assert "data_stream" in template and _mapping_type(template, "source.ip") == "ip"
    assert _mapping_type(template, "@timestamp") == "date"
    pack, _ = load_pack(CONTENT)
    for payload in pack_payloads(pack):
        patterns = payload.get("index") or parse_esql(payload["query"]).sources
        covering = [templates[p] for p in patterns if p in templates]
        assert covering, (payload["name"], patterns)
        for field in payload["required_fields"]:
            assert any(_mapping_type(t, field["name"]) == field["type"] for t in covering), (payload["name"], field)


def test_compose_file_pins_versions_and_sets_what_the_detection_engine_needs():
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    images = {s["image"].rsplit(":", 1)[1] for s in services.values()}
    assert len(images) == 1
    major, minor = (int(x) for x in images.pop().split(".")[:2])
    assert (major, minor) >= (8, 9)  # EQL sequences `with runs`
    assert services["elasticsearch"]["environment"]["xpack.security.enabled"] == "true"
    assert "XPACK_ENCRYPTEDSAVEDOBJECTS_ENCRYPTIONKEY" in services["kibana"]["environment"]
    assert services["kibana"]["depends_on"]["setup"]["condition"] == "service_completed_successfully"
    assert all("healthcheck" in services[name] for name in ("elasticsearch", "kibana"))
    assert all("mem_limit" in service for service in services.values())


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose (Debian package) not installed")
def test_compose_file_passes_docker_compose_config():
    result = subprocess.run(["docker-compose", "-f", str(COMPOSE), "config", "-q"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _compose(host_env: dict[str, str] | None = None) -> dict:
    """The compose file as `docker compose` would see it with this host environment (none: the defaults)."""
    return cs.interpolated(yaml.safe_load(COMPOSE.read_text()), host_env or {})


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _setup_env(compose: dict, es_url: str, **overrides: str) -> dict[str, str]:
    """The setup container's environment, with Elasticsearch at es_url and /templates at the host directory
    the compose file mounts there."""
    service = compose["services"]["setup"]
    env = cs.container_env(service)
    mounts = {v.split(":")[1]: v.split(":")[0] for v in service["volumes"]}  # container path -> host path
    env["ES_URL"] = es_url
    env["TEMPLATES_DIR"] = str((COMPOSE.parent / mounts[env["TEMPLATES_DIR"]]).resolve())
    env.update(overrides)
    return env


def test_every_dollar_in_the_compose_file_is_an_interpolation_compose_understands():
    text = COMPOSE.read_text()
    cs.interpolated(yaml.safe_load(text), {})  # raises on a `$` compose would reject
    with pytest.raises(cs.InterpolationError):
        cs.interpolate("curl $(date)", {})
    assert cs.interpolate("$${A} ${A:-d} ${B-x} $$(x)", {"A": "", "B": ""}) == "${A} d  $(x)"


def test_setup_sets_the_password_and_installs_every_template_against_a_fake_elasticsearch():
    """The setup command, exactly as compose hands it to the container, run by bash with the real curl: one
    POST of the kibana_system password, then one PUT per template with the file's bytes, all as elastic."""
    compose = _compose({"ELASTIC_PASSWORD": "pw with 'quotes' & space", "KIBANA_SYSTEM_PASSWORD": "k1bana"})
    argv = cs.command_argv(compose["services"]["setup"])
    assert argv[:2] == ["bash", "-c"] and "\n" in argv[2]  # a literal block: one command per line
    with cs.FakeEndpoint(lambda r: (200, b'{"acknowledged":true}')) as es:
        env = _setup_env(compose, es.url)
        result = cs.run(argv, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("setup done")
    auth = _basic("elastic", "pw with 'quotes' & space")
    templates = sorted(Path(env["TEMPLATES_DIR"]).glob("*.json"))
    assert len(templates) == 4
    assert [(r.method, r.path) for r in es.requests] == (
        [("POST", "/_security/user/kibana_system/_password")]
        + [("PUT", f"/_index_template/{t.stem}") for t in templates])
    assert json.loads(es.requests[0].body) == {"password": "k1bana"}
    assert [r.body for r in es.requests[1:]] == [t.read_bytes() for t in templates]
    assert all(r.headers["authorization"] == auth for r in es.requests)
    assert all(r.headers["content-type"] == "application/json" for r in es.requests)


@pytest.mark.parametrize("password", ['with "quotes"', "back\\slash\\", 'both \\" and $dollar', "ünïcode"])
def test_setup_sends_any_kibana_system_password_as_valid_json(password):
    compose = _compose({"KIBANA_SYSTEM_PASSWORD": password})
    argv = cs.command_argv(compose["services"]["setup"])
    with cs.FakeEndpoint(lambda r: (200, b'{"acknowledged":true}')) as es:
        result = cs.run(argv, _setup_env(compose, es.url))
    assert result.returncode == 0, result.stderr
    assert json.loads(es.requests[0].body) == {"password": password}


def test_setup_retries_until_the_password_call_succeeds_and_fails_on_a_template_error(tmp_path):
    compose = _compose()
    argv = cs.command_argv(compose["services"]["setup"])
    cs.stub_programs(tmp_path, {"sleep": 0})  # no real waiting between tries
    answers = iter([503, 503, 200])
    with cs.FakeEndpoint(lambda r: (next(answers), b"{}") if r.method == "POST" else (200, b"{}")) as es:
        result = cs.run(argv, _setup_env(compose, es.url), path_first=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [r.method for r in es.requests].count("POST") == 3
    with cs.FakeEndpoint(lambda r: (400, b'{"error":"bad template"}') if r.method == "PUT" else (200, b"{}")) as es:
        failed = cs.run(argv, _setup_env(compose, es.url), path_first=tmp_path)
    assert failed.returncode != 0  # set -e: a rejected template fails the service, and Kibana does not start
    assert [r.method for r in es.requests] == ["POST", "PUT"]


def test_setup_against_a_dead_elasticsearch_fails_after_a_bounded_number_of_tries(tmp_path):
    """Nothing listening: the password loop gives up after SETUP_TRIES and exits non-zero; each try is
    bounded by curl's --max-time, so the worst case (every try timing out) is bounded too."""
    compose = _compose()
    argv = cs.command_argv(compose["services"]["setup"])
    log = cs.stub_programs(tmp_path, {"sleep": 0})
    started = time.monotonic()
    result = cs.run(argv, _setup_env(compose, f"http://127.0.0.1:{cs.dead_port()}"), path_first=tmp_path)
    assert result.returncode != 0 and "after 30 tries" in result.stderr
    assert time.monotonic() - started < 30
    sleeps = [float(c[1]) for c in cs.stub_calls(log) if c[0] == "sleep"]
    assert len(sleeps) == 29
    # the worst case, every curl hanging: the stub curl reports a timeout (28) and logs its options
    log.unlink()
    cs.stub_programs(tmp_path, {"sleep": 0, "curl": 28})
    result = cs.run(argv, _setup_env(compose, "http://elasticsearch.invalid:9200"), path_first=tmp_path)
    assert result.returncode != 0
    calls = cs.stub_calls(log)
    curls = [c for c in calls if c[0] == "curl"]
    assert len(curls) == 30
    assert all(cs.option_value(c, "--connect-timeout") and cs.option_value(c, "--max-time") for c in curls)
    worst = sum(float(cs.option_value(c, "--max-time")) for c in curls) + sum(
        float(c[1]) for c in calls if c[0] == "sleep")
    assert worst <= 360  # 6 minutes at most before `docker compose up` reports the failure


def _healthcheck(service: str, port: int) -> str:
    """The service's healthcheck with its localhost port moved to the fake's port (nothing else changed)."""
    compose = _compose()
    command = cs.healthcheck_shell(compose["services"][service])
    inside = {"elasticsearch": "localhost:9200", "kibana": "localhost:5601"}[service]
    assert command.count(inside) == 1
    return command.replace(inside, f"127.0.0.1:{port}")


@pytest.mark.parametrize("shell", ["sh", "bash"])
def test_elasticsearch_healthcheck_passes_only_on_a_yellow_cluster(shell):
    compose = _compose()
    env = cs.container_env(compose["services"]["elasticsearch"])
    status = {"code": 200}
    with cs.FakeEndpoint(lambda r: (status["code"], b'{"status":"yellow"}')) as es:
        command = _healthcheck("elasticsearch", es.server.server_address[1])
        assert cs.run([shell, "-c", command], env).returncode == 0
        assert [(r.method, r.path) for r in es.requests] == [
            ("GET", "/_cluster/health?wait_for_status=yellow&timeout=5s")]
        assert es.requests[0].headers["authorization"] == _basic("elastic", "changeme-elastic")
        status["code"] = 408  # not yellow within 5s
        assert cs.run([shell, "-c", command], env).returncode != 0
    dead = cs.run([shell, "-c", _healthcheck("elasticsearch", cs.dead_port())], env)
    assert dead.returncode != 0  # unquoted, `&` backgrounded curl and this exited 0


@pytest.mark.parametrize("shell", ["sh", "bash"])
def test_kibana_healthcheck_passes_once_kibana_serves_its_status(shell):
    compose = _compose()
    kibana = compose["services"]["kibana"]
    env = cs.container_env(kibana)
    assert env["STATUS_ALLOWANONYMOUS"] == "true"  # the check reads /api/status without credentials
    answer = {"value": (503, b"Kibana server is not ready yet")}
    with cs.FakeEndpoint(lambda r: answer["value"]) as fake:
        command = _healthcheck("kibana", fake.server.server_address[1])
        assert cs.run([shell, "-c", command], env).returncode != 0
        answer["value"] = (401, b'{"statusCode":401}')  # had the anonymous status setting not applied
        assert cs.run([shell, "-c", command], env).returncode != 0
        answer["value"] = (200, b'{"status":{"overall":{"level":"available"}}}')
        assert cs.run([shell, "-c", command], env).returncode == 0
        assert {(r.method, r.path) for r in fake.requests} == {("GET", "/api/status")}
        assert all("authorization" not in r.headers for r in fake.requests)
    assert cs.run([shell, "-c", _healthcheck("kibana", cs.dead_port())], env).returncode != 0


def test_a_hung_service_fails_setup_and_healthchecks_within_curls_max_time():
    """An Elasticsearch or Kibana that accepts connections and never answers: the setup script (one try) and
    each healthcheck give up at curl's --max-time, with a non-zero exit, and the healthchecks before Docker's
    own healthcheck timeout. The three run at once (each waits its full --max-time)."""
    compose = _compose()
    services = compose["services"]
    with cs.SilentListener() as silent:
        runs = {"setup": (cs.command_argv(services["setup"]),
                          _setup_env(compose, f"http://127.0.0.1:{silent.port}", SETUP_TRIES="1"))}
        for name in ("elasticsearch", "kibana"):
            runs[name] = (["sh", "-c", _healthcheck(name, silent.port)], cs.container_env(services[name]))
        started = time.monotonic()
        procs = {name: cs.start(argv, env) for name, (argv, env) in runs.items()}
        finished = {}
        for name, proc in procs.items():
            proc.wait(timeout=30)
            finished[name] = time.monotonic() - started
    for name, (argv, _) in runs.items():
        max_time = float(argv[-1].split("--max-time ", 1)[1].split()[0])
        assert procs[name].returncode != 0, name
        assert finished[name] < max_time + 3, (name, finished[name])
        if name != "setup":
            assert max_time < float(services[name]["healthcheck"]["timeout"].rstrip("s"))
    assert "after 1 tries" in procs["setup"].stderr.read()


def test_every_curl_in_the_compose_file_is_bounded():
    compose = _compose()
    commands = [cs.healthcheck_shell(s) for s in compose["services"].values() if "healthcheck" in s]
    commands += [cs.command_argv(s)[-1] for s in compose["services"].values() if "command" in s]
    curls = [line for command in commands for line in command.splitlines() if "curl " in line]
    assert len(curls) == 3
    assert all("--max-time" in line and "--connect-timeout" in line for line in curls)


def _stack_version() -> tuple[int, int, int]:
    images = {s["image"].rsplit(":", 1)[1] for s in _compose()["services"].values()}
    assert len(images) == 1, images
    major, minor, patch = (int(x) for x in images.pop().split("."))
    return major, minor, patch


def test_the_elasticsearch_client_pin_keeps_the_stacks_major_version():
    """The 9.x client sends `compatible-with=9`, which an 8.x Elasticsearch answers with 400
    media_type_header_exception: every pin of the client admits the stack's major version and no other."""
    import tomllib

    from packaging.requirements import Requirement

    major, minor, _ = _stack_version()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    groups = {"dependencies": project["dependencies"], **project["optional-dependencies"]}
    pins = {group: Requirement(r) for group, reqs in groups.items() for r in reqs
            if Requirement(r).name == "elasticsearch"}
    assert set(pins) == {"lab", "test"}
    for group, requirement in pins.items():
        spec = requirement.specifier
        assert spec.contains(f"{major}.{minor}.0"), (group, str(spec))
        assert not spec.contains(f"{major + 1}.0.0") and not spec.contains(f"{major - 1}.99.0"), (group, str(spec))


def test_the_installed_elasticsearch_client_asks_for_the_stacks_major_version():
    """What the client installed here actually sends, against a fake Elasticsearch on loopback."""
    elasticsearch = pytest.importorskip("elasticsearch")
    major = _stack_version()[0]
    info = json.dumps({"version": {"number": ".".join(map(str, _stack_version()))}, "tagline": "You Know, for Search"})
    with cs.FakeEndpoint(lambda r: (200, info.encode()), headers={"X-Elastic-Product": "Elasticsearch"}) as es:
        client = elasticsearch.Elasticsearch(es.url, basic_auth=("elastic", "x"), request_timeout=5)
        client.info()
    assert f"compatible-with={major}" in es.requests[0].headers["accept"], es.requests[0].headers


def test_the_stack_runs_a_trial_licence_for_alert_suppression():
    environment = _compose()["services"]["elasticsearch"]["environment"]
    assert environment["xpack.license.self_generated.type"] == "trial"


def _minutes(value) -> float:
    return float(value)


def test_workflow_runs_the_integration_tier_and_keeps_what_a_failure_needs():
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "integration.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    # a branch with a pull request runs once: push only on main, every other branch through its PR
    assert triggers["push"]["branches"] == ["main"] and "pull_request" in triggers
    (job,) = workflow["jobs"].values()
    env = job.get("env", {})
    assert str(env.get("REQUIRE_STACK")) == "1"  # no Docker: the job fails instead of passing on skips
    steps = job["steps"]
    (tier,) = [s for s in steps if "pytest -m integration" in str(s.get("run", ""))]
    assert "--junitxml=test-results/junit.xml" in tier["run"]
    # the tier's step times out first, so the steps after it still run inside the job's limit
    after = steps[steps.index(tier) + 1:]
    assert _minutes(tier["timeout-minutes"]) + sum(_minutes(s.get("timeout-minutes", 5)) for s in after) \
        < _minutes(job["timeout-minutes"])
    (logs,) = [s for s in after if "logs" in str(s.get("run", ""))]
    assert logs["if"] == "always()"
    run = logs["run"]
    assert run.index("docker compose") < run.index(" logs ") < run.index(" down ")  # logs before down
    assert '-p "$ELASTIC_PACK_COMPOSE_PROJECT"' in run and env["ELASTIC_PACK_COMPOSE_PROJECT"]
    (upload,) = [s for s in after if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    assert upload["if"] == "always()" and upload["with"]["path"].rstrip("/") == "test-results"
    assert env["ELASTIC_PACK_STACK_LOG"].startswith("test-results/")  # pytest-docker's cleanup writes it there


def test_kql_translates_to_the_query_kibana_builds():
    # the shape of kbn-es-query's toElasticsearchQuery without data view fields (what a rule without one sends)
    tree = parse_kql('event.action: ("Publish" or "PublishBatch") and not aws.cloudtrail.error_code: * '
                     'and source.port >= 1024 and user_agent.original: aws-cli*')

    def should(query):
        return {"bool": {"should": [query], "minimum_should_match": 1}}

    assert to_dsl(tree) == {"bool": {"filter": [
        {"bool": {"should": [should({"match_phrase": {"event.action": "Publish"}}),
                             should({"match_phrase": {"event.action": "PublishBatch"}})],
                  "minimum_should_match": 1}},
        {"bool": {"must_not": should({"exists": {"field": "aws.cloudtrail.error_code"}})}},
        should({"range": {"source.port": {"gte": "1024"}}}),
        should({"query_string": {"fields": ["user_agent.original"], "query": "aws\\-cli*"}}),
    ]}}


def test_seeded_scenarios_end_just_before_now():
    pack, scenarios = load_pack_and_scenarios(CONTENT)
    now = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
    scenario = next(s for s in scenarios if s.name == "edge_sequence_just_inside_6h")
    docs = shifted_documents(scenario, pack.rules, now)
    stamps = [datetime.fromisoformat(d["@timestamp"].replace("Z", "+00:00")).timestamp() for d in docs]
    last_runs = [schedule_for(r, min(stamps), max(stamps))[0] for r in pack.rules]
    assert max(last_runs) == pytest.approx(now.timestamp() - 60, abs=0.001)
    original = [d["@timestamp"] for d in scenario.documents()]
    gaps = lambda xs: [b - a for a, b in zip(xs, xs[1:])]  # noqa: E731
    parsed = [datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() for t in original]
    assert gaps(stamps) == pytest.approx(gaps(parsed))


# --- the integration tier's own logic, run here without a stack -------------------------------------------

from .integration import stack_support as ss  # noqa: E402


def test_preview_chunks_cover_every_run_that_can_alert_and_stay_under_the_limit():
    interval, lookback = 300.0, 3600.0
    first = 1_000_000.0
    # a burst, a 15-day gap, another burst: the runs in between read nothing
    stamps = [first + i * 60 for i in range(30)] + [first + 15 * 86400 + i * 60 for i in range(600)]
    runs = int((max(stamps) - first) // interval) + 2
    chunks = ss.plan_chunks(first, interval, runs, stamps, lookback, carry=lookback + 3600, max_invocations=40)
    live = ss.live_runs(first, interval, runs, stamps, lookback)
    kept = set()
    for chunk in chunks:
        assert chunk.invocations <= 40
        assert chunk.first_run + (chunk.invocations - 1) * interval == chunk.last_run
        k0, k1 = round((chunk.keep_from - first) / interval), round((chunk.last_run - first) / interval)
        assert not kept & set(range(k0, k1 + 1))  # each run's alerts are counted by one chunk
        kept |= set(range(k0, k1 + 1))
        if chunk.first_run < chunk.keep_from:  # a continuation repeats the runs whose state it needs
            assert chunk.keep_from - chunk.first_run >= lookback + 3600
    assert set(live) <= kept
    assert sum(c.invocations for c in chunks) < runs / 10  # the empty 15 days are not previewed
    # every run whose window [t - lookback, t] holds an event is live, and no other
    for k in range(runs):
        t = first + k * interval
        assert (k in live) == any(t - lookback <= s <= t for s in stamps)
    with pytest.raises(ValueError):
        ss.plan_chunks(first, interval, runs, stamps, lookback, carry=lookback, max_invocations=12)


def test_the_long_scenarios_preview_in_chunks_well_under_kibanas_limit():
    """Issue 22: the 15-17-day scenarios asked one preview for ~4,900 runs per rule (Kibana stops at 60 s)."""
    pack, scenarios = load_pack_and_scenarios(CONTENT)
    total, largest = 0, 0
    for scenario in scenarios:
        stamps = [datetime.fromisoformat(d["@timestamp"].replace("Z", "+00:00")).timestamp()
                  for d in scenario.documents()]
        for rule in pack.rules:
            spec = rule.spec
            _, runs = schedule_for(rule, min(stamps), max(stamps))
            carry = spec.lookback + ((spec.suppression.duration or 0) if spec.suppression else 0)
            chunks = ss.plan_chunks(min(stamps), spec.interval, runs, stamps, spec.lookback, carry)
            total += sum(c.invocations for c in chunks)
            largest = max([largest] + [c.invocations for c in chunks])
    assert largest <= ss.MAX_INVOCATIONS
    assert total < 20_000  # measured 7,650 runs in all (one preview per rule and scenario: 157,584)


def test_group_values_read_from_kibana_alerts():
    threshold = {"kibana.alert.threshold_result": {"terms": [{"field": "a.arn", "value": "arn:1"}], "count": 101}}
    assert ss.stack_group(threshold, "threshold", ["a.arn"]) == ("arn:1",)
    assert ss.stack_group({"kibana.alert.new_terms": ["arn:2"]}, "new_terms", ["x"]) == ("arn:2",)
    assert ss.stack_group({"role": "r", "service": ["ses"]}, "esql", ["role", "service"]) == ("r", "ses")
    assert ss.stack_group({}, "eql", []) is None
    assert ss.local_group({"role": "r", "service": "ses"}, "esql") == ("r", "ses")
    assert ss.alert_run_time({"kibana": {"alert": {"start": "2026-01-01T00:00:00.000Z"}}}) == "2026-01-01T00:00:00.000Z"


def test_integration_marker_is_given_by_path_not_by_substring(tmp_path):
    from .integration.conftest import is_integration_test

    here = REPO / "tests" / "integration" / "test_stack.py"
    assert is_integration_test(here)
    assert is_integration_test(REPO / "tests" / "integration" / ".." / "integration" / "test_stack.py")
    assert not is_integration_test(REPO / "tests" / "test_docker_tier.py")
    assert not is_integration_test(tmp_path / "tests" / "integration" / "test_x.py")


_TINY = '''
def test_needs_the_stack(stack):
    pass
'''


@pytest.mark.parametrize("require, code, word", [("", 0, "skipped"), ("1", 1, "error")])
def test_require_stack_turns_the_no_stack_skip_into_a_failure(tmp_path, require, code, word):
    """A tiny test using the tier's `stack` fixture, in a fresh pytest with the tier's conftest as a plugin, on
    a PATH without docker and without a stack URL."""
    (tmp_path / "test_tiny.py").write_text(_TINY)
    env = {k: v for k, v in __import__("os").environ.items()
           if not k.startswith("ELASTIC_PACK_STACK_") and k != "REQUIRE_STACK"}
    env["PATH"] = str(Path(__import__("sys").executable).parent)  # python, no docker
    if require:
        env["REQUIRE_STACK"] = require
    result = subprocess.run([__import__("sys").executable, "-m", "pytest", "-p", "tests.conftest", "-p",
                             "tests.integration.conftest", str(tmp_path / "test_tiny.py"), "-q", "-rs",
                             "-p", "no:cacheprovider", "--rootdir", str(tmp_path)],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == code, result.stdout + result.stderr
    assert f"1 {word}" in result.stdout and "no docker command" in result.stdout  # a fixture failure: an error


class _FakeCluster:
    """Enough of Elasticsearch for the tier's seeding: HEAD index, _bulk creates, DELETE _data_stream."""

    def __init__(self, existing=(), templates=()):
        self.streams = set(existing)
        self.templates = {name: None for name in templates}
        self.created: set[str] = set()

    def __call__(self, r):
        path = r.path.split("?")[0]
        if path.startswith("/_index_template/"):
            name = path.rsplit("/", 1)[1]
            if r.method == "HEAD":
                return (200 if name in self.templates else 404), b""
            if r.method == "PUT":
                if name in self.templates and "create=true" in r.path:
                    return 400, b'{"error":{"type":"illegal_argument_exception"},"status":400}'
                self.templates[name] = json.loads(r.body)
                return 200, b'{"acknowledged":true}'
            if r.method == "DELETE":
                if any(self._matches(s, name) for s in self.streams):
                    return 400, b'{"error":"template in use by a data stream"}'
                self.templates.pop(name)
                return 200, b'{"acknowledged":true}'
        if r.method == "HEAD":
            return (200 if path.strip("/") in self.streams else 404), b""
        if path == "/_bulk":
            lines = [json.loads(x) for x in r.body.decode().splitlines() if x.strip()]
            items = []
            for action in lines[::2]:
                index = action["create"]["_index"]
                self.streams.add(index)
                self.created.add(index)
                items.append({"create": {"_index": index, "_id": str(len(items)), "status": 201, "result": "created"}})
            return 200, json.dumps({"took": 1, "errors": False, "items": items}).encode()
        if r.method == "DELETE" and path.startswith("/_data_stream/"):
            name = path.rsplit("/", 1)[1]
            if name not in self.streams:
                return 404, b'{"error":{"type":"resource_not_found_exception"},"status":404}'
            self.streams.discard(name)
            return 200, b'{"acknowledged":true}'
        return 400, b'{"error":"unexpected"}'

    def _matches(self, stream, template):
        body = self.templates.get(template)
        return bool(body) and stream in body["index_patterns"]


def test_the_tier_writes_only_into_its_own_data_streams_and_deletes_them():
    elasticsearch = pytest.importorskip("elasticsearch")
    from .integration import test_stack as tier

    scenario = next(s for s in tier.STACK_SCENARIOS if s.name == "edge_sequence_just_inside_6h")
    documents = shifted_documents(scenario, tier.PACK.rules)
    cluster = _FakeCluster(existing={"logs-aws.cloudtrail-default"}, templates={"fleet-aws"})
    with cs.FakeEndpoint(cluster, headers={"X-Elastic-Product": "Elasticsearch"}) as fake:
        es = elasticsearch.Elasticsearch(fake.url, request_timeout=10)
        with tier._seeded(es, documents) as streams:
            assert streams == ["logs-aws.cloudtrail-elasticpacktest"]
            assert cluster.created == {"logs-aws.cloudtrail-elasticpacktest"}
            template = cluster.templates["elastic-pack-test-logs-aws.cloudtrail"]
            assert template["index_patterns"] == ["logs-aws.cloudtrail-elasticpacktest"]  # that stream only
            assert "pipeline" not in json.dumps(template)  # no integration pipeline rewrites the events
            assert template["data_stream"] == {} and template["_meta"]["managed_by"].startswith("elastic-pack")
            assert set(cluster.templates) == {"fleet-aws", "elastic-pack-test-logs-aws.cloudtrail"}
        assert cluster.streams == {"logs-aws.cloudtrail-default"}  # what it wrote is gone, the rest untouched
        assert set(cluster.templates) == {"fleet-aws"}
        bulk = [r for r in fake.requests if r.path.startswith("/_bulk")]
        assert len(bulk) == 1 and "refresh=wait_for" in bulk[0].path
        assert sum(1 for line in bulk[0].body.decode().splitlines() if line.strip()) == 2 * len(documents)


def test_the_tier_refuses_to_write_into_a_data_stream_it_did_not_create():
    elasticsearch = pytest.importorskip("elasticsearch")
    from .integration import test_stack as tier

    scenario = next(s for s in tier.STACK_SCENARIOS if s.name == "edge_sequence_just_inside_6h")
    documents = shifted_documents(scenario, tier.PACK.rules)
    cluster = _FakeCluster(existing={"logs-aws.cloudtrail-elasticpacktest"})
    with cs.FakeEndpoint(cluster, headers={"X-Elastic-Product": "Elasticsearch"}) as fake:
        es = elasticsearch.Elasticsearch(fake.url, request_timeout=10)
        with pytest.raises(pytest.fail.Exception, match="already exist"):
            with tier._seeded(es, documents):
                pass
        assert not [r for r in fake.requests if r.method != "HEAD"]
        assert cluster.streams == {"logs-aws.cloudtrail-elasticpacktest"}
    cluster = _FakeCluster(templates={"elastic-pack-test-logs-aws.cloudtrail"})  # a template it did not create
    with cs.FakeEndpoint(cluster, headers={"X-Elastic-Product": "Elasticsearch"}) as fake:
        es = elasticsearch.Elasticsearch(fake.url, request_timeout=10)
        with pytest.raises(pytest.fail.Exception, match="elastic-pack-test-logs-aws.cloudtrail already exist"):
            with tier._seeded(es, documents):
                pass
        assert not [r for r in fake.requests if r.method != "HEAD"]


class _FakePreviewStack:
    """Kibana's preview route and the preview alerts index on one loopback server: each preview answers one log
    per run and one alert per run that the run's start time names (kibana.alert.start), so the test sees which
    runs each chunk asked for and which alerts the tier kept."""

    def __init__(self, abort_after: int | None = None, error: str | None = None):
        self.previews: list[dict] = []
        self.abort_after, self.error = abort_after, error

    def __call__(self, r):
        if r.path.endswith("/api/detection_engine/rules/preview"):
            body = json.loads(r.body)
            self.previews.append(body)
            runs = body["invocationCount"]
            if self.abort_after is not None:
                runs = min(runs, self.abort_after)
            logs = [{"errors": [self.error] if self.error else [], "warnings": [], "duration": 1}] * runs
            return 200, json.dumps({"previewId": f"p{len(self.previews)}", "logs": logs,
                                    "isAborted": self.abort_after is not None}).encode()
        if "/_refresh" in r.path:
            return 200, b'{"_shards":{"total":1,"successful":1,"failed":0}}'
        if "/_search" in r.path:
            body = self.previews[-1]
            end = datetime.fromisoformat(body["timeframeEnd"].replace("Z", "+00:00")).timestamp()
            interval = 300.0
            hits = [{"_index": "x", "_id": str(k), "_source": {
                "kibana.alert.start": datetime.fromtimestamp(end - k * interval, timezone.utc).isoformat()}}
                for k in range(body["invocationCount"])]
            return 200, json.dumps({"hits": {"total": {"value": len(hits)}, "hits": hits}}).encode()
        return 404, b"{}"


def _preview_fixture():
    from .integration import test_stack as tier
    from .integration.conftest import Stack

    rule = next(r for r in tier.PACK.rules if r.type == "threshold" and r.spec.interval == 300.0)
    payload = next(p for p in tier.pack_objects(None)[0] if p["rule_id"] == rule.rule_id)
    start = datetime(2026, 11, 1, tzinfo=timezone.utc).timestamp()
    documents = [{"@timestamp": datetime.fromtimestamp(start + i * 600, timezone.utc).isoformat(),
                  "event.dataset": "aws.cloudtrail"} for i in range(400)]  # ~2.8 days, every run live
    return tier, Stack, rule, payload, documents


def test_preview_asks_kibana_for_each_chunk_and_keeps_each_runs_alerts_once():
    pytest.importorskip("elasticsearch")
    tier, Stack, rule, payload, documents = _preview_fixture()
    fake = _FakePreviewStack()
    with cs.FakeEndpoint(fake, headers={"X-Elastic-Product": "Elasticsearch"}) as server:
        stack = Stack(server.url, server.url)
        alerts = tier._preview_alerts(stack, "sp", payload, rule, documents)
    stamps = tier._stamps(documents)
    _, runs = schedule_for(rule, min(stamps), max(stamps))
    assert len(fake.previews) > 1 and all(p["invocationCount"] <= ss.MAX_INVOCATIONS for p in fake.previews)
    assert all(p["index"] == ["logs-aws.cloudtrail-elasticpacktest"] for p in fake.previews)
    starts = sorted(a["kibana.alert.start"] for a in alerts)
    assert len(starts) == len(set(starts)) == runs  # one alert per run: the repeated runs are not counted twice


@pytest.mark.parametrize("fake, match", [(_FakePreviewStack(abort_after=3), "isAborted"),
                                         (_FakePreviewStack(error="index not found"), "index not found")])
def test_an_aborted_or_failing_preview_fails_the_test(fake, match):
    pytest.importorskip("elasticsearch")
    tier, Stack, rule, payload, documents = _preview_fixture()
    with cs.FakeEndpoint(fake, headers={"X-Elastic-Product": "Elasticsearch"}) as server:
        with pytest.raises(AssertionError, match=match):
            tier._preview_alerts(Stack(server.url, server.url), "sp", payload, rule, documents)


def test_live_scenarios_fit_one_run_of_each_rule_they_expect_and_cover_the_rules():
    from elastic_pack.scenario_run import rule_key

    pack, scenarios = load_pack_and_scenarios(CONTENT)
    chosen = ss.live_scenarios(pack.rules, scenarios)
    by_key = {rule_key(r.path): r for r in pack.rules}
    covered = set()
    now = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc).timestamp()
    for scenario in chosen:
        documents = ss.live_documents(scenario, now)
        stamps = sorted(ss._epoch(d["@timestamp"]) for d in documents)
        assert stamps[-1] == pytest.approx(now - 120, abs=0.001)
        expected = {k for k, v in scenario.expect.items() if v}
        # a first run up to 5 minutes after now still sees every event of the scenario
        assert all(now + 300 - by_key[k].spec.lookback <= stamps[0] for k in expected), scenario.name
        covered |= expected
    # every AWS rule some scenario expects, except the first-seen rules (a fresh stream makes everything new)
    # and those whose scenarios span more than a look-back
    assert len(chosen) <= 8 and len(covered) >= 9, (len(chosen), sorted(covered))


def test_the_docker_tier_runs_the_release_the_real_node_tier_runs():
    # the real-node tier (tools/es-node, from Maven Central) and the Docker images check the same release, so
    # what one proves of Elasticsearch holds for the other
    from tests.real_es.node import version

    images = {s["image"].rsplit(":", 1)[1] for s in yaml.safe_load(COMPOSE.read_text())["services"].values()}
    assert images == {version()}
