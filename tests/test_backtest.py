"""Raw CloudTrail input and the backtest report."""

from __future__ import annotations

import gzip
from datetime import timedelta
import json

import pytest
from typer.testing import CliRunner

from elastic_pack.backtest import backtest
from elastic_pack.cli import app
from elastic_pack.cloudtrail import InputReport, cloudtrail_events, to_ecs
from elastic_pack.engine.events import parse_time

from . import cloudtrail_gen as gen
from .conftest import SHARED_REFERENCE

runner = CliRunner()
SAMPLES = SHARED_REFERENCE / "aws-cloudtrail-samples"


def test_integration_samples_map_to_the_expected_fields():
    logs = sorted(SAMPLES.glob("*.log")) if SAMPLES.is_dir() else []
    if not logs:
        pytest.skip(f"the AWS integration's pipeline samples are not at {SAMPLES} (../shared/reference on CI)")
    for log in logs:
        expected = json.loads(log.with_name(log.name + "-expected-fields.json").read_text())
        records = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        assert len(records) == 1
        doc = to_ecs(records[0])
        for name, value in expected.items():
            if name == "@timestamp":
                assert parse_time(doc[name]) == parse_time(value)
            else:
                assert doc.get(name) == value, (log.name, name)


def test_assumed_role_errors_and_source_address():
    rec = gen.record(gen.START, "ses.amazonaws.com", "SendEmail", "arn:aws:sts::1:assumed-role/r/s",
                     error="AccessDenied", role="arn:aws:iam::1:role/r")
    rec["sourceIPAddress"] = "ses.amazonaws.com"
    doc = to_ecs(rec)
    assert doc["aws.cloudtrail.user_identity.session_context.session_issuer.arn"] == "arn:aws:iam::1:role/r"
    assert doc["event.outcome"] == "failure" and doc["aws.cloudtrail.error_code"] == "AccessDenied"
    assert doc["source.address"] == "ses.amazonaws.com" and "source.ip" not in doc
    assert doc["event.dataset"] == "aws.cloudtrail" and doc["cloud.account.id"] == gen.ACCOUNT


def test_eventbridge_lake_and_ndjson_forms(tmp_path):
    rec = gen.record(gen.START, "sns.amazonaws.com", "Publish", "arn:aws:iam::1:user/u")
    (tmp_path / "eventbridge.json").write_text(json.dumps({"detail-type": "AWS API Call via CloudTrail", "detail": rec}))
    (tmp_path / "lake.json").write_text(json.dumps({"eventJson": json.dumps(rec)}))
    (tmp_path / "lines.ndjson").write_text(json.dumps(rec) + "\n" + json.dumps(rec) + "\n")
    report = InputReport()
    events = list(cloudtrail_events([tmp_path], report))
    assert len(events) == 4 and report.skipped == []


