"""The eql grammar (elastic_pack.eql.cached_grammar) is cached in the user's own cache folder; a damaged cache is
rebuilt, never fatal."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = ("import elastic_pack.eql.cached_grammar, eql; "
         "print(eql.parse_query('sequence by a [process where x == 1] [process where y == 2]').__class__.__name__)")


def _run(env_extra: dict) -> subprocess.CompletedProcess:
    env = {**os.environ, **env_extra}
    return subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=120)


def test_grammar_is_cached_privately_and_survives_a_damaged_cache(tmp_path):
    first = _run({"XDG_CACHE_HOME": str(tmp_path)})
    assert first.returncode == 0 and first.stdout.strip() == "PipedQuery", first.stderr
    folder = tmp_path / "elastic-pack"
    caches = list(folder.glob("eql-grammar-*.lark"))
    assert len(caches) == 1 and (folder.stat().st_mode & 0o777) == 0o700
    caches[0].write_bytes(b"not a pickle")
    again = _run({"XDG_CACHE_HOME": str(tmp_path)})
    assert again.returncode == 0 and again.stdout.strip() == "PipedQuery", again.stderr


def test_no_cache_when_asked(tmp_path):
    result = _run({"XDG_CACHE_HOME": str(tmp_path), "ELASTIC_PACK_NO_CACHE": "1"})
    assert result.returncode == 0 and result.stdout.strip() == "PipedQuery"
    assert not (tmp_path / "elastic-pack").exists()
