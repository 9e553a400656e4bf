"""What deploy, diff, restore, export and bump refuse or report instead of doing harm."""

from __future__ import annotations

import json
import shutil

from typer.testing import CliRunner

from elastic_pack.build import MARKER_TAG
from elastic_pack.cli import app
from elastic_pack.testing.kibana_standin import RawAnswer

from .conftest import SES_FILE, edit_rule

runner = CliRunner()
SES = "bad04895-cba0-4ebf-bb88-8a083b64d94b"


def cli(*args):
    return runner.invoke(app, list(args))


def deploy(tmp_path, content, *extra):
    return cli("deploy", "--space", "soc", "--yes", "--backup-dir", str(tmp_path / "backups"),
               "--content", str(content), *extra)


def _no_traceback(result):
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)


def test_an_empty_pack_never_prunes(kibana, tmp_path, pack_dir):
    assert deploy(tmp_path, pack_dir).exit_code == 0
    empty = tmp_path / "empty"
    shutil.copytree(pack_dir, empty)
    for path in (empty / "rules").glob("*.toml"):
        path.unlink()
    assert cli("validate", "--content", str(empty)).exit_code == 1
    result = deploy(tmp_path, empty, "--prune", "--force")
    assert result.exit_code == 1
    assert len(kibana.rules("soc")) == len(list((pack_dir / "rules").glob("*.toml")))


def test_prune_of_most_of_the_space_needs_force(kibana, tmp_path, pack_dir):
    assert deploy(tmp_path, pack_dir).exit_code == 0
    total = len(kibana.rules("soc"))
    small = tmp_path / "small"
    shutil.copytree(pack_dir, small)
    for path in sorted((small / "rules").glob("*.toml"))[2:]:
        path.unlink()
    shutil.rmtree(small / "scenarios")  # they and the exception lists name the rules just removed
    shutil.rmtree(small / "exceptions")
    assert cli("bump", "--content", str(small)).exit_code == 0
    refused = deploy(tmp_path, small, "--prune")
    assert refused.exit_code == 1 and "--force" in refused.stderr
    assert len(kibana.rules("soc")) == total
    assert deploy(tmp_path, small, "--prune", "--force").exit_code == 0
    assert len(kibana.rules("soc")) == 2


def test_a_downgrade_is_refused_unless_allowed(kibana, tmp_path, pack_dir):
    assert deploy(tmp_path, pack_dir).exit_code == 0
    pack_version = kibana.rule(SES, "soc")["version"]
    kibana.rule(SES, "soc")["version"] = pack_version + 5
    kibana.rule(SES, "soc")["risk_score"] = 1
    plan = json.loads(cli("diff", "--space", "soc", "--json", "--content", str(pack_dir)).stdout)
    (ses,) = [r for r in plan["rules"] if r["rule_id"] == SES]
    assert ses["downgrade"] == {"kibana": pack_version + 5, "pack": pack_version}
    refused = deploy(tmp_path, pack_dir)
    assert refused.exit_code == 1 and "--allow-downgrade" in refused.stderr
    assert kibana.rule(SES, "soc")["risk_score"] == 1
    assert deploy(tmp_path, pack_dir, "--allow-downgrade").exit_code == 0
    assert kibana.rule(SES, "soc")["risk_score"] == 47


def test_exception_item_changes_are_in_the_diff_the_exit_code_and_the_plan(kibana, tmp_path, pack_dir):
    assert deploy(tmp_path, pack_dir).exit_code == 0
    path = pack_dir / "exceptions" / "sanctioned_email_senders.toml"
    path.write_text(path.read_text().replace(
        '    # "arn:aws:iam::123456789012:role/marketing-automation",',
        '    "arn:aws:iam::123456789012:role/marketing-automation",', 1))
    assert cli("diff", "--space", "soc", "--exit-code", "--content", str(pack_dir)).exit_code == 2
    out = tmp_path / "plan.json"
    assert cli("diff", "--space", "soc", "--out", str(out), "--content", str(pack_dir)).exit_code == 0
    assert json.loads(out.read_text())["exception_changes"] == [
        "create exception item elastic-pack-marketing-automation-roles"]
    assert deploy(tmp_path, pack_dir, "--plan", str(out)).exit_code == 0
    assert "elastic-pack-marketing-automation-roles" in kibana.spaces["soc"].items


