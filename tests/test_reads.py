"""The fields a rule reads (engine.reads), and the backtest giving rules only those: the same answers as whole
documents, for every rule of the pack, and "not known" wherever a query could read fields it does not name."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from elastic_pack.backtest import backtest
from elastic_pack.backtest import run as backtest_run
from elastic_pack.cloudtrail.ecs import EcsFields, to_ecs
from elastic_pack.content import load_pack
from elastic_pack.content.model import RuleFile
from elastic_pack.engine import compile_rule
from elastic_pack.engine.reads import keeper, projection, rules_read
from elastic_pack.exceptions_model import ExceptionEntry, ExceptionItem, item_predicate

from . import cloudtrail_gen as gen


@pytest.fixture(scope="module")
def pack_rules():
    pack, _ = load_pack()
    return pack, [compile_rule(rule) for rule in pack.rules]


def _rule(pack, rule_type: str, query: str, language: str = "kuery", **extra):
    """A pack rule of the type, its query (and parameters) replaced."""
    base = next(r for r in pack.rules if r.type == rule_type)
    rule = {**base.rule, "query": query, "language": language, **extra}
    return RuleFile(Path(f"{rule_type}.toml"), "", {**base.data, "rule": rule})


def test_the_pack_rules_say_what_they_read(pack_rules):
    pack, rules = pack_rules
    by_name = {r.name: r for r in rules}
    ses = next(r for name, r in by_name.items() if name.startswith("AWS SES High-Volume"))
    assert {"event.action", "event.provider", "aws.cloudtrail.error_code",
            "aws.cloudtrail.user_identity.arn", "@timestamp"} <= ses.reads  # query + threshold.field
    sequence = next(r for name, r in by_name.items() if name.startswith("AWS Service Enablement"))
    assert {"event.category", "aws.cloudtrail.user_identity.arn"} <= sequence.reads  # EQL category + `by`
    assert rules_read(rules) is not None and all(rules_read([r]) == r.reads for r in rules)


@pytest.mark.parametrize("query", ["aws.cloudtrail.*: x", "SendEmail", "event.action: x or *.name: y"])
def test_a_kql_wildcard_field_or_free_text_reads_unknown_fields(pack_rules, query):
    pack, _ = pack_rules
    rule = compile_rule(_rule(pack, "threshold", query))
    assert rule.reads is None and rules_read([rule]) is None


def test_kql_names_nested_paths_and_exceptions_are_read(pack_rules):
    pack, _ = pack_rules
    rule = compile_rule(_rule(pack, "threshold", 'event.action: "SendEmail" and not user.name: admin'))
    assert {"event.action", "user.name"} <= rule.reads
    predicate = item_predicate(ExceptionItem("i", "n", "d", [ExceptionEntry("source.ip", "match", "included",
                                                                            "10.0.0.1")]))
    excepted = compile_rule(_rule(pack, "threshold", "event.action: x"), [predicate])
    assert "source.ip" in excepted.reads
    unknown = compile_rule(_rule(pack, "threshold", "event.action: x"), [lambda fields: False])
    assert unknown.reads is None  # an exception predicate that does not say what it reads


def test_esql_kql_function_and_keep_patterns_read_unknown_fields(pack_rules):
    pack, _ = pack_rules
    plain = compile_rule(_rule(pack, "esql", 'FROM logs-* | WHERE event.action == "x" | KEEP user.name',
                               language="esql"))
    assert {"event.action", "user.name"} <= plain.reads
    for query in ('FROM logs-* | WHERE KQL("event.action: x")', "FROM logs-* | KEEP user.*",
                  "FROM logs-* | DROP user*"):
        assert compile_rule(_rule(pack, "esql", query, language="esql")).reads is None, query


def test_a_read_field_keeps_the_keys_it_could_be_answered_from():
    keeps = keeper(frozenset({"user", "request.keyword", "event.action"}))
    assert keeps("user.name") and keeps("user")  # under it
    assert keeps("request")  # above it: a multi-field is answered from its parent
    assert keeps("event.action") and keeps("event")  # an object at `event` may hold `action`
    assert not keeps("event.actions") and not keeps("event.outcome")
    assert not keeps("users.name") and not keeps("source.ip")


def _records():
    base = gen.START + timedelta(minutes=5)
    plain = gen.record(base, "ses.amazonaws.com", "SendEmail", "arn:aws:iam::1:user/a")
    role = gen.record(base, "sns.amazonaws.com", "Publish", "arn:aws:sts::1:assumed-role/r/s",
                      role="arn:aws:iam::1:role/r", error="AccessDenied")
    host = {**plain, "sourceIPAddress": "ses.amazonaws.com", "requestParameters": {"b": [1, True], "a": None}}
    empty = {**plain, "userAgent": "", "userIdentity": {"type": "Root", "userName": "root", "arn": ""}}
    return [plain, role, host, empty]


@pytest.mark.parametrize("reads", [
    frozenset({"@timestamp", "event.dataset"}),
    frozenset({"event.action", "aws.cloudtrail.user_identity.arn", "aws.cloudtrail.error_code"}),
    frozenset({"source.ip"}), frozenset({"source"}), frozenset({"aws.cloudtrail"}),
    frozenset({"event.type", "event.category", "user.name", "cloud.account.id"}),
    frozenset({"aws.cloudtrail.request_parameters.keyword", "event.outcome"}),
], ids=str)
def test_ecs_mapping_of_the_read_fields_equals_the_whole_mapping_projected(reads):
    reads = reads | {"@timestamp", "event.dataset"}
    for record in _records():
        assert to_ecs(record, EcsFields(keeper(reads))) == projection(reads)(to_ecs(record))
    assert to_ecs(_records()[0], EcsFields()) == to_ecs(_records()[0])  # no reader: every field


def test_backtest_answers_the_same_with_the_read_fields_as_with_whole_documents(tmp_path, monkeypatch):
    gen.write_s3_layout(gen.month(days=4, background=20), tmp_path)
    projected = backtest([tmp_path], jobs=1).to_json()
    monkeypatch.setattr(backtest_run, "rules_read", lambda rules: None)
    whole = backtest([tmp_path], jobs=1).to_json()
    assert projected == whole and projected["alerts"]