def test_bad_inputs_are_reported_per_file_and_the_run_goes_on(tmp_path):
    good = gen.write_s3_layout([gen.record(gen.START, "ses.amazonaws.com", "SendEmail", "arn:aws:iam::1:user/u")], tmp_path)
    truncated = tmp_path / "truncated.json.gz"
    truncated.write_bytes(gzip.compress(json.dumps({"Records": []}).encode())[:20])
    (tmp_path / "other.json").write_text(json.dumps({"hello": "world"}))
    no_time = gen.record(gen.START, "ses.amazonaws.com", "SendEmail", "arn:aws:iam::1:user/u")
    del no_time["eventTime"]
    (tmp_path / "no-time.json").write_text(json.dumps({"Records": [no_time]}))
    result = runner.invoke(app, ["backtest", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["events"] == 1 and data["skipped_count"] == 3
    joined = "\n".join(data["skipped"])
    assert "truncated.json.gz: unreadable" in joined
    assert "other.json: not CloudTrail" in joined
    assert "no-time.json: record" in joined and "without eventTime" in joined
    assert str(good[0]) not in joined


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    root = tmp_path_factory.mktemp("cloudtrail")
    records = gen.month(days=6)
    gen.write_s3_layout(records, root)
    ecs_file = root / "ecs.ndjson"
    ecs_file.write_text("".join(json.dumps(gen.ecs(r)) + "\n" for r in records))
    return root, ecs_file, records


def test_backtest_finds_what_preview_finds_on_the_same_events_in_ecs_form(generated):
    root, ecs_file, records = generated
    result = backtest([root / "AWSLogs"])
    assert result.events == len(records) and result.input.late == 0
    preview = runner.invoke(app, ["preview", "--events", str(ecs_file), "--json"])
    assert preview.exit_code == 0
    expected = sorted((a["rule_id"], json.dumps(a["group"], sort_keys=True), a["first_event"], a["event_count"])
                      for a in json.loads(preview.stdout))
    got = sorted((a.rule_id, json.dumps(a.group, sort_keys=True), a.to_json()["first_event"], a.event_count)
                 for a in result.alerts)
    assert got == expected and len(got) > 3
    rules = {a.rule_name for a in result.alerts}
    assert "AWS Service Enablement Followed by High-Volume Abuse" in rules


def test_report_marks_thresholds_and_names_the_newsletter_as_an_exception_candidate(generated):
    root, _, _ = generated
    result = backtest([root])
    ses = next(t for t in result.thresholds if "SES" in t.rule_name)
    assert ses.value == 101 and ses.maximum >= 300
    assert ses.percentiles["p50"] <= ses.percentiles["p99"] <= ses.maximum
    candidates = {(c["rule"], c["identity"]) for c in result.exception_candidates}
    assert ("AWS Messaging or Generative-AI Abuse by a Role Across Sessions",
            "arn:aws:iam::123456789012:role/newsletter, ses.amazonaws.com") in candidates
    assert not any("stolen" in identity for _, identity in candidates)


def test_suggested_threshold_rises_with_noise(tmp_path):
    suggestions = []
    for noise in (0.5, 3.0):
        root = tmp_path / f"noise{noise}"
        gen.write_s3_layout(gen.month(days=2, noise=noise), root)
        result = backtest([root])
        suggestions.append(next(t for t in result.thresholds if "SES" in t.rule_name).suggested)
    assert suggestions[0] < suggestions[1]


def test_from_to_and_html(generated, tmp_path):
    root, _, _ = generated
    html = tmp_path / "report.html"
    result = runner.invoke(app, ["backtest", str(root / "AWSLogs"), "--from", "2026-03-03T00:00:00Z",
                                 "--to", "2026-03-04T00:00:00Z", "--json", "--html", str(html)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["first_event"].startswith("2026-03-03") and data["last_event"].startswith("2026-03-03")
    page = html.read_text()
    assert page.startswith("<!doctype html>") and "<svg" in page and "threshold 101" in page
    assert "http" not in page.split("<body>")[1].replace("http://www.w3.org/2000/svg", "")  # self-contained


def _ses_burst(start, count, arn="arn:aws:iam::1:user/mailer"):
    return [gen.record(start + timedelta(seconds=20 * i), "ses.amazonaws.com", "SendEmail", arn) for i in range(count)]


def test_files_out_of_order_are_sorted_not_dropped(tmp_path):
    # the second file holds the first hours: read as a folder, every record still counts, in time order
    early, late = _ses_burst(gen.START, 60), _ses_burst(gen.START + timedelta(hours=6), 150)
    (tmp_path / "a.json").write_text(json.dumps({"Records": late}))
    (tmp_path / "b.json").write_text(json.dumps({"Records": early}))
    result = backtest([tmp_path])
    assert result.events == 210 and result.reordered == 60
    assert result.per_rule()["AWS SES High-Volume Email Sending by a Single Identity"] == 1


def test_suggestions_say_n_a_without_data_and_warn_when_above_what_alerted(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"Records": _ses_burst(gen.START, 120)}))
    result = backtest([tmp_path])
    stats = {t.rule_name: t for t in result.thresholds}
    assert stats["AWS SNS High-Volume Message Publishing by a Single Identity"].suggested is None
    ses = stats["AWS SES High-Volume Email Sending by a Single Identity"]
    assert ses.hours_at_or_over == 1 and ses.suggested > ses.maximum and "above the busiest hour" in ses.caveat
    data = result.to_json()
    assert data["new_terms_warm_up"] and all(w["history_window_days"] == 14 for w in data["new_terms_warm_up"])


def test_windows_can_read_the_s3_delivery_time_as_event_ingested(tmp_path):
    # 101 sends from 10:30 on, in one file delivered at 11:10: with --window-on delivery every record's window
    # time is the delivery time (raw CloudTrail has no event.ingested), and the burst still alerts once
    start = gen.START + timedelta(hours=10, minutes=30)
    records = _ses_burst(start, 101)
    name = "123456789012_CloudTrail_us-east-1_20260302T1110Z_abc.json"
    (tmp_path / name).write_text(json.dumps({"Records": records}))
    ses = "AWS SES High-Volume Email Sending by a Single Identity"
    assert backtest([tmp_path]).per_rule()[ses] == 1
    report = InputReport()
    events = list(cloudtrail_events([tmp_path], report, window_on="delivery"))
    delivered = (gen.START + timedelta(hours=11, minutes=10)).timestamp()
    assert {e.window_time for e in events} == {delivered}
    assert backtest([tmp_path], window_on="delivery").per_rule()[ses] == 1


def test_from_after_to_is_refused(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"Records": _ses_burst(gen.START, 3)}))
    result = runner.invoke(app, ["backtest", str(tmp_path), "--from", "2026-03-05", "--to", "2026-03-01"])
    assert result.exit_code == 2 and "before --to" in result.stderr


