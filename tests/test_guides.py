"""Guides: every table row reaches the notes and playbooks it belongs to; playbooks are never stale."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from elastic_pack.build import pack_payloads
from elastic_pack.cli import app
from elastic_pack.content import load_pack
from elastic_pack.guides import TABLE_ROWS
from elastic_pack.operations import render_playbooks, stale_playbooks

from .conftest import CONTENT, REPO

runner = CliRunner()


def _payloads(content=CONTENT):
    pack, findings = load_pack(content)
    assert findings == []
    return pack, {p["rule_id"]: p for p in pack_payloads(pack)}


def test_every_row_of_t1496_004_reaches_every_rule_note_and_the_playbook():
    pack, payloads = _payloads()
    guide = pack.guides["T1496.004"]
    playbook = render_playbooks(CONTENT)["T1496.004.md"]
    aws_rules = [payloads[r.rule_id] for r in pack.rules if r.metadata["technique_guide"] == "T1496.004"]
    for row in TABLE_ROWS:
        for item in guide.table[row]:
            assert item in playbook, (row, item)
            for payload in aws_rules:
                assert item in payload["note"], (payload["name"], row, item)


def test_every_row_of_t1496_002_reaches_its_playbook_and_its_rules_notes():
    pack, payloads = _payloads()
    playbook = render_playbooks(CONTENT)["T1496.002.md"]
    rules = [r for r in pack.rules if r.metadata.get("technique_guide") == "T1496.002"]
    assert len(rules) == 3
    for rule in rules:
        assert rule.rule_id in playbook  # the playbook links to the rules that lead into it
    for row in TABLE_ROWS:
        for item in pack.guides["T1496.002"].table[row]:
            assert item in playbook, (row, item)
            for rule in rules:
                assert item in payloads[rule.rule_id]["note"], (rule.name, row, item)


def test_notes_follow_elastics_layout_and_speak_of_their_own_rule():
    _, payloads = _payloads()
    pack, _ = load_pack(CONTENT)
    focus = {r.rule_id: r.metadata["guide_focus"] for r in pack.rules}
    words = {"sequence": "enable", "ses": "email", "sns": "sms", "bedrock": "model invocations", "converse": "converse",
             "rotation": "session", "probe": "probe", "ses_recon": "sandbox", "first_seen": "first time",
             "proxyware_process": "proxyware", "proxyware_network": "domain", "egress_spike": "outbound"}
    guide_of = {r.rule_id: pack.guides[r.metadata["technique_guide"]] for r in pack.rules}
    for payload in payloads.values():
        note = payload["note"]
        assert note.startswith("## Triage and analysis\n\n### Investigating " + payload["name"])
        for heading in ("### False positive analysis", "### Response and remediation", "- [ ] "):
            assert heading in note
        for fp in payload["false_positives"]:
            assert fp in note
        guide = guide_of[payload["rule_id"]]
        assert "!{investigate" in note
        assert all("{{" + field + "}}" in note for _, field in guide.data["pivots"])
        assert payload["setup"].startswith("## Setup")
        assert guide.data["setup"]["text"].split()[0] in payload["setup"]
        assert words[focus[payload["rule_id"]]] in note.lower(), payload["name"]


def test_changing_a_row_changes_the_output(pack_dir):
    guide = pack_dir / "guides" / "T1496.004.toml"
    old = "Sudden high-volume email or SMS sending."
    guide.write_text(guide.read_text().replace(old, "Sudden bursts of outbound messages."))
    pack, payloads = _payloads(pack_dir)
    for rule in pack.rules:
        if rule.metadata["technique_guide"] != "T1496.004":
            continue
        payload = payloads[rule.rule_id]
        assert old not in payload["note"] and "Sudden bursts of outbound messages." in payload["note"]
    assert "Sudden bursts of outbound messages." in render_playbooks(pack_dir)["T1496.004.md"]


def test_deleting_a_row_fails_validation(pack_dir):
    guide = pack_dir / "guides" / "T1496.004.toml"
    text = guide.read_text()
    start = text.index("t2_actions = [")
    end = text.index("]\n", start) + 2
    guide.write_text(text[:start] + text[end:])
    result = runner.invoke(app, ["validate", "--content", str(pack_dir), "--json"])
    assert result.exit_code == 1
    assert "t2_actions" in result.stdout


def test_committed_playbooks_are_current():
    assert stale_playbooks(CONTENT, REPO / "playbooks") == []


def test_docs_check_fails_on_a_stale_playbook(tmp_path):
    out = tmp_path / "playbooks"
    assert runner.invoke(app, ["docs", "--out", str(out)]).exit_code == 0
    (out / "T1496.004.md").write_text("edited by hand\n")
    result = runner.invoke(app, ["docs", "--out", str(out), "--check"])
    assert result.exit_code == 1 and "T1496.004.md" in result.stderr


@pytest.mark.parametrize("technique", ["T1496.004", "T1496.002"])
def test_playbooks_are_laid_out_for_a_responder(technique):
    text = (REPO / "playbooks" / f"{technique}.md").read_text()
    for section in ("## 1. Triage (L1)", "## 2. Escalation criteria", "## 3. Deep dive (T2)", "## 4. Containment",
                    "## 5. Recovery", "## Rules that lead here"):
        assert section in text
    assert text.count("- [ ] ") > 10
