"""diff and deploy against the in-process Kibana: idempotence, what analysts own, drift, prune, backup and
restore, partial failures that converge, and secrets that never show."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from elastic_pack.build import MARKER_TAG
from elastic_pack.cli import app

from .conftest import API_KEY, PACK_TAG, REPO, SES_FILE, edit_rule

runner = CliRunner()
RULES = len(list((REPO / "content" / "rules").glob("*.toml")))
LISTS = len(list((REPO / "content" / "exceptions").glob("*.toml")))
SES = "bad04895-cba0-4ebf-bb88-8a083b64d94b"
SNS = "85a7f6a2-a380-4327-b3ae-5156c9eb9131"


def cli(*args, content=None):
    argv = list(args) + (["--content", str(content)] if content else [])
    return runner.invoke(app, argv)


def deploy(tmp_path, *extra, content=None, space="soc"):
    return cli("deploy", "--space", space, "--yes", "--backup-dir", str(tmp_path / "backups"), *extra,
               content=content)


def latest_backup(tmp_path):
    return max((tmp_path / "backups").glob("backup-*.ndjson"))  # names carry the time


def plan_json(space="soc", content=None):
    result = cli("diff", "--space", space, "--json", content=content)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_first_deploy_then_diff_shows_no_changes(kibana, tmp_path):
    result = deploy(tmp_path)
    assert result.exit_code == 0, result.output
    rules = kibana.rules("soc")
    assert len(rules) == RULES and all(MARKER_TAG in r["tags"] for r in rules)
    assert all(r["enabled"] is False for r in rules)  # new rules are created disabled by default
    assert len(kibana.spaces["soc"].lists) == LISTS and "elastic-pack-cicd-pipelines" in kibana.spaces["soc"].lists
    assert plan_json()["counts"] == {"create": 0, "update": 0, "replace": 0, "unchanged": RULES, "orphan": 0}
    assert cli("diff", "--space", "soc", "--exit-code").exit_code == 0


def test_second_deploy_changes_nothing(kibana, tmp_path):
    deploy(tmp_path)
    revisions = {r["rule_id"]: r["revision"] for r in kibana.rules("soc")}
    backups = sorted((tmp_path / "backups").iterdir())
    kibana.log.clear()
    result = deploy(tmp_path)
    assert result.exit_code == 0
    assert {r["rule_id"]: r["revision"] for r in kibana.rules("soc")} == revisions
    assert not [p for m, p in kibana.log if p.endswith("_import") or m in ("POST", "PUT", "PATCH", "DELETE")]
    assert sorted((tmp_path / "backups").iterdir()) == backups  # no backup when nothing changes
    assert "nothing to do" in result.stdout
    # and without --yes nothing is asked either
    quiet = cli("deploy", "--space", "soc", "--backup-dir", str(tmp_path / "b"))
    assert quiet.exit_code == 0 and "nothing to do" in quiet.stdout


def test_enable_flag_creates_rules_enabled(kibana, tmp_path):
    assert deploy(tmp_path, "--enable").exit_code == 0
    assert all(r["enabled"] for r in kibana.rules("soc"))


def test_update_keeps_what_analysts_own(kibana, tmp_path, pack_dir):
    deploy(tmp_path, content=pack_dir)
    rule = kibana.rule(SES, "soc")
    rule["enabled"] = True
    rule["actions"] = [{"group": "default", "id": "slack-connector", "action_type_id": ".slack",
                        "params": {"message": "SES abuse"}}]
    analyst_list = {"id": "a1", "list_id": "soc-own-ses-exceptions", "type": "detection", "namespace_type": "single"}
    rule["exceptions_list"] = rule["exceptions_list"] + [analyst_list]

    edit_rule(pack_dir, SES_FILE, "risk_score = 47", "risk_score = 45")
    assert cli("bump", content=pack_dir).exit_code == 0
    plan = plan_json(content=pack_dir)
    (update,) = [r for r in plan["rules"] if r["action"] == "update"]
    assert update["rule_id"] == SES
    assert {c["field"] for c in update["changes"]} == {"risk_score", "version"}

    assert deploy(tmp_path, content=pack_dir).exit_code == 0
    after = kibana.rule(SES, "soc")
    assert after["risk_score"] == 45 and after["enabled"] is True
    assert after["actions"][0]["id"] == "slack-connector"
    assert {ref["list_id"] for ref in after["exceptions_list"]} == {"elastic-pack-sanctioned-ses-senders",
                                                                    "soc-own-ses-exceptions"}
    assert plan_json(content=pack_dir)["counts"]["unchanged"] == RULES


def test_drift_in_kibana_is_detected_with_exit_code_2(kibana, tmp_path):
    deploy(tmp_path)
    kibana.rule(SNS, "soc")["query"] = 'event.dataset: "aws.cloudtrail" and event.action: "Publish"'
    result = cli("diff", "--space", "soc", "--exit-code")
    assert result.exit_code == 2
    assert "query" in result.stdout and "PublishBatch" in result.stdout
    # reformatting alone is not drift
    deploy(tmp_path)
    kibana.rule(SNS, "soc")["query"] = "  " + kibana.rule(SNS, "soc")["query"].replace("\n  ", " \n\n    ") + "\n"
    assert cli("diff", "--space", "soc", "--exit-code").exit_code == 0


def _foreign_rule(kibana, rule_id, tags):
    from elastic_pack.testing.kibana_standin import DEFAULTS

    rule = kibana.spaces["soc"].rules
    body = {**DEFAULTS, "rule_id": rule_id, "id": rule_id + "-obj", "name": f"rule {rule_id}", "tags": tags,
            "type": "query", "query": "event.action: x", "description": "d", "risk_score": 1, "severity": "low",
            "revision": 0, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
            "created_by": "x", "updated_by": "x", "immutable": False, "rule_source": {"type": "internal"}}
    rule[body["id"]] = body


def test_prune_deletes_only_the_packs_orphans(kibana, tmp_path):
    deploy(tmp_path)
    _foreign_rule(kibana, "old-pack-rule", [MARKER_TAG, PACK_TAG])
    _foreign_rule(kibana, "analyst-rule", ["Domain: Cloud"])
    plan = plan_json()
    assert [r["rule_id"] for r in plan["rules"] if r["action"] == "orphan"] == ["old-pack-rule"]

    assert deploy(tmp_path).exit_code == 0  # without --prune the orphan stays
    assert kibana.rule("old-pack-rule", "soc") is not None
    result = deploy(tmp_path, "--prune")
    assert result.exit_code == 0, result.output
    assert kibana.rule("old-pack-rule", "soc") is None
    assert kibana.rule("analyst-rule", "soc") is not None
    assert len(kibana.rules("soc")) == RULES + 1


def test_backup_and_restore_round_trip(kibana, tmp_path, pack_dir):
    deploy(tmp_path, content=pack_dir)
    before = {k: v for k, v in kibana.rule(SES, "soc").items() if k not in ("updated_at", "revision")}
    edit_rule(pack_dir, SES_FILE, "risk_score = 47", "risk_score = 40")
    cli("bump", content=pack_dir)
    result = deploy(tmp_path, content=pack_dir)
    backup = latest_backup(tmp_path)
    assert f"elastic-pack restore {backup} --space soc" in result.stdout
    assert kibana.rule(SES, "soc")["risk_score"] == 40

    restored = cli("restore", str(backup), "--space", "soc")
    assert restored.exit_code == 0, restored.output
    after = {k: v for k, v in kibana.rule(SES, "soc").items() if k not in ("updated_at", "revision")}
    assert after == before


def test_partial_failure_reports_rules_and_a_rerun_converges(kibana, tmp_path):
    kibana.fail("POST", "_import", status=500)
    result = deploy(tmp_path)
    assert result.exit_code == 1
    assert f"failed {RULES}" in result.stdout and "run the same deploy again" in result.stderr
    assert kibana.rules("soc") == []
    assert deploy(tmp_path).exit_code == 0
    assert plan_json()["counts"]["unchanged"] == RULES


def test_per_rule_import_errors_are_reported(kibana, tmp_path, monkeypatch):
    deploy(tmp_path)
    original = kibana._import

    def half_failing(space, query, request):
        status, body = original(space, query, request)
        return status, body

    kibana.rule(SES, "soc")["risk_score"] = 1
    kibana.rule(SNS, "soc")["risk_score"] = 1
    monkeypatch.setattr(kibana, "_import", lambda *a: (200, {
        "success": False, "success_count": 1, "rules_count": 2, "errors": [
            {"rule_id": SNS, "error": {"status_code": 400, "message": "simulated refusal"}}],
        "exceptions_success": True, "exceptions_success_count": 0, "exceptions_errors": [],
        "action_connectors_success": True, "action_connectors_success_count": 0, "action_connectors_errors": [],
        "action_connectors_warnings": []}))
    result = deploy(tmp_path, "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)["result"]
    assert report["failed"] == {SNS: "simulated refusal"} and report["updated"] == [SES]


def test_dropped_connection_mid_deploy_then_converges(kibana, tmp_path, pack_dir):
    deploy(tmp_path)
    kibana.drop("POST", "_import")
    kibana.rule(SES, "soc")["severity"] = "low"
    result = deploy(tmp_path)
    assert result.exit_code == 1
    assert deploy(tmp_path).exit_code == 0
    assert kibana.rule(SES, "soc")["severity"] == "medium"


def test_reads_are_retried_on_503_and_429(kibana, tmp_path):
    kibana.fail("GET", "_find", status=503)
    kibana.fail("GET", "_find", status=429)
    assert deploy(tmp_path).exit_code == 0
    assert len(kibana.rules("soc")) == RULES


def test_type_change_is_a_replace(kibana, tmp_path):
    deploy(tmp_path)
    rule = kibana.rule(SES, "soc")
    rule["type"] = "query"
    rule.pop("threshold")
    plan = plan_json()
    assert [r["action"] for r in plan["rules"] if r["rule_id"] == SES] == ["replace"]
    assert deploy(tmp_path).exit_code == 0
    assert kibana.rule(SES, "soc")["type"] == "threshold"


def test_bad_credentials_give_one_clear_line(kibana, tmp_path, monkeypatch):
    monkeypatch.setenv("ELASTIC_API_KEY", "wrong-key-abcdef")
    result = cli("diff", "--space", "soc")
    assert result.exit_code == 1
    assert "refused the credentials" in result.stderr
    assert "wrong-key-abcdef" not in result.output and "Traceback" not in result.output


def test_unreachable_kibana_gives_one_clear_line(kibana, monkeypatch):
    monkeypatch.setenv("KIBANA_URL", "http://127.0.0.1:9")
    result = cli("diff", "--space", "soc")
    assert result.exit_code == 1
    assert "cannot reach Kibana at http://127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.output


def test_missing_space_is_named(kibana):
    result = cli("diff", "--space", "nope")
    assert result.exit_code == 1 and "'nope' does not exist" in result.stderr


def test_no_prompt_without_a_terminal(kibana, tmp_path):
    result = cli("deploy", "--space", "soc", "--backup-dir", str(tmp_path / "b"))
    assert result.exit_code == 1 and "--yes" in result.stderr
    assert kibana.rules("soc") == []


def test_dry_run_changes_nothing(kibana, tmp_path):
    result = cli("deploy", "--space", "soc", "--dry-run")
    assert result.exit_code == 0 and "create" in result.stdout
    assert kibana.rules("soc") == []


def test_secrets_never_appear_in_output_or_backups(kibana, tmp_path, pack_dir):
    outputs = [deploy(tmp_path, content=pack_dir).output]
    edit_rule(pack_dir, SES_FILE, "risk_score = 47", "risk_score = 44")
    cli("bump", content=pack_dir)
    outputs.append(deploy(tmp_path, "--json", content=pack_dir).output)
    outputs.append(cli("diff", "--space", "soc", "--json", content=pack_dir).output)
    kibana.fail("POST", "_import", status=500)
    kibana.rule(SES, "soc")["risk_score"] = 3
    outputs.append(deploy(tmp_path, content=pack_dir).output)
    for text in outputs + [p.read_text() for p in (tmp_path / "backups").glob("*")]:
        assert API_KEY not in text


def test_default_space_uses_no_space_prefix(kibana, tmp_path):
    assert deploy(tmp_path, space="default").exit_code == 0
    assert len(kibana.rules("default")) == RULES
    assert not any(p.startswith("/s/") for _, p in kibana.log)


def test_export_writes_custom_rules_as_pack_files(kibana, tmp_path):
    deploy(tmp_path)
    _foreign_rule(kibana, "analyst-rule", ["Domain: Cloud"])
    result = cli("export", "--space", "soc", "--out", str(tmp_path / "exported"))
    assert result.exit_code == 0, result.output
    (path,) = (tmp_path / "exported").glob("*.toml")
    import tomllib

    data = tomllib.loads(path.read_text())
    assert data["rule"]["rule_id"] == "analyst-rule" and data["rule"]["query"] == "event.action: x"
    assert "id" not in data["rule"] and "revision" not in data["rule"]


def test_doctor_reports_each_check(kibana):
    result = cli("doctor", "--space", "soc")
    assert result.exit_code == 0, result.output
    assert "version supports EQL" in result.stdout and "space exists" in result.stdout
    kibana.version = "8.6.2"
    result = cli("doctor", "--space", "soc")
    assert result.exit_code == 1 and "upgrade the stack to 8.9" in result.stdout


def test_stored_rules_match_kibanas_response_schema(kibana, tmp_path, kibana_openapi):
    """The stand-in answers like Kibana: what it stores validates against Kibana's RuleResponse."""
    deploy(tmp_path)
    names = {"eql": "EqlRule", "threshold": "ThresholdRule", "esql": "EsqlRule", "new_terms": "NewTermsRule",
             "query": "QueryRule"}
    for rule in kibana.rules("soc"):
        assert kibana_openapi.component_errors("model/rule_schema/rule_schemas.schema.yaml", names[rule["type"]],
                                               rule) == [], rule["name"]


