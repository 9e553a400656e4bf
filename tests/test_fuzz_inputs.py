"""Property: whatever a user feeds a command (broken rule files, events files, CloudTrail files), it answers
with exit code 0, 1 or 2 and a message, never a traceback, and in bounded time (hypothesis' deadline)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from elastic_pack.cli import app

from .conftest import CONTENT, SES_FILE

runner = CliRunner()
# CI runs a fixed set of examples; ELASTIC_PACK_FUZZ_EXAMPLES=500 explores new ones on a workstation
EXPLORE = int(os.environ.get("ELASTIC_PACK_FUZZ_EXAMPLES", "0"))
SETTINGS = settings(max_examples=EXPLORE or 25, deadline=timedelta(seconds=20), derandomize=not EXPLORE,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
SES_TEXT = (CONTENT / "rules" / SES_FILE).read_text()
LINES = SES_TEXT.splitlines()

junk_values = st.one_of(
    st.integers(-10**6, 10**6).map(str), st.just("[1, 2]"), st.just('["x"]'), st.just("true"), st.just("{}"),
    st.just('"[bold red]x[/]"'), st.just('"not(x:y)"'), st.just('"5m"'), st.just('""'),
    st.text(min_size=0, max_size=30).map(json.dumps),
)


@st.composite
def broken_rule_files(draw) -> bytes:
    kind = draw(st.sampled_from(["value", "drop", "truncate", "bytes", "duplicate"]))
    lines = list(LINES)
    if kind == "value":
        keyed = [i for i, line in enumerate(lines) if " = " in line and not line.startswith(" ")]
        index = draw(st.sampled_from(keyed))
        lines[index] = lines[index].split(" = ", 1)[0] + " = " + draw(junk_values)
        return "\n".join(lines).encode()
    if kind == "drop":
        del lines[draw(st.integers(0, len(lines) - 1))]
        return "\n".join(lines).encode()
    if kind == "truncate":
        return SES_TEXT.encode()[: draw(st.integers(0, len(SES_TEXT)))]
    if kind == "bytes":
        return draw(st.binary(min_size=1, max_size=200))
    return (SES_TEXT + "\n" + SES_TEXT).encode()


def _no_traceback(result) -> None:
    assert result.exit_code in (0, 1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


@settings(SETTINGS, max_examples=EXPLORE or 15)
@given(content=broken_rule_files())
def test_validate_reports_any_broken_rule_file(content):
    with tempfile.TemporaryDirectory() as folder:
        pack = Path(folder) / "content"
        shutil.copytree(CONTENT, pack, ignore=shutil.ignore_patterns("__pycache__", "scenarios"))
        (pack / "rules" / SES_FILE).write_bytes(content)
        for command in ("validate", "build", "test"):
            args = [command, "--content", str(pack)] + (["--out", str(Path(folder) / "dist")] if command == "build"
                                                        else [])
            _no_traceback(runner.invoke(app, args))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8)
timestamps = st.one_of(st.just("2026-01-05T09:00:00Z"), st.integers(-10**15, 10**15), st.floats(allow_nan=True),
                       st.just("9999-12-31T23:59:59Z"), st.just("1700000000"), st.text(max_size=12), st.none())


@st.composite
def events_files(draw) -> bytes:
    lines = []
    for _ in range(draw(st.integers(1, 6))):
        choice = draw(st.sampled_from(["event", "json", "bytes"]))
        if choice == "event":
            doc = {"@timestamp": draw(timestamps), "event": {"action": draw(st.sampled_from(["SendEmail", "x"])),
                                                             "provider": "ses.amazonaws.com"},
                   "aws": {"cloudtrail": {"user_identity": {"arn": draw(json_values)}}}}
            lines.append(json.dumps(doc).encode())
        elif choice == "json":
            lines.append(json.dumps(draw(json_values)).encode())
        else:
            lines.append(draw(st.binary(max_size=40)).replace(b"\n", b""))
    return b"\n".join(lines) + b"\n"


@SETTINGS
@given(content=events_files())
def test_preview_survives_any_events_file(content):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.ndjson"
        path.write_bytes(content)
        _no_traceback(runner.invoke(app, ["preview", "--events", str(path), "--content", str(CONTENT)]))
        _no_traceback(runner.invoke(app, ["preview", "--events", str(path), "--json", "--content", str(CONTENT)]))


@st.composite
def cloudtrail_files(draw) -> bytes:
    record = {"eventTime": draw(timestamps), "eventSource": draw(st.sampled_from(["ses.amazonaws.com", 5, None])),
              "eventName": draw(st.sampled_from(["SendEmail", "GetSendQuota", None, []])),
              "userIdentity": draw(st.one_of(json_values, st.just({"arn": "", "type": "IAMUser"}))),
              "requestParameters": draw(json_values)}
    shape = draw(st.sampled_from(["records", "array", "line", "junk", "nested"]))
    if shape == "records":
        return json.dumps({"Records": [record, draw(json_values)]}).encode()
    if shape == "array":
        return json.dumps([record, record]).encode()
    if shape == "line":
        return (json.dumps(record) + "\n" + json.dumps(draw(json_values))).encode()
    if shape == "nested":
        return ("[" * 5000 + "]" * 5000).encode()
    return draw(st.binary(max_size=100))


@SETTINGS
@given(content=cloudtrail_files())
def test_backtest_survives_any_cloudtrail_file(content):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "111122223333_CloudTrail_us-east-1_20260105T0900Z_x.json"
        path.write_bytes(content)
        _no_traceback(runner.invoke(app, ["backtest", str(path), "--content", str(CONTENT)]))
        _no_traceback(runner.invoke(app, ["backtest", str(path), "--json", "--content", str(CONTENT)]))
