"""Issue 25, false success and wrong shapes: Kibana (or whatever answers in its place) says less, or other,
than its API documents. A deploy reports only what the answer accounts for or the space shows; every other
wrong shape is one clear line, never a traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from elastic_pack.build import MARKER_TAG
from elastic_pack.cli import app

from .conftest import PACK_TAG, REPO

runner = CliRunner()
RULES = len(list((REPO / "content" / "rules").glob("*.toml")))


def cli(*args):
    return runner.invoke(app, list(args))


def deploy(tmp_path, *extra):
    return cli("deploy", "--space", "soc", "--yes", "--backup-dir", str(tmp_path / "backups"), *extra)


def _one_line(result, code=1):
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result.stderr


@pytest.mark.parametrize("answer", [{"success": True}, {"success": True, "errors": []},
                                    {"success": True, "errors": ["boom", "bang"]},
                                    {"success": True, "errors": "boom", "success_count": "all"}],
                         ids=["no-errors", "empty-errors", "errors-as-strings", "errors-as-a-string"])
def test_an_import_answer_that_accounts_for_nothing_is_not_success(kibana, tmp_path, answer):
    kibana.fail("POST", "_import", status=200, body=answer, times=99)
    result = deploy(tmp_path)
    _one_line(result)
    assert f"created 0, updated 0, replaced 0, deleted 0, failed {RULES}" in result.stdout
    assert "does not account for it" in result.stderr and "the space does not hold it" in result.stderr
    assert kibana.rules("soc") == []


def test_an_import_answer_without_counts_is_believed_when_the_space_shows_the_rules(kibana, tmp_path, monkeypatch):
    """Kibana did import; only its answer is terse: the rules read back are the pack's, so they count."""
    original = kibana._import

    def terse(space, query, request):
        status, body = original(space, query, request)
        return status, {"success": True}

    monkeypatch.setattr(kibana, "_import", terse)
    result = deploy(tmp_path)
    assert result.exit_code == 0, result.output
    assert f"created {RULES}, updated 0, replaced 0, deleted 0, failed 0" in result.stdout


def test_a_restore_whose_import_accounts_for_nothing_fails(kibana, tmp_path):
    assert deploy(tmp_path).exit_code == 0
    kibana.rule("bad04895-cba0-4ebf-bb88-8a083b64d94b", "soc")["severity"] = "low"
    assert deploy(tmp_path).exit_code == 0
    backup = max((tmp_path / "backups").glob("backup-*.ndjson"))
    kibana.fail("POST", "_import", status=200, body={"success": True}, times=99)
    result = cli("restore", str(backup), "--space", "soc", "--keep-created")
    _one_line(result)
    assert "restored 0 of 1 rules" in result.stdout


def test_a_prune_whose_delete_answer_proves_nothing_reports_the_rule_as_failed(kibana, tmp_path):
    from .test_deploy import _foreign_rule

    assert deploy(tmp_path).exit_code == 0
    _foreign_rule(kibana, "old-pack-rule", [MARKER_TAG, PACK_TAG])
    kibana.fail("POST", "_bulk_action", status=200, body=["deleted, trust me"], times=99)
    result = deploy(tmp_path, "--prune")
    _one_line(result)
    assert "deleted 0" in result.stdout and "failed old-pack-rule: " in result.stderr


def test_privileges_as_a_list_is_one_failed_check(kibana):
    kibana.fail("GET", "/privileges", status=200, body=["read", "write"])
    result = cli("doctor", "--space", "soc")
    assert result.exit_code == 1 and "FAIL detection engine privileges: Kibana's answer is not" in result.stdout
    kibana.fail("GET", "/api/status", status=200, body=["9.2.0"])
    assert "Kibana unknown" in cli("doctor", "--space", "soc").stdout


@pytest.mark.parametrize("path, body, says", [
    ("items/_find", {"data": [{"id": "x", "name": "no item_id"}], "total": 1}, "not a page of exception items"),
    ("rules/_find", {"data": [{"name": "no ids"}], "total": 1}, "not a page of rules"),
    ("rules/_find", {"data": [], "total": "many"}, "no total count"),
    ("rules/_find", ["a", "list"], "has no 'data' list"),
])
def test_wrong_pages_are_one_line(kibana, tmp_path, path, body, says):
    assert deploy(tmp_path).exit_code == 0  # the lists exist: diff reads their items
    kibana.fail("GET", path, status=200, body=body, times=99)
    assert says in _one_line(cli("diff", "--space", "soc"))


def test_rules_without_a_name_are_named_by_rule_id(kibana):
    kibana.fail("GET", "rules/_find", status=200, times=99,
                body={"data": [{"rule_id": "r-1", "id": "o-1", "tags": [MARKER_TAG]}], "total": 1})
    result = cli("diff", "--space", "soc")
    assert result.exit_code == 0, result.output
    assert "(no name) r-1" in result.stdout


def test_a_list_created_without_an_id_stops_before_the_rules(kibana, tmp_path):
    kibana.fail("POST", "/api/exception_lists", status=200, body={"list_id": "x"}, times=99)
    result = deploy(tmp_path)
    assert "gives the list no id" in _one_line(result)
    assert kibana.rules("soc") == []


def test_export_of_rules_with_nulls_and_odd_values_writes_toml_or_one_line(kibana, tmp_path):
    kibana.fail("GET", "rules/_find", status=200, times=99, body={"total": 1, "data": [
        {"rule_id": "r-1", "id": "o-1", "name": "odd", "tags": [None, "x"], "meta_x": {"a": [1, "b"], "n": None}}]})
    result = cli("export", "--space", "soc", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    import tomllib

    (path,) = (tmp_path / "out").glob("*.toml")
    assert tomllib.loads(path.read_text())["rule"]["tags"] == ["x"]
