"""deploy.normalize: what counts as a change between the pack's rule and the space's, and what an update keeps."""

from __future__ import annotations

from elastic_pack.deploy.normalize import as_backup, field_changes, merged_for_update, normalise_query

PACK = {"rule_id": "r", "name": "R", "type": "threshold", "query": 'event.action: "Send Email"  and a : b',
        "tags": ["x"], "threshold": {"field": ["user.name"], "value": 101}, "note": "guide\n",
        "exceptions_list": [{"list_id": "ours", "namespace_type": "single", "type": "detection", "id": "1"}]}


def _space(**changes):
    return {**PACK, "id": "abc", "updated_at": "2026-01-01", "revision": 3, "enabled": True,
            "query": 'event.action: "Send Email" and a : b', "threshold": {"field": "user.name", "value": 101},
            "note": "guide", **changes}


def test_formatting_kibana_does_not_care_about_is_no_change():
    assert field_changes(PACK, _space()) == []  # whitespace, a field as text, a trailing newline, server fields


def test_whitespace_inside_quotes_is_a_change():
    assert normalise_query('a: "x  y"') != normalise_query('a: "x y"')
    changes = field_changes(PACK, _space(query='event.action: "Send  Email" and a : b'))
    assert [c[0] for c in changes] == ["query"]


def test_each_managed_difference_is_reported_with_both_values():
    changes = field_changes(PACK, _space(tags=[], threshold={"field": ["user.name"], "value": 100}))
    assert ("tags", [], ["x"]) in changes
    assert ("threshold", {"field": ["user.name"], "value": 100}, {"field": ["user.name"], "value": 101}) in changes


def test_a_missing_exception_list_reference_is_a_change():
    changes = field_changes(PACK, _space(exceptions_list=[]))
    assert ("exceptions_list", [], "+ ours") in changes


def test_update_keeps_what_analysts_own():
    theirs = {"list_id": "soc-tuning", "namespace_type": "single", "type": "detection", "id": "2"}
    body = merged_for_update(PACK, _space(enabled=True, actions=[{"id": "slack"}],
                                          exceptions_list=[PACK["exceptions_list"][0], theirs]))
    assert body["enabled"] is True and body["actions"] == [{"id": "slack"}]
    assert [ref["list_id"] for ref in body["exceptions_list"]] == ["ours", "soc-tuning"]
    assert merged_for_update(PACK, _space(enabled=True), enabled=False)["enabled"] is False


def test_backup_lines_leave_out_what_kibana_owns():
    line = as_backup(_space(required_fields=[{"name": "a", "type": "keyword", "ecs": False}]))
    assert "id" not in line and "revision" not in line and "updated_at" not in line
    assert line["required_fields"] == [{"name": "a", "type": "keyword"}] and line["enabled"] is True
