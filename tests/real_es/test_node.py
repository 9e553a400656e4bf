"""The node itself: the version the launcher pins, on loopback, with the APIs the other tests need."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from .node import version


def test_node_is_the_pinned_version_on_loopback(es_node, es):
    assert es_node.url.startswith("http://127.0.0.1:")
    info = es.nodes.info(metric="http")
    (node,) = info["nodes"].values()
    assert node["version"] == version()
    assert all(address.startswith("127.0.0.1:") for address in node["http"]["bound_address"])
    assert es.cluster.health()["number_of_nodes"] == 1


def test_esql_answers(es):
    result = es.esql.query(query='ROW a = 1, b = "x" | EVAL c = a + 1')
    assert result["columns"] == [{"name": "a", "type": "integer"}, {"name": "b", "type": "keyword"},
                                 {"name": "c", "type": "integer"}]
    assert result["values"] == [[1, "x", 2]]


def test_a_missing_node_fails_when_required(tmp_path):
    """REQUIRE_REAL_ES=1 turns 'no node' into a failure; without it, a skip naming the reason."""
    test = tmp_path / "test_needs_node.py"
    test.write_text(textwrap.dedent("""
        def test_it(es_node):
            pass
    """))
    (tmp_path / "conftest.py").write_text("from tests.real_es.conftest import es_node, required  # noqa: F401\n")
    env_base = {"PATH": "/nonexistent", "PYTHONPATH": str(Path(__file__).parents[2])}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", str(test)]
    skipped = subprocess.run(command, capture_output=True, text=True, env=env_base, cwd=tmp_path, timeout=120)
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert "1 skipped" in skipped.stdout and "no `java` on PATH" in skipped.stdout
    failed = subprocess.run(command, capture_output=True, text=True, env={**env_base, "REQUIRE_REAL_ES": "1"},
                            cwd=tmp_path, timeout=120)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "REQUIRE_REAL_ES=1" in failed.stdout
