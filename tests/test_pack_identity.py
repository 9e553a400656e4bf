"""Issue 25, two packs in one space: every rule carries its pack's tag (pack.toml's id) and `deploy --prune`
deletes only orphans carrying this pack's tag. Rules marked only by the old global tag (deployed before packs
had ids) are never pruned unless `--prune-legacy` says so; a deploy re-tags the pack's own."""

from __future__ import annotations

import json
import re
import shutil
import uuid

from typer.testing import CliRunner

from elastic_pack.build import MARKER_TAG, pack_tag
from elastic_pack.cli import app

from .conftest import PACK_TAG, REPO

runner = CliRunner()
RULES = len(list((REPO / "content" / "rules").glob("*.toml")))


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


def deploy(tmp_path, content, *extra):
    return cli("deploy", "--space", "soc", "--yes", "--backup-dir", tmp_path / "backups", "--content", content, *extra)


def second_pack(tmp_path, pack_dir, keep=2):
    """Another pack: pack.toml id `pack-b`, `keep` rules of its own (new rule_ids and names)."""
    other = tmp_path / "packB"
    shutil.copytree(pack_dir, other)
    for path in sorted((other / "rules").glob("*.toml"))[keep:]:
        path.unlink()
    for path in (other / "rules").glob("*.toml"):
        text = re.sub(r'(?m)^rule_id = ".*"$', f'rule_id = "{uuid.uuid4()}"', path.read_text())
        path.write_text(re.sub(r'(?m)^name = "(.*)"$', r'name = "Pack B: \1"', text, count=1))
    shutil.rmtree(other / "scenarios")  # they and the exception lists name the rules just removed
    shutil.rmtree(other / "exceptions")
    (other / "version.lock.json").write_text("{}")
    (other / "pack.toml").write_text('id = "pack-b"\n')
    assert cli("bump", "--content", other).exit_code == 0
    return other


def ids_of(kibana, tag):
    return {r["rule_id"] for r in kibana.rules("soc") if tag in r["tags"]}


def test_prune_of_another_pack_leaves_this_packs_rules(kibana, tmp_path, pack_dir):
    assert deploy(tmp_path, pack_dir).exit_code == 0
    ours = ids_of(kibana, PACK_TAG)
    assert len(ours) == RULES
    other = second_pack(tmp_path, pack_dir)
    result = deploy(tmp_path, other, "--prune")
    assert result.exit_code == 0, result.output
    assert "deleted 0" in result.stdout and ", 0 orphan," in result.stdout
    assert ids_of(kibana, PACK_TAG) == ours and len(ids_of(kibana, pack_tag("pack-b"))) == 2
    # pack B drops a rule: its prune deletes that one, and only that one
    sorted((other / "rules").glob("*.toml"))[0].unlink()
    result = deploy(tmp_path, other, "--prune", "--force")
    assert result.exit_code == 0, result.output
    assert "deleted 1" in result.stdout
    assert ids_of(kibana, PACK_TAG) == ours and len(ids_of(kibana, pack_tag("pack-b"))) == 1
    # and pack A's prune leaves pack B's rule alone
    assert deploy(tmp_path, pack_dir, "--prune").exit_code == 0
    assert len(ids_of(kibana, pack_tag("pack-b"))) == 1


def test_rules_with_only_the_old_marker_are_retagged_or_kept_until_prune_legacy(kibana, tmp_path, pack_dir):
    assert deploy(tmp_path, pack_dir).exit_code == 0
    for rule in kibana.rules("soc"):  # as an elastic-pack without pack ids deployed them
        rule["tags"] = [t for t in rule["tags"] if t != PACK_TAG]
    from .test_deploy import _foreign_rule

    _foreign_rule(kibana, "legacy-rule", [MARKER_TAG])
    plan = json.loads(cli("diff", "--space", "soc", "--json", "--content", pack_dir).stdout)
    assert plan["counts"]["update"] == RULES  # the pack's own rules: only their tag changes
    assert {c["field"] for r in plan["rules"] if r["action"] == "update" for c in r["changes"]} == {"tags"}
    (legacy,) = [r for r in plan["rules"] if r["action"] == "orphan"]
    assert legacy["rule_id"] == "legacy-rule" and legacy["legacy"] is True

    kept = deploy(tmp_path, pack_dir, "--prune")
    assert kept.exit_code == 0, kept.output
    assert "orphan, old marker (kept; --prune-legacy deletes)" in kept.stdout
    assert kibana.rule("legacy-rule", "soc") is not None
    assert len(ids_of(kibana, PACK_TAG)) == RULES  # re-tagged

    pruned = deploy(tmp_path, pack_dir, "--prune-legacy")
    assert pruned.exit_code == 0, pruned.output
    assert "deleted 1" in pruned.stdout and kibana.rule("legacy-rule", "soc") is None
    backup = max((tmp_path / "backups").glob("backup-*.ndjson"))
    assert "legacy-rule" in backup.read_text()


def test_the_pack_id_is_not_part_of_the_version_lock(pack_dir):
    (pack_dir / "pack.toml").write_text('id = "renamed"\n')
    assert cli("validate", "--content", pack_dir).exit_code == 0
    built = cli("build", "--content", pack_dir, "--out", pack_dir.parent / "dist")
    assert built.exit_code == 0
    lines = [json.loads(line) for line in (pack_dir.parent / "dist" / "elastic-pack-rules.ndjson").read_text().splitlines()]
    rules = [o for o in lines if "rule_id" in o]
    assert rules and all(pack_tag("renamed") in r["tags"] and MARKER_TAG in r["tags"] for r in rules)


def test_a_bad_pack_id_is_one_finding(pack_dir):
    (pack_dir / "pack.toml").write_text('id = "Not An Id!"\n')
    result = cli("validate", "--content", pack_dir)
    assert result.exit_code == 1 and "pack.toml:1 EP002" in result.stderr
