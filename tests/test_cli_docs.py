"""The CLI is documented: every command and option in docs/commands.md, a help text each; every command the
README and docs/ show runs as written; --help stays light."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from elastic_pack.cli import app

from .conftest import REPO

runner = CliRunner()


def _command_names() -> list[str]:
    group = typer.main.get_command(app)
    return sorted(group.commands)


COMMANDS_DOC = REPO / "docs" / "commands.md"


def _command_sections() -> tuple[dict[str, str], str]:
    """docs/commands.md cut at its `### `elastic-pack NAME`` headings: NAME -> that section, and the text outside
    every command's section (the options many commands share are described there)."""
    text = COMMANDS_DOC.read_text()
    sections: dict[str, str] = {}
    shared: list[str] = []
    current: str | None = None
    for line in text.splitlines(keepends=True):
        match = re.match(r"^### `elastic-pack ([a-z-]+)", line)
        if match:
            current = match.group(1)
        elif line.startswith(("## ", "### ")):
            current = None
        if current is None:
            shared.append(line)
        else:
            sections[current] = sections.get(current, "") + line
    return sections, "".join(shared)


def test_every_command_has_a_section_in_the_docs():
    sections, _ = _command_sections()
    assert [name for name in _command_names() if name not in sections] == []


def test_every_option_is_documented_in_its_commands_section_or_among_the_shared_ones():
    sections, shared = _command_sections()
    missing = []
    for name, command in typer.main.get_command(app).commands.items():
        for param in command.params:
            opts = [o for o in getattr(param, "opts", []) + getattr(param, "secondary_opts", []) if o.startswith("-")]
            if opts and "--help" not in opts and not any(f"{o}" in sections.get(name, "") + shared for o in opts):
                missing.append(f"{name} {opts[0]}")
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
    """pyproject lists packages by hand (content/ ships as elastic_pack._content, docker/index-templates as
    elastic_pack._index_templates): a new subpackage left out works in an editable install and breaks
    `pip install .`."""
    import tomllib

    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    src = REPO / "src"
    found = {str(p.parent.relative_to(src)).replace("/", ".") for p in src.rglob("__init__.py")}
    assert found | {"elastic_pack._content", "elastic_pack._index_templates"} == listed


PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def _shown_commands(path) -> list[tuple[str, int]]:
    """The `elastic-pack ...` lines of a page's code blocks (continuations joined), each with the exit code it
    is documented to have: 0, or N where its comment says `# exit N`."""
    commands, fence, pending = [], False, ""
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            fence, pending = not fence, ""
            continue
        if not fence:
            continue
        line = pending + line.strip()
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        if line.startswith("elastic-pack "):
            code = re.search(r"#\s*exit (\d+)", line)
            commands.append((line, int(code.group(1)) if code else 0))
    return commands


def _run_standin(args: list[str]) -> None:
    """`elastic-pack standin` as shown, on a free port (the one shown may be taken here): it serves until Ctrl-C."""
    import signal

    args = [("0" if previous == "--port" else a) for previous, a in zip(["", *args], args)]
    process = subprocess.Popen([sys.executable, "-c", "from elastic_pack.cli import main; main()", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "Kibana stand-in at http://127.0.0.1:" in process.stdout.readline()
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0


def test_the_readme_and_the_command_reference_show_commands():
    assert _shown_commands(REPO / "README.md") and _shown_commands(COMMANDS_DOC)


@pytest.mark.parametrize("page", [p for p in PAGES if _shown_commands(p)], ids=lambda p: p.name)
def test_every_command_shown_runs_as_written(page, tmp_path, monkeypatch):
    """In a copy of the pack and its sample events, against the Kibana stand-in over HTTP."""
    import shlex
    import shutil

    from elastic_pack.testing.http_standin import StandInServer

    commands = _shown_commands(page)
    for folder in ("content", "examples", "playbooks"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    server = StandInServer(port=0).start()
    try:
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("ELASTIC_PACK_CONTENT", raising=False)
        monkeypatch.setenv("KIBANA_URL", server.url)
        monkeypatch.setenv("ELASTIC_API_KEY", "standin-api-key")
        for line, code in commands:
            args = shlex.split(line, comments=True)[1:]
            if args[0] == "standin":
                _run_standin(args)
                continue
            result = runner.invoke(app, args)
            assert result.exit_code == code, f"{page.name}: {line}\n{result.output}"
    finally:
        server.stop()