def test_a_hand_edited_plan_is_refused_in_one_line(kibana, tmp_path, pack_dir):
    for text in ("[1, 2]", '{"rules": "all"}', "not json"):
        bad = tmp_path / "plan.json"
        bad.write_text(text)
        result = deploy(tmp_path, pack_dir, "--plan", str(bad))
        assert result.exit_code == 1, text
        _no_traceback(result)


def test_html_from_a_proxy_and_a_url_without_scheme_give_one_line(kibana, tmp_path, pack_dir, monkeypatch):
    kibana.fail("GET", "/api/spaces/space", status=200, body=RawAnswer("<html><body>Sign in</body></html>"))
    result = cli("diff", "--space", "soc", "--content", str(pack_dir))
    assert result.exit_code == 1 and "not JSON" in result.stderr
    _no_traceback(result)
    monkeypatch.setenv("KIBANA_URL", "kibana.example.com:5601")
    result = cli("diff", "--space", "soc", "--content", str(pack_dir))
    assert result.exit_code == 1 and "https://" in result.stderr
    _no_traceback(result)


def test_restore_goes_into_the_backups_space_and_removes_what_deploy_created(kibana, tmp_path, pack_dir):
    kibana.add_space("lab")
    result = cli("deploy", "--space", "lab", "--yes", "--backup-dir", str(tmp_path / "b"), "--content",
                 str(pack_dir))
    assert result.exit_code == 0 and "--space lab" in result.stdout
    backup = max((tmp_path / "b").glob("backup-*.ndjson"))
    restored = cli("restore", str(backup), "--json")
    assert restored.exit_code == 0
    report = json.loads(restored.stdout)
    assert report["space"] == "lab" and len(report["removed"]) == len(list((pack_dir / "rules").glob("*.toml")))
    assert kibana.rules("lab") == [] and kibana.rules("default") == []


def test_export_never_overwrites_and_keeps_rules_of_one_name_apart(kibana, tmp_path):
    for rule_id in ("r-1", "r-2"):
        kibana.spaces["soc"].rules[rule_id] = {
            "id": rule_id, "rule_id": rule_id, "name": "Same name", "type": "query", "query": "a: b",
            "language": "kuery", "description": "d", "risk_score": 1, "severity": "low", "enabled": False,
            "tags": [], "immutable": False, "version": 1}
    out = tmp_path / "exported"
    first = cli("export", "--space", "soc", "--out", str(out))
    assert first.exit_code == 0, first.output
    assert len(list(out.glob("*.toml"))) == 2
    (out / "same_name.toml").write_text("# mine")
    second = cli("export", "--space", "soc", "--out", str(out))
    assert second.exit_code == 1 and "not overwritten" in second.stderr
    assert (out / "same_name.toml").read_text() == "# mine"
    third = cli("export", "--space", "soc", "--out", str(out), "--json")
    assert third.exit_code == 1 and len(json.loads(third.stdout)["not_overwritten"]) == 2


def test_bump_refuses_a_duplicate_rule_id(tmp_path, pack_dir):
    text = (pack_dir / "rules" / SES_FILE).read_text()
    (pack_dir / "rules" / "copy_of_ses.toml").write_text(text.replace("AWS SES High-Volume", "Copy of SES", 1))
    result = cli("bump", "--content", str(pack_dir))
    assert result.exit_code == 1
    _no_traceback(result)


def test_a_corrupt_version_lock_is_a_finding_not_a_traceback(pack_dir):
    (pack_dir / "version.lock.json").write_text("{not json")
    result = cli("validate", "--content", str(pack_dir))
    assert result.exit_code == 1 and "version.lock.json" in result.output
    _no_traceback(result)


def test_marker_tag_is_still_how_prune_finds_pack_rules(kibana, tmp_path, pack_dir):
    edit_rule(pack_dir, SES_FILE, "risk_score = 47", "risk_score = 47")
    assert deploy(tmp_path, pack_dir).exit_code == 0
    assert all(MARKER_TAG in r["tags"] for r in kibana.rules("soc"))