def test_deploy_applies_a_saved_plan_and_refuses_a_stale_one(kibana, tmp_path):
    plan_file = tmp_path / "plan.json"
    assert cli("diff", "--space", "soc", "--out", str(plan_file)).exit_code == 0
    applied = deploy(tmp_path, "--plan", str(plan_file))
    assert applied.exit_code == 0, applied.output
    assert len(kibana.rules("soc")) == RULES

    deploy(tmp_path)
    cli("diff", "--space", "soc", "--out", str(plan_file))
    kibana.rule(SES, "soc")["revision"] += 1  # someone edits the space after the review
    kibana.rule(SES, "soc")["severity"] = "low"
    refused = deploy(tmp_path, "--plan", str(plan_file))
    assert refused.exit_code == 1 and "the space changed since" in refused.stderr
    assert kibana.rule(SES, "soc")["severity"] == "low"


def test_rules_reference_the_lists_by_the_ids_kibana_gave_them(kibana, tmp_path):
    assert deploy(tmp_path).exit_code == 0
    lists = kibana.spaces["soc"].lists
    for rule in kibana.rules("soc"):
        for ref in rule["exceptions_list"]:
            assert ref["id"] == lists[ref["list_id"]]["id"]


def test_large_packs_look_rules_up_in_short_queries(kibana, tmp_path, monkeypatch):
    from elastic_pack.deploy import plan as plan_module

    monkeypatch.setattr(plan_module, "RULE_IDS_PER_QUERY", 2)
    assert deploy(tmp_path).exit_code == 0
    finds = [p for m, p in kibana.log if p.endswith("_find")]
    assert len(finds) >= 1 + RULES // 2
    assert plan_json()["counts"]["unchanged"] == RULES


