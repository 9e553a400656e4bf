"""A rule file of the wrong shape is one finding per problem, with its line, and never reaches a consumer."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from elastic_pack.cli import app
from elastic_pack.content import load_pack

from .conftest import SES_FILE, edit_rule

runner = CliRunner()


@pytest.mark.parametrize("old, new, message", [
    ('interval = "5m"', "interval = 5", "rule.interval must be text, not a number"),
    ('name = "AWS SES High-Volume Email Sending by a Single Identity"', 'name = ["x"]', "rule.name must be text"),
    ("risk_score = 47", 'risk_score = "high"', "rule.risk_score must be a number"),
    ("\nvalue = 101\n", "\nvalue = 101.5\n", "rule.threshold.value must be a whole number"),
    ("\nvalue = 101\n", "\n", "rule.threshold.value is missing"),
])
def test_wrong_types_are_one_finding_on_their_line(pack_dir, old, new, message):
    path = edit_rule(pack_dir, SES_FILE, old, new)
    _, findings = load_pack(pack_dir)
    mine = [f for f in findings if f.path == path]
    assert len(mine) == 1 and message in mine[0].message
    if new.strip():
        assert path.read_text().splitlines()[mine[0].line - 1].startswith(new.strip().split(" =")[0])


def test_the_list_form_of_investigation_fields_and_a_tags_number(pack_dir):
    path = pack_dir / "rules" / SES_FILE
    text = path.read_text().replace("[rule.investigation_fields]\nfield_names = [", "investigation_fields_x = [")
    path.write_text(text.replace('tags = [\n', 'tags = 7\nold_tags = [\n', 1))
    _, findings = load_pack(pack_dir)
    assert [f.message for f in findings if f.path == path] == ["rule.tags must be a list of text, not a number"]


@pytest.mark.parametrize("content", [b"\x00\x01\x02binary", "name = 'caf\xe9'".encode("latin-1")])
def test_binary_and_non_utf8_files_are_findings(pack_dir, content):
    (pack_dir / "rules" / SES_FILE).write_bytes(content)
    result = runner.invoke(app, ["validate", "--content", str(pack_dir)])
    assert result.exit_code == 1 and SES_FILE in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_rule_name_with_rich_markup_is_printed_as_written(pack_dir):
    edit_rule(pack_dir, SES_FILE, "risk_score = 47", "risk_score = 99")  # a finding that names the rule
    edit_rule(pack_dir, SES_FILE, 'name = "AWS SES High-Volume Email Sending by a Single Identity"',
              'name = "[bold red]x[/] [link=http://a]y"')
    result = runner.invoke(app, ["validate", "--content", str(pack_dir)])
    assert result.exit_code == 1 and "[bold red]x[/]" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
