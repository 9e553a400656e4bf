"""Issue 25: `--json` promises exactly one JSON document on stdout, errors included. A command that fails
prints {"error": "..."} there (and the error line on stderr); a pack that does not validate prints its
findings, as `validate --json` does."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from elastic_pack.cli import app

from .conftest import SES_FILE, edit_rule

runner = CliRunner()


def _one_document(result, code=None):
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code != 0 if code is None else result.exit_code == code, result.output
    return json.loads(result.stdout)  # one document: json.loads refuses anything after it


@pytest.mark.parametrize("argv", [
    ["test", "no-such-scenario"],
    ["preview", "--events", "{missing}"],
    ["backtest", "{missing}"],
    ["backtest", "{tmp}", "--warm-up", "soon"],
    ["diff", "--kibana-url", "elastic:pw@host"],
    ["deploy", "--kibana-url", "elastic:pw@host"],
    ["doctor", "--kibana-url", "nope"],
    ["export", "--kibana-url", "nope"],
    ["restore", "{missing}", "--kibana-url", "http://127.0.0.1:9"],
    ["build", "--out", "{file}/x"],
    ["docs", "--out", "{file}"],
], ids=lambda argv: " ".join(argv[:2]))
def test_an_error_under_json_is_one_error_document(tmp_path, argv):
    (tmp_path / "file").write_text("x")
    names = {"missing": tmp_path / "missing.ndjson", "tmp": tmp_path, "file": tmp_path / "file"}
    args = [a.format(**names) for a in argv] + ["--json"]
    document = _one_document(runner.invoke(app, args))
    assert isinstance(document, dict) and set(document) == {"error"}
    assert document["error"] in runner.invoke(app, args).stderr and "pw" not in document["error"]


@pytest.mark.parametrize("command", [["test"], ["diff", "--kibana-url", "http://127.0.0.1:9"]])
def test_a_pack_that_does_not_validate_gives_its_findings_as_the_document(pack_dir, command):
    edit_rule(pack_dir, SES_FILE, "risk_score = 47", 'risk_score = "high"')
    findings = _one_document(runner.invoke(app, [*command, "--json", "--content", str(pack_dir)]), 1)
    assert isinstance(findings, list) and any(f["check"] == "EP002" for f in findings)
