"""False-positive tuning as code: exception lists attached to rules, shipped in the bundle, validated."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from elastic_pack.build import bundle_objects
from elastic_pack.cli import app
from elastic_pack.content import load_pack
from elastic_pack.exceptions_model import exception_predicates, kibana_objects

from .conftest import CONTENT

runner = CliRunner()
ROLE = "arn:aws:iam::123456789012:role/marketing-automation"


def test_every_seed_rule_has_its_tuning_list():
    pack, _ = load_pack(CONTENT)
    objects = bundle_objects(pack)
    seeds = {r.rule_id for r in pack.rules if "seed_branch" in r.metadata}
    rules = [o for o in objects if o.get("rule_id") in seeds]
    assert len(rules) == 4
    lists = {o["list_id"]: o for o in objects if "list_id" in o and "item_id" not in o}
    for rule in rules:
        refs = rule.get("exceptions_list", [])
        assert refs, rule["name"]
        for ref in refs:
            assert ref["list_id"] in lists and ref["id"] == lists[ref["list_id"]]["id"]
            assert ref["type"] == "detection" and ref["namespace_type"] == "single"


def test_placeholders_are_not_shipped_but_filled_items_are():
    pack, _ = load_pack(CONTENT)
    assert [o for o in kibana_objects(pack.exception_lists) if "item_id" in o] == []
    filled = [lst.with_values({"elastic-pack-marketing-automation-roles": [ROLE]}) for lst in pack.exception_lists]
    (item,) = [o for o in kibana_objects(filled) if "item_id" in o]
    assert item["entries"] == [{"field": "aws.cloudtrail.user_identity.session_context.session_issuer.arn",
                                "operator": "included", "type": "match_any", "value": [ROLE]}]
    assert item["type"] == "simple" and item["list_id"] == "elastic-pack-sanctioned-ses-senders"


def test_exception_objects_have_the_fields_kibanas_import_requires():
    pack, _ = load_pack(CONTENT)
    filled = [lst.with_values({"elastic-pack-batch-inference-roles": ["arn:aws:iam::1:role/ds"]})
              for lst in pack.exception_lists]
    for obj in kibana_objects(filled):
        required = {"list_id", "name", "description", "type", "namespace_type"}
        if "item_id" in obj:
            required |= {"item_id", "entries"}
            assert obj["type"] == "simple"
        else:
            assert obj["type"] == "detection"
        assert required <= set(obj), obj


def test_engine_skips_events_an_exception_matches():
    pack, _ = load_pack(CONTENT)
    filled = [lst.with_values({"elastic-pack-marketing-automation-roles": [ROLE]}) for lst in pack.exception_lists]
    ses = next(r for r in pack.rules if r.path.stem == "aws_ses_high_volume_email_sending")
    (predicate,) = exception_predicates(pack, filled)[ses.rule_id]
    assert predicate({"aws.cloudtrail.user_identity.session_context.session_issuer.arn": ROLE})
    assert not predicate({"aws.cloudtrail.user_identity.session_context.session_issuer.arn": ROLE + "-x"})
    assert not predicate({"aws.cloudtrail.user_identity.arn": ROLE})


def _validate(pack_dir):
    result = runner.invoke(app, ["validate", "--content", str(pack_dir), "--json"])
    return result.exit_code, [f for f in json.loads(result.stdout) if f["check"] in ("EP016",)]


def _edit(pack_dir, old, new):
    path = pack_dir / "exceptions" / "sanctioned_email_senders.toml"
    path.write_text(path.read_text().replace(old, new, 1))
    return path


def test_exception_on_a_field_the_rules_data_lacks_is_an_error(pack_dir):
    path = _edit(pack_dir, 'field = "aws.cloudtrail.user_identity.arn"', 'field = "process.name"')
    code, findings = _validate(pack_dir)
    assert code == 1 and findings[0]["path"] == str(path)
    assert "has no field 'process.name'" in findings[0]["message"]


def test_exception_on_an_unknown_field_or_rule_is_an_error(pack_dir):
    _edit(pack_dir, 'field = "aws.cloudtrail.user_identity.arn"', 'field = "aws.cloudtrail.user_identity.arnn"')
    _edit(pack_dir, 'rules = ["aws_ses_high_volume_email_sending"', 'rules = ["aws_ses_sending"')
    code, findings = _validate(pack_dir)
    messages = " | ".join(f["message"] for f in findings)
    assert code == 1
    assert "unknown field 'aws.cloudtrail.user_identity.arnn'" in messages and "unknown rule 'aws_ses_sending'" in messages
