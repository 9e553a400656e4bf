"""ruff (pyflakes' checks: unused imports and variables, undefined names) passes on the code and the tests."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from .conftest import REPO


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff") or shutil.which("ruff", path=str(__import__("pathlib").Path(sys.executable).parent))
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]' installs it)")
    result = subprocess.run([ruff, "check", "src", "tests", "benchmarks"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
