"""What elastic/detection-rules' (2.1.7) loader and unit tests require of our rule files, checked without
detection-rules installed (issue 25), so a change cannot undo what makes the pack load there:

- ES|QL rules: a KEEP command, an aggregate (STATS ... BY) or FROM ... METADATA _id, _version, _index, and
  alert suppression that names missing_fields_strategy (its schema requires it);
- KQL rules in its "optimized" form: alternatives of one field as one value list
  (`error_code: ("" or not *)`, not `not error_code: * or error_code: ""`);
- every `logs-<integration>...` index pattern's integration in [metadata] integration, and a rule reading
  Sysmon data tagged `Data Source: Sysmon`;
- the import bundle's required_fields carry `ecs`, as Kibana's export does;
- the tests bypassed in content/detection-rules/test_config.yaml are the ones docs/rules.md gives a reason for.
"""

from __future__ import annotations

import json
import re

import pytest

from elastic_pack.kql import ast as kql
from elastic_pack.kql import parse as parse_kql
from elastic_pack.build import bundle_objects
from elastic_pack.content import load_pack

from .conftest import CONTENT, REPO

PACK, _ = load_pack(CONTENT)
RULES = {rule.path.name: rule for rule in PACK.rules}
ESQL = [name for name, rule in RULES.items() if rule.rule.get("language") == "esql"]
KQL = [name for name, rule in RULES.items() if rule.rule.get("language") == "kuery"]
TEST_CONFIG = CONTENT / "detection-rules" / "test_config.yaml"


def test_the_pack_has_rules_of_each_language_checked_here():
    assert len(RULES) == 14 and ESQL and KQL


@pytest.mark.parametrize("name", ESQL)
def test_esql_rules_have_what_its_loader_requires(name):
    rule = RULES[name].rule
    query = rule["query"].lower()
    # detection-rules' own patterns (rule.py, ESQLRuleData.validates_esql_data)
    assert re.search(r"\|\s*keep\b\s+([^\|]+)", query, re.DOTALL), "no KEEP command"
    assert re.search(r"(from\s+(?:\S+\s*,\s*)*\S+\s+metadata\s+(?:_id|_version|_index)(?:,\s*(?:_id|_version|_index)){2})"
                     r"|(\bstats\b.*?\bby\b)", query, re.DOTALL), "neither STATS ... BY nor METADATA _id, _version, _index"
    if "alert_suppression" in rule:
        assert rule["alert_suppression"].get("missing_fields_strategy") in ("suppress", "doNotSuppress")


def _fields(node):
    if isinstance(node, (kql.Match, kql.Exists)):
        yield node.field
    for child in getattr(node, "items", ()) or ((node.item,) if isinstance(node, kql.Not) else ()):
        yield from _fields(child)


def _split_comparisons(query: str) -> list[str]:
    """Alternatives of one field written as separate comparisons (`f: a or f: b`, `not f: * or f: ""`)."""
    found = []
    for field in sorted(set(_fields(parse_kql(query)))):
        f = re.escape(field)
        split = re.search(rf"(?:\bnot\s+)?(?<![\w.]){f}\s*:\s*(?:\"[^\"]*\"|[^\s()]+)\s+or\s+(?:not\s+)?{f}\s*:", query)
        if split:
            found.append(split.group(0))
    return found


@pytest.mark.parametrize("name", KQL)
def test_kql_alternatives_of_one_field_are_one_value_list(name):
    """Its optimizer joins `f: a or f: b` (and `not f: * or f: ""`) into `f: (a or b)` and fails a query
    written otherwise; value lists' order does not matter to it."""
    assert _split_comparisons(RULES[name].rule["query"]) == []


def test_the_split_forms_are_caught():
    query = 'x: ("a" or "b") and (not e: * or e: "") and (y: "a" or y: "b") and z: ("" or not *)'
    assert _split_comparisons(query) == ['not e: * or e:', 'y: "a" or y:']


def test_the_split_error_code_form_is_not_back():
    for name in KQL:
        assert "not aws.cloudtrail.error_code: * or" not in RULES[name].rule["query"], name


@pytest.mark.parametrize("name", sorted(RULES))
def test_index_integrations_are_in_metadata(name):
    rule = RULES[name]
    integrations = set(rule.data["metadata"].get("integration", []))
    for index in rule.rule.get("index", []):
        if index.startswith("logs-"):
            assert re.match(r"\w+", index[len("logs-"):]).group(0) in integrations, index
        if "sysmon" in index:
            assert "Data Source: Sysmon" in rule.rule["tags"]


def test_bundle_required_fields_carry_ecs():
    rules = [obj for obj in bundle_objects(PACK) if "rule_id" in obj and "required_fields" in obj]
    assert len(rules) == 14
    for payload in rules:
        for field in payload["required_fields"]:
            assert isinstance(field.get("ecs"), bool), (payload["name"], field)
        by_name = {f["name"]: f["ecs"] for f in payload["required_fields"]}
        if "event.action" in by_name:
            assert by_name["event.action"] is True
        if "aws.cloudtrail.user_identity.arn" in by_name:
            assert by_name["aws.cloudtrail.user_identity.arn"] is False
    assert json.dumps(rules)  # still plain JSON


def test_every_bypass_is_one_the_docs_explain():
    bypassed = re.findall(r"^\s*-\s+(tests\.\S+)\s*$", TEST_CONFIG.read_text(encoding="utf-8"), re.MULTILINE)
    assert "tests.test_all_rules.TestRuleTiming.test_eql_interval_to_maxspan" in bypassed
    readme = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    for test in bypassed:
        assert test.rsplit(".", 1)[-1] in readme, test
