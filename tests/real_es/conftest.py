"""The real-Elasticsearch tier: one node from Maven Central's artifacts (node.py) for the whole session.

Every test here carries the `real_es` marker. Where the node cannot be had (no Java or Maven, the build or
start failed) they skip with the reason; REQUIRE_REAL_ES=1 (set by .ci/run) turns that skip into a failure,
so CI never passes without having run them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .node import NodeUnavailable, started_node

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.real_es)


def required() -> bool:
    return os.environ.get("REQUIRE_REAL_ES", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def es_node():
    try:
        with started_node() as node:
            yield node
    except NodeUnavailable as exc:
        message = f"no real Elasticsearch node: {exc}"
        if required():
            pytest.fail(f"{message} (REQUIRE_REAL_ES=1: this tier must run)", pytrace=False)
        pytest.skip(message)


@pytest.fixture(scope="session")
def es(es_node):
    """The node through the Python client the lab uses (its major version is the node's)."""
    import http.client

    from elasticsearch import Elasticsearch

    # ES|QL answers a Warning header per failed evaluation (up to 20 and a summary each); several such on one
    # query pass http.client's limit of 100 headers
    http.client._MAXHEADERS = 1000  # type: ignore[attr-defined]
    client = Elasticsearch(es_node.url, request_timeout=120)
    yield client
    client.close()


@pytest.fixture(scope="session")
def seeded(es):
    """(pack, [Seeded]): the lab's templates installed and every scenario's events seeded."""
    from .seeding import install_templates, seed_scenarios

    install_templates(es)
    return seed_scenarios(es)


def pytest_terminal_summary(terminalreporter):
    from .agreement import lines

    if lines():
        terminalreporter.section("local engine vs real Elasticsearch")
        for line in lines():
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def rule_files(tmp_path_factory):
    """The pack's rules, and those of Elastic's corpus where ../shared/reference holds it (a user's clone
    has only the pack's)."""
    from elastic_pack.content.loader import load_pack
    from elastic_pack.scenario_run import load_pack_and_scenarios

    from ..conftest import SHARED_REFERENCE

    rules = list(load_pack_and_scenarios(None)[0].rules)
    corpus = SHARED_REFERENCE / "detection-rules"
    if (corpus / "rules").is_dir():
        root = tmp_path_factory.mktemp("corpus")
        for folder in ("rules", "rules_building_block"):
            (root / folder).symlink_to(corpus / folder)
        rules += load_pack(root)[0].rules
    return rules
