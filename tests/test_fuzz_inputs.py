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


# -- issue 25: markup in every string, wrong-shaped and hostile Kibana answers, output paths ---------------------

markup = st.one_of(st.sampled_from(["[/evil]", "[b]admin", "[/]", "[link=http://x]y", "[red]", "\\[x]", "[[/a]]"]),
                   st.text(alphabet="[]/bx=", min_size=1, max_size=8))


@SETTINGS
@given(tail=markup)
def test_identities_and_file_names_with_markup_print_as_they_are(tail):
    from datetime import datetime, timezone

    arn = f"arn:aws:iam::1:user/{tail}"
    start = datetime(2026, 1, 5, 9, tzinfo=timezone.utc).timestamp()
    docs = [{"@timestamp": int((start + 5 * i) * 1000), "event.dataset": "aws.cloudtrail",
             "event.provider": "ses.amazonaws.com", "event.action": "SendEmail",
             "aws.cloudtrail.user_identity.arn": arn} for i in range(101)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"ev{tail.replace('/', '_')}.ndjson"
        path.write_text("".join(json.dumps(d) + "\n" for d in docs) + "{broken\n")
        result = runner.invoke(app, ["preview", "--events", str(path), "--content", str(CONTENT)])
        _no_traceback(result)
        assert arn in result.stdout and path.name in result.stderr


@st.composite
def kibana_answers(draw):
    """One route of the stand-in Kibana answering with any status and any JSON (or none of both)."""
    route = draw(st.sampled_from([("GET", "/api/status"), ("GET", "/api/spaces/space/"), ("GET", "privileges"),
                                  ("GET", "rules/_find"), ("GET", "items/_find"), ("GET", "/api/exception_lists"),
                                  ("POST", "/api/exception_lists"), ("POST", "_import"), ("POST", "_bulk_action")]))
    status = draw(st.sampled_from([200, 200, 200, 400, 401, 403, 404, 429, 500, 503]))
    body = draw(st.one_of(json_values, st.fixed_dictionaries({"data": json_values, "total": json_values}),
                          st.fixed_dictionaries({"success": st.booleans(), "errors": json_values}),
                          st.fixed_dictionaries({"message": markup})))
    return route, status, body


@settings(SETTINGS, max_examples=EXPLORE or 20)
@given(answer=kibana_answers(), command=st.sampled_from([["doctor"], ["diff"], ["deploy", "--yes", "--prune"],
                                                          ["export", "--out"]]))
def test_any_answer_from_kibana_is_a_report_or_one_line(answer, command):
    import pytest

    from elastic_pack.cli import kibana_options
    from elastic_pack.testing import StandInKibana

    (method, path), status, body = answer
    kibana = StandInKibana(api_key="k")
    kibana.add_space("soc")
    kibana.fail(method, path, status=status, body=body or {"message": "empty"}, times=99)
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        patch.setattr(kibana_options, "session_factory", kibana.session)
        patch.setattr(kibana_options, "client_settings", {"retries": 0})
        patch.setenv("KIBANA_URL", kibana.url)
        patch.setenv("ELASTIC_API_KEY", "k")
        extra = [str(Path(folder) / "x")] if command[-1] == "--out" else []
        if command[0] == "deploy":
            extra = ["--backup-dir", str(Path(folder) / "b")]
        result = runner.invoke(app, [*command, *extra, "--space", "soc"])
    _no_traceback(result)
    if result.exit_code == 1 and command[0] in ("diff", "export"):
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@SETTINGS
@given(place=st.sampled_from(["folder", "file", "under-file", "new"]),
       option=st.sampled_from([("diff", "--out", False), ("test", "--junit", False), ("backtest", "--html", False),
                               ("build", "--out", True), ("docs", "--out", True)]))
def test_every_output_option_takes_a_path_or_refuses_it_in_one_line(place, option):
    import pytest

    from elastic_pack.cli import kibana_options
    from elastic_pack.testing import StandInKibana

    command, flag, wants_folder = option
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        root = Path(folder)
        (root / "a-folder").mkdir()
        (root / "README.md").write_text("x")
        (root / "t.json").write_text('{"Records": []}')
        target = {"folder": root / "a-folder", "file": root / "README.md", "under-file": root / "README.md" / "x",
                  "new": root / "new" / "deeper" / "x"}[place]
        kibana = StandInKibana(api_key="k")
        patch.setattr(kibana_options, "session_factory", kibana.session)
        patch.setenv("KIBANA_URL", kibana.url)
        patch.setenv("ELASTIC_API_KEY", "k")
        args = {"diff": ["diff"], "test": ["test", "atomic_1_ses_send_10"], "backtest": ["backtest", str(root / "t.json")],
                "build": ["build"], "docs": ["docs"]}[command]
        result = runner.invoke(app, [*args, flag, str(target), "--content", str(CONTENT)])
    _no_traceback(result)
    refused = place == "under-file" or (place == "folder" and not wants_folder) or (place == "file" and wants_folder)
    assert (result.exit_code == 2) == refused, result.output
    if refused:
        assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error: ")


scenario_values = {
    "start": st.one_of(st.sampled_from(['"2026-01-05T09:00:00Z"', "5", '"1970-01-01T00:00:00Z"', '"9999-12-31T00:00:00Z"',
                                        '"2026-01-05T09:00:00"', "2026-01-05T09:00:00Z", '"garbage"', "[1]"]),
                       st.text(max_size=12).map(json.dumps)),
    "every": st.one_of(st.sampled_from(['"2s"', '"banana"', '"-5s"', '"0s"', '"99999999999d"', "5", '"1h30m"']),
                       st.text(max_size=8).map(json.dumps)),
    "count": st.sampled_from(["10", "-5", "0", "100000001", '"ten"', "2.5", "true", "[10]"]),
    "offset": st.sampled_from(['"0s"', '"-5m"', '"16d"', '"x"', "{}", '"36500d"']),
    "fields": st.sampled_from(["{}", '{"@timestamp" = "garbage"}', '{"event.ingested" = 5}', '"not a table"',
                               '{"x" = ' + "[" * 40 + "]" * 40 + "}"]),
}


@settings(SETTINGS, max_examples=EXPLORE or 20)
@given(values=st.fixed_dictionaries(scenario_values))
def test_any_scenario_values_are_a_finding_or_run(values):
    with tempfile.TemporaryDirectory() as folder:
        pack = Path(folder) / "content"
        shutil.copytree(CONTENT, pack, ignore=shutil.ignore_patterns("__pycache__"))
        for path in (pack / "scenarios").glob("*.toml"):
            path.unlink()
        (pack / "scenarios" / "fuzz.toml").write_text(
            f'name = "fuzz"\nstart = {values["start"]}\n\n[[events]]\ncount = {values["count"]}\n'
            f'every = {values["every"]}\noffset = {values["offset"]}\naction = "SendEmail"\n'
            f'provider = "ses.amazonaws.com"\nfields = {values["fields"]}\n\n[expect]\n')
        for command in (["validate"], ["test", "--json"]):
            result = runner.invoke(app, [*command, "--content", str(pack)])
            _no_traceback(result)
