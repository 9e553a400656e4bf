"""Crash consistency: a deploy that dies, is interrupted or meets a fault at any write request loses no
rule; the next deploy converges with what analysts own, and the backup puts the space back exactly."""

from __future__ import annotations

import copy
import json

import pytest
from typer.testing import CliRunner

from elastic_pack.cli import app
from elastic_pack.deploy.normalize import as_backup
from elastic_pack.testing.kibana_standin import StandInKilled

from .conftest import SNS_FILE, edit_rule

runner = CliRunner()
SES = "bad04895-cba0-4ebf-bb88-8a083b64d94b"
SNS = "85a7f6a2-a380-4327-b3ae-5156c9eb9131"
ACTIONS = [{"group": "default", "id": "slack-connector", "action_type_id": ".slack", "params": {"message": "x"}}]
FOREIGN = {"id": "a1", "list_id": "soc-own-exceptions", "type": "detection", "namespace_type": "single"}


def cli(*args):
    return runner.invoke(app, list(args))


def deploy(tmp_path, pack_dir, *extra):
    return cli("deploy", "--space", "soc", "--yes", "--backup-dir", str(tmp_path / "backups"),
               "--content", str(pack_dir), *extra)


@pytest.fixture
def staged(kibana, tmp_path, pack_dir):
    """A space where analysts own state on two rules, and a pack that updates one and changes the type of
    the other (Kibana holds the SES rule as a query rule; the pack has it as a threshold rule)."""
    assert deploy(tmp_path, pack_dir).exit_code == 0
    for rule_id in (SES, SNS):
        rule = kibana.rule(rule_id, "soc")
        rule.update(enabled=True, actions=copy.deepcopy(ACTIONS),
                    exceptions_list=rule["exceptions_list"] + [dict(FOREIGN)])
    ses = kibana.rule(SES, "soc")
    ses["type"] = "query"
    ses.pop("threshold")
    edit_rule(pack_dir, SNS_FILE, "risk_score = 47", "risk_score = 45")
    assert cli("bump", "--content", str(pack_dir)).exit_code == 0
    plan = json.loads(cli("diff", "--space", "soc", "--json", "--content", str(pack_dir)).stdout)
    assert plan["counts"]["update"] == plan["counts"]["replace"] == 1, plan["counts"]
    return copy.deepcopy(kibana.spaces["soc"])


def _writes_of_a_clean_run(kibana, tmp_path, pack_dir, initial) -> int:
    kibana.spaces["soc"] = copy.deepcopy(initial)
    kibana.break_write, kibana.writes = (10 ** 6, "none"), 0
    assert deploy(tmp_path / "probe", pack_dir).exit_code == 0
    return kibana.writes


def _rules_by_id(space) -> dict:
    return {r["rule_id"]: as_backup(r) for r in space.rules.values()}


def _assert_converged(kibana, tmp_path, pack_dir):
    kibana.break_write = None
    result = deploy(tmp_path, pack_dir)
    assert result.exit_code == 0, result.output
    for rule_id in (SES, SNS):
        rule = kibana.rule(rule_id, "soc")
        assert rule is not None, f"{rule_id} lost"
        assert rule["enabled"] is True and rule["actions"] == ACTIONS
        assert "soc-own-exceptions" in [ref["list_id"] for ref in rule["exceptions_list"]]
    assert kibana.rule(SES, "soc")["type"] == "threshold"
    plan = json.loads(cli("diff", "--space", "soc", "--json", "--content", str(pack_dir)).stdout)
    assert plan["counts"]["create"] == plan["counts"]["update"] == plan["counts"]["replace"] == 0


@pytest.mark.parametrize("what", ["kill-before", "kill-after", 500, 429, "drop"])
def test_any_write_may_fail_and_a_rerun_converges_without_loss(kibana, tmp_path, pack_dir, staged, what):
    writes = _writes_of_a_clean_run(kibana, tmp_path, pack_dir, staged)
    assert writes >= 3  # the update's import, the replacement's delete and its import
    for number in range(1, writes + 1):
        kibana.spaces["soc"] = copy.deepcopy(staged)
        run_dir = tmp_path / f"run-{number}"
        kibana.break_write, kibana.writes = (number, what), 0
        if str(what).startswith("kill"):
            with pytest.raises(StandInKilled):
                deploy(run_dir, pack_dir)
        else:
            broken = deploy(run_dir, pack_dir)
            assert broken.exit_code == 1 and "Traceback" not in broken.output
        if what != "kill-after":
            # a rule is never missing for longer than the step in flight, unless the process died in it
            present = {r["rule_id"] for r in kibana.spaces["soc"].rules.values()}
            assert {SES, SNS} <= present or str(what).startswith("kill"), (number, what)
        _assert_converged(kibana, run_dir, pack_dir)


@pytest.mark.parametrize("what", ["kill-before", "kill-after"])
def test_the_backup_puts_the_space_back_exactly_after_a_crash(kibana, tmp_path, pack_dir, staged, what):
    writes = _writes_of_a_clean_run(kibana, tmp_path, pack_dir, staged)
    for number in range(1, writes + 1):
        kibana.spaces["soc"] = copy.deepcopy(staged)
        run_dir = tmp_path / f"run-{number}"
        kibana.break_write, kibana.writes = (number, what), 0
        with pytest.raises(StandInKilled):
            deploy(run_dir, pack_dir)
        kibana.break_write = None
        backup = max((run_dir / "backups").glob("backup-*.ndjson"))
        restored = cli("restore", str(backup))  # the space comes from the backup
        assert restored.exit_code == 0, restored.output
        assert _rules_by_id(kibana.spaces["soc"]) == _rules_by_id(staged), (number, what)


def test_ctrl_c_finishes_the_step_in_flight_and_says_what_was_not_done(kibana, tmp_path, pack_dir, staged,
                                                                      monkeypatch):
    from elastic_pack.deploy import interrupt

    calls = {"n": 0}

    class Stop:
        def __enter__(self):
            def requested():
                calls["n"] += 1
                return calls["n"] > 1  # Ctrl-C arrives while the first step is in flight
            return requested

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(interrupt, "deferred_interrupt", lambda: Stop())
    monkeypatch.setattr("elastic_pack.deploy.deferred_interrupt", lambda: Stop())
    result = deploy(tmp_path, pack_dir)
    calls["n"] = -10 ** 9  # no Ctrl-C in the next deploy
    assert result.exit_code == 130
    assert "interrupted" in result.stderr and SES in result.stderr
    assert "elastic-pack restore" in result.stdout and "--space soc" in result.stdout
    assert kibana.rule(SES, "soc") is not None  # the replacement was not started: the old rule is intact
    _assert_converged(kibana, tmp_path, pack_dir)