def test_parallel_decoding_answers_as_one_process(generated):
    root, _, _ = generated
    serial, parallel = backtest([root], jobs=1).to_json(), backtest([root], jobs=2).to_json()
    assert parallel == serial and serial["alerts"]


@pytest.mark.parametrize("actions", [None, frozenset({"SendEmail", "Publish"})])
def test_decoding_workers_send_the_batches_one_process_makes(generated, actions):
    """The workers' batches travel marshalled, several files a message: they arrive as decode_file makes them
    here (events, clock stubs, hours, counts, first and last), in file order."""
    from elastic_pack.cloudtrail import find_files
    from elastic_pack.cloudtrail.stream import decoded

    root, _, _ = generated
    files = find_files([root])
    assert len(files) >= 2 * 8  # enough for the workers
    args = (actions, None, None, "event")
    serial, parallel = list(decoded(files, args, 1)), list(decoded(files, args, 2))
    assert parallel == serial and any(batch.events for batch in serial)


def test_first_seen_warm_up_is_stated_and_settable(tmp_path):
    # one identity's first SES sends an hour into the input: history only by default (14 days), an alert
    # once the warm-up is set to 0; the CLI says which
    burst = _ses_burst(gen.START + timedelta(hours=1), 3, arn="arn:aws:iam::1:user/intern")
    (tmp_path / "a.json").write_text(json.dumps({"Records": burst}))
    first_seen = "First-Time Use of AWS Messaging or Generative-AI Sending APIs by an Identity"
    assert backtest([tmp_path]).per_rule()[first_seen] == 0
    assert backtest([tmp_path], warm_up=0.0).per_rule()[first_seen] == 1
    shown = runner.invoke(app, ["backtest", str(tmp_path), "--warm-up", "0"])
    assert shown.exit_code == 0 and "the first 0 days are history only" in shown.stdout
    assert runner.invoke(app, ["backtest", str(tmp_path), "--warm-up", "soon"]).exit_code == 2


@pytest.mark.parametrize("text", ["2026-01-05T09:00:00Z", "2026-01-05T09:59:59Z", "2026-12-31T23:07:30Z",
                                  "2026-01-05T09:14:07.123Z", "2026-01-05T09:14:07+02:00"])
def test_cached_eventtime_parsing_agrees_with_the_general_parser(text):
    from elastic_pack.engine.events import event_time as record_time

    assert record_time(text) == parse_time(text)


@pytest.mark.parametrize("text", ["2026-01-05T09:60:00Z", "2026-01-05T09:1a:00Z", "2026-13-05T09:10:00Z"])
def test_impossible_eventtimes_are_refused_by_the_cached_parser_too(text):
    from elastic_pack.engine.events import event_time as record_time

    with pytest.raises(ValueError):
        record_time(text)
