"""Issue 25, markup: text from events, files, folders, the pack and Kibana reaches the console as it is.
Each command runs through the public CLI with values that are rich markup: `[/evil]` used to crash the
command (MarkupError), `[b]admin` used to print as `admin` (the wrong identity)."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta

from typer.testing import CliRunner

from elastic_pack.build import MARKER_TAG
from elastic_pack.cli import app

from . import cloudtrail_gen as gen
from .conftest import PACK_TAG, SES_FILE, edit_rule

runner = CliRunner()
EVIL = "arn:aws:iam::1:user/[/evil]"
BOLD = "arn:aws:iam::1:user/[b]admin"
SES_NAME = "AWS SES High-Volume Email Sending by a Single Identity"


def _clean(result, code=0):
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == code, result.output
    assert "MarkupError" not in result.output and "Traceback" not in result.output
    return result.output


def _sends(arn, start, count=120):
    return [gen.record(start + timedelta(seconds=20 * i), "ses.amazonaws.com", "SendEmail", arn) for i in range(count)]


def test_preview_shows_markup_in_identities_as_it_is(tmp_path):
    docs = [gen.ecs(r) for arn in (EVIL, BOLD) for r in _sends(arn, gen.START)]
    events = tmp_path / "events[/x].ndjson"  # a folder `events[` holding `x].ndjson`
    events.parent.mkdir()
    events.write_text("".join(json.dumps(d) + "\n" for d in docs) + "not json [/y]\n")
    out = _clean(runner.invoke(app, ["preview", "--events", str(events)]))
    assert EVIL in out and BOLD in out
    assert "events[/x].ndjson" in out  # the skipped line names the file as it is


def test_backtest_shows_identities_folders_and_files_as_they_are(tmp_path):
    folder = tmp_path / "d[/y]"
    folder.mkdir(parents=True)
    records = [r for day in range(3) for arn in (EVIL, BOLD) for r in _sends(arn, gen.START + timedelta(days=day))]
    (folder / "trail.json").write_text(json.dumps({"Records": records}))
    (folder / "bad[b].json").write_text("{not json")
    (tmp_path / "r[").mkdir()
    out = _clean(runner.invoke(app, ["backtest", str(folder), "--html", str(tmp_path / "r[/h].html")]))
    assert f"{SES_NAME}: {EVIL} (3 of 3 days)" in out  # an exception candidate, named exactly
    assert f"{SES_NAME}: {BOLD} (3 of 3 days)" in out
    assert "bad[b].json" in out and "r[/h].html" in out
    missing = runner.invoke(app, ["backtest", str(tmp_path / "nope[/x]")])
    assert "nope[/x]" in _clean(missing, 1)
    bad_date = runner.invoke(app, ["backtest", str(folder), "--from", "[/when]"])
    assert "[/when]" in _clean(bad_date, 1)


def test_validate_test_and_bump_show_folder_rule_and_scenario_names_as_they_are(tmp_path, pack_dir):
    odd = tmp_path / "p[/q]"
    odd.parent.mkdir()
    shutil.copytree(pack_dir, odd)
    assert f"in {odd}, 0 errors" in _clean(runner.invoke(app, ["validate", "--content", str(odd)]))
    edit_rule(odd, SES_FILE, f'name = "{SES_NAME}"', 'name = "old [/x] rule [b]admin"')
    scenario = odd / "scenarios" / "atomic_1_ses_send_10.toml"
    scenario.write_text(scenario.read_text().replace('name = "atomic_1_ses_send_10"', 'name = "s[/c] [b]x"'))
    bumped = _clean(runner.invoke(app, ["bump", "--content", str(odd)]))
    assert "old [/x] rule [b]admin: version" in bumped
    tested = runner.invoke(app, ["test", "--content", str(odd)])
    assert "s[/c] [b]x" in _clean(tested, tested.exit_code) and "old [/x] rule [b]admin" in tested.output
    stale = runner.invoke(app, ["docs", "--content", str(odd), "--check", "--out", str(tmp_path / "b[/k]")])
    assert "b[/k]" in _clean(stale, 1)
    not_a_folder = tmp_path / "f[/x]"
    not_a_folder.parent.mkdir()
    not_a_folder.write_text("")
    assert "f[/x]" in _clean(runner.invoke(app, ["build", "--content", str(odd), "--out", str(not_a_folder)]), 2)


def test_seed_hint_keeps_its_brackets(monkeypatch):
    def no_client(url=None):
        raise RuntimeError("seed needs the Elasticsearch client: pip install 'elastic-pack[lab]'")

    monkeypatch.setattr("elastic_pack.lab.elasticsearch_client", no_client)
    out = _clean(runner.invoke(app, ["seed", "--scenario", "atomic_1_ses_send_10"]), 1)
    assert "pip install 'elastic-pack[lab]'" in out
    unknown = runner.invoke(app, ["seed", "--scenario", "[/nope]"])
    assert "'[/nope]'" in _clean(unknown, 1)


def _pack_rule_in_kibana(kibana, rule_id, name):
    from elastic_pack.testing.kibana_standin import DEFAULTS

    body = {**DEFAULTS, "rule_id": rule_id, "id": rule_id + "-obj", "name": name, "tags": [MARKER_TAG, PACK_TAG],
            "type": "query", "query": "event.action: x", "description": "d", "risk_score": 1, "severity": "low",
            "revision": 0, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
            "created_by": "x", "updated_by": "x", "immutable": False, "rule_source": {"type": "internal"}}
    kibana.spaces["soc"].rules[body["id"]] = body


def test_diff_deploy_prune_and_doctor_show_kibanas_names_as_they_are(kibana, tmp_path):
    deploy = ["deploy", "--space", "soc", "--yes", "--backup-dir", str(tmp_path / "b[/k]")]
    _clean(runner.invoke(app, deploy))
    _pack_rule_in_kibana(kibana, "old-one", "old [/x] rule")
    _pack_rule_in_kibana(kibana, "old-two", "[b]admin rule")
    diff = _clean(runner.invoke(app, ["diff", "--space", "soc"]))
    assert "old [/x] rule" in diff and "[b]admin rule" in diff
    pruned = _clean(runner.invoke(app, [*deploy, "--prune"]))
    assert "old [/x] rule" in pruned and "b[/k]" in pruned
    assert kibana.rule("old-one", "soc") is None
    kibana.fail("GET", "/api/spaces/space/", status=403, body={"message": "no [/x] privilege [b]here"})
    assert "no [/x] privilege [b]here" in _clean(runner.invoke(app, ["diff", "--space", "soc"]), 1)
    kibana.version = "[/x]9.2.0"
    assert "Kibana [/x]9.2.0" in _clean(runner.invoke(app, ["doctor", "--space", "soc"]), 1)