def test_credentials_in_the_url_never_show(kibana, monkeypatch):
    monkeypatch.setenv("KIBANA_URL", "http://admin:hunter2-secret@127.0.0.1:9")
    result = cli("diff", "--space", "soc")
    assert result.exit_code == 1
    assert "cannot reach Kibana at http://127.0.0.1:9" in result.stderr
    assert "hunter2-secret" not in result.output and "admin:" not in result.output


def test_prune_then_restore_brings_the_deleted_rule_back(kibana, tmp_path):
    deploy(tmp_path)
    _foreign_rule(kibana, "old-pack-rule", [MARKER_TAG, PACK_TAG])
    assert deploy(tmp_path, "--prune").exit_code == 0
    assert kibana.rule("old-pack-rule", "soc") is None
    backup = latest_backup(tmp_path)
    assert cli("restore", str(backup), "--space", "soc").exit_code == 0
    assert kibana.rule("old-pack-rule", "soc")["query"] == "event.action: x"


def test_filled_exception_items_are_deployed_once(kibana, tmp_path, pack_dir):
    path = pack_dir / "exceptions" / "sanctioned_email_senders.toml"
    path.write_text(path.read_text().replace(
        '    # "arn:aws:iam::123456789012:role/marketing-automation",',
        '    "arn:aws:iam::123456789012:role/marketing-automation",', 1))
    first = deploy(tmp_path, content=pack_dir)
    assert first.exit_code == 0, first.output
    assert "create exception item elastic-pack-marketing-automation-roles" in first.stdout
    item = kibana.spaces["soc"].items["elastic-pack-marketing-automation-roles"]
    assert item["entries"][0]["value"] == ["arn:aws:iam::123456789012:role/marketing-automation"]
    assert "nothing to do" in deploy(tmp_path, content=pack_dir).stdout


def test_exported_rules_load_back_as_the_same_rules(kibana, tmp_path):
    import tomllib

    from elastic_pack.build import rule_payload
    from elastic_pack.content.model import RuleFile

    deploy(tmp_path)
    out = tmp_path / "exported"
    assert cli("export", "--space", "soc", "--out", str(out), "--include-managed").exit_code == 0
    files = sorted(out.glob("*.toml"))
    assert len(files) == RULES
    for path in files:
        exported = RuleFile(path, path.read_text(), tomllib.loads(path.read_text()))
        original = kibana.rule(exported.rule_id, "soc")
        payload = rule_payload(exported)
        for key in ("name", "type", "query", "risk_score", "severity", "threat", "from", "interval"):
            assert payload.get(key) == original.get(key), (path.name, key)
