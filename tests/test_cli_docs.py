"""The CLI is documented: every command has a README section and a help text; --help stays light."""

from __future__ import annotations

import subprocess
import sys

import typer
from typer.testing import CliRunner

from elastic_pack.cli import app

from .conftest import REPO

runner = CliRunner()


def _command_names() -> list[str]:
    group = typer.main.get_command(app)
    return sorted(group.commands)


def test_every_command_has_a_readme_section():
    readme = (REPO / "README.md").read_text()
    missing = [name for name in _command_names() if f"### `elastic-pack {name}" not in readme]
    assert missing == []


def test_every_command_has_help():
    for name in _command_names():
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0
        assert len(typer.main.get_command(app).commands[name].help or "") > 20, name


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second():
    readme = (REPO / "README.md").read_text()
    blocks = [b.split("```", 1)[0].strip() for b in readme.split("```sh\n")[1:3]]
    assert "pip install ." in blocks[0] and "elastic-pack validate" in blocks[0]
    assert "pip install -e '.[test]'" in blocks[1] and blocks[1].endswith("pytest")
    assert blocks[1] in (REPO / ".ci" / "run").read_text()


def test_help_does_not_import_the_heavy_modules():
    code = (
        "import sys, elastic_pack.cli as c\n"
        "heavy = [m for m in ('eql', 'jsonschema', 'requests', 'elasticsearch', 'yaml', 'rich') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_every_package_is_listed_for_installation():
    """pyproject lists packages by hand (content/ ships as elastic_pack._content): a new subpackage left
    out works in an editable install and breaks `pip install .`."""
    import tomllib

    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    src = REPO / "src"
    found = {str(p.parent.relative_to(src)).replace("/", ".") for p in src.rglob("__init__.py")}
    assert found | {"elastic_pack._content"} == listed
