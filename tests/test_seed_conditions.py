"""Every condition of the seed's detection survives into the built rules (and a changed one is caught)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from eql import ast as eql_ast

from elastic_pack.build import pack_payloads
from elastic_pack.content import load_pack
from elastic_pack.eql.parser import field_name, parse_eql
from elastic_pack.kql import parse_kql
from elastic_pack.kql import ast as kql

from .conftest import SNS_FILE, edit_rule

ARN = "aws.cloudtrail.user_identity.arn"
ENABLEMENT = {"CreateEmailIdentity", "VerifyEmailIdentity", "PutIdentityPolicy", "SetSMSAttributes", "CreateTopic",
              "PutFoundationModelEntitlement", "CreateFoundationModelAgreement",
              "PutModelInvocationLoggingConfiguration"}
ABUSE = {"SendEmail", "SendRawEmail", "SendBulkTemplatedEmail", "SendBulkEmail", "Publish", "PublishBatch",
         "InvokeModel", "InvokeModelWithResponseStream", "CreateModelInvocationJob"}
THRESHOLD_SEED = {
    "ses.amazonaws.com": (100, {"SendEmail", "SendRawEmail", "SendBulkTemplatedEmail", "SendBulkEmail",
                                "SendTemplatedEmail"}),
    "sns.amazonaws.com": (200, {"Publish", "PublishBatch"}),
    "bedrock.amazonaws.com": (50, {"InvokeModel", "InvokeModelWithResponseStream", "CreateModelInvocationJob",
                                   "InvokeAgent"}),
}


def _kql_terms(node, field):
    """Literal values a KQL tree requires for `field` (only top-level conjunctions, as the rules write them)."""
    if isinstance(node, kql.And):
        for item in node.items:
            yield from _kql_terms(item, field)
    elif isinstance(node, kql.Or) and all(isinstance(i, kql.Match) and i.field == field for i in node.items):
        yield from (i.value.text for i in node.items)
    elif isinstance(node, kql.Match) and node.field == field:
        yield node.value.text


def _has_error_code_null_or_empty_kql(node) -> bool:
    # either order: `(not f: * or f: "")` or detection-rules' optimized `f: ("" or not *)`
    wanted = {kql.Not(kql.Exists("aws.cloudtrail.error_code")),
              kql.Match("aws.cloudtrail.error_code", kql.Literal("", True))}
    return isinstance(node, kql.And) and any(isinstance(item, kql.Or) and len(item.items) == 2
                                             and set(item.items) == wanted for item in node.items)


def threshold_problems(payload) -> list[str]:
    tree = parse_kql(payload["query"])
    (provider,) = _kql_terms(tree, "event.provider")
    more_than, actions = THRESHOLD_SEED[provider]
    problems = []
    if set(_kql_terms(tree, "event.dataset")) != {"aws.cloudtrail"}:
        problems.append("event.dataset")
    if set(_kql_terms(tree, "event.action")) != actions:
        problems.append(f"actions {sorted(set(_kql_terms(tree, 'event.action')) ^ actions)}")
    if not _has_error_code_null_or_empty_kql(tree):
        problems.append("error_code null or empty")
    if payload["threshold"] != {"field": [ARN], "value": more_than + 1}:
        problems.append(f"threshold {payload['threshold']}")
    if payload["from"] != "now-60m":
        problems.append("window")
    return problems


def _insets(node, out):
    if isinstance(node, eql_ast.InSet):
        out[field_name(node.expression)] = {s.value for s in node.container}
    if isinstance(node, eql_ast.BaseNode):
        for slot in node.__slots__:
            _insets(getattr(node, slot), out)
    elif isinstance(node, (list, tuple)):
        for item in node:
            _insets(item, out)
    return out


def sequence_problems(payload) -> list[str]:
    query = parse_eql(payload["query"])
    seq = query.sequence
    problems = []
    if query.maxspan != timedelta(hours=6):
        problems.append("maxspan")
    if query.join_fields != [ARN] or seq is None or len(seq.queries) != 11:
        problems.append("by / runs=10")
        return problems
    first, abuse = _insets(seq.queries[0].query, {}), _insets(seq.queries[1].query, {})
    if first.get("event.action") != ENABLEMENT:
        problems.append("enablement actions")
    if abuse.get("event.action") != ABUSE:
        problems.append(f"abuse actions {sorted(abuse.get('event.action', set()) ^ ABUSE)}")
    if abuse.get("event.provider") != {"ses.amazonaws.com", "sns.amazonaws.com", "bedrock.amazonaws.com"}:
        problems.append("providers")
    text = str(seq.queries[0].query) + str(seq.queries[1].query)
    if text.count('aws.cloudtrail.error_code == null or aws.cloudtrail.error_code == ""') != 2:
        problems.append("error_code null or empty")
    if text.count('event.dataset == "aws.cloudtrail"') != 2:
        problems.append("event.dataset")
    return problems


def _built(pack_dir):
    """The four seed rules as built (companion rules are checked elsewhere)."""
    pack, findings = load_pack(pack_dir)
    seeds = {r.rule_id for r in pack.rules if "seed_branch" in r.metadata}
    return {p["type"] + ":" + p["name"]: p for p in pack_payloads(pack) if p["rule_id"] in seeds}


def test_every_seed_condition_is_in_the_built_rules(pack_dir):
    payloads = _built(pack_dir)
    providers = set()
    for key, payload in payloads.items():
        if payload["type"] == "eql":
            assert sequence_problems(payload) == []
        else:
            assert threshold_problems(payload) == [], key
            providers.update(_kql_terms(parse_kql(payload["query"]), "event.provider"))
    assert providers == set(THRESHOLD_SEED)


@pytest.mark.parametrize(
    "file_name, old, new",
    [
        (SNS_FILE, ' or "PublishBatch"', ""),
        (SNS_FILE, "\nvalue = 201", "\nvalue = 200"),
        (SNS_FILE, 'aws.cloudtrail.error_code: ("" or not *)', "not aws.cloudtrail.error_code: *"),
        ("aws_service_enablement_then_abuse.toml", "with runs=10", "with runs=9"),
        ("aws_service_enablement_then_abuse.toml", '"PutIdentityPolicy",', ""),
        ("aws_service_enablement_then_abuse.toml", "maxspan=6h", "maxspan=5h"),
    ],
)
def test_changing_one_seed_condition_is_caught(pack_dir, file_name, old, new):
    edit_rule(pack_dir, file_name, old, new)
    problems = []
    for payload in _built(pack_dir).values():
        problems += sequence_problems(payload) if payload["type"] == "eql" else threshold_problems(payload)
    assert problems, f"dropping {old!r} went unnoticed"
