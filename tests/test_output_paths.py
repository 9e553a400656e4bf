"""Issue 25, output paths: one rule for every command that writes (diff --out, test --junit, backtest --html,
build --out, docs --out, export --out), checked before the work starts. A folder where the file goes, a file
where a folder goes (`README.md/x`) or a place that cannot be written: one line, exit 2, nothing done.
Missing parent folders are created, by every command alike."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from elastic_pack.cli import app

runner = CliRunner()


@pytest.fixture
def places(tmp_path):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    readme = tmp_path / "README.md"
    readme.write_text("# not a folder\n")
    return {"folder": folder, "file": readme, "under-file": readme / "x", "new": tmp_path / "new" / "deeper"}


def _refused(result, says):
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and says in line
    return line


FILE_OUTPUTS = [(["test", "--junit"], "--junit"), (["backtest", "{trail}", "--html"], "--html")]


@pytest.mark.parametrize("argv, option", FILE_OUTPUTS, ids=["test", "backtest"])
@pytest.mark.parametrize("place, says", [("folder", "is a folder; give a file name"),
                                         ("under-file", "README.md is a file, not a folder")])
def test_a_file_output_that_cannot_be_a_file_is_refused_before_the_work(places, tmp_path, argv, option, place, says):
    trail = tmp_path / "trail.json"
    trail.write_text(json.dumps({"Records": []}))
    args = [a.format(trail=trail) for a in argv] + [str(places[place])]
    assert option in _refused(runner.invoke(app, args), says)


@pytest.mark.parametrize("place, says", [("folder", "is a folder; give a file name"),
                                         ("under-file", "README.md is a file, not a folder")])
def test_diff_out_is_checked_before_kibana_is_asked(kibana, places, place, says):
    _refused(runner.invoke(app, ["diff", "--space", "soc", "--out", str(places[place])]), says)
    assert kibana.log == []


@pytest.mark.parametrize("command", [["build"], ["docs"], ["export", "--space", "soc"]])
@pytest.mark.parametrize("place, says", [("file", "README.md is a file, not a folder"),
                                         ("under-file", "README.md is a file, not a folder")])
def test_a_folder_output_that_cannot_be_a_folder_is_refused(kibana, places, command, place, says):
    _refused(runner.invoke(app, [*command, "--out", str(places[place])]), says)
    assert kibana.log == []


def test_a_folder_where_the_bundle_or_a_playbook_goes_is_refused(places):
    (places["folder"] / "elastic-pack-rules.ndjson").mkdir()
    _refused(runner.invoke(app, ["build", "--out", str(places["folder"])]), "is a folder; give a file name")
    docs = places["folder"] / "docs"
    (docs / "T1496.004.md").mkdir(parents=True)
    _refused(runner.invoke(app, ["docs", "--out", str(docs)]), "is a folder; give a file name")  # a playbook's name


def test_missing_parent_folders_are_created_by_every_command(kibana, places, tmp_path):
    new = places["new"]
    trail = tmp_path / "trail.json"
    trail.write_text(json.dumps({"Records": []}))
    assert runner.invoke(app, ["diff", "--space", "soc", "--out", str(new / "plan.json")]).exit_code == 0
    assert runner.invoke(app, ["test", "--junit", str(new / "junit.xml"), "atomic_1_ses_send_10"]).exit_code == 0
    assert runner.invoke(app, ["backtest", str(trail), "--html", str(new / "r.html")]).exit_code == 0
    assert runner.invoke(app, ["build", "--out", str(new / "dist")]).exit_code == 0
    assert runner.invoke(app, ["docs", "--out", str(new / "playbooks")]).exit_code == 0
    assert {p.name for p in new.iterdir()} == {"plan.json", "junit.xml", "r.html", "dist", "playbooks"}
