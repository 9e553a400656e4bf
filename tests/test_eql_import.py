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


def test_a_kept_parse_is_the_parse_and_a_damaged_one_is_parsed_again(tmp_path, monkeypatch):
    from elastic_pack.content import queries
    from elastic_pack.eql.parser import parse_eql

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    text = 'sequence by user.name with maxspan=1h [any where event.action in ("a", "b")] [any where length(x) > 2]'
    fresh = parse_eql(text)
    first = queries._parse_eql_kept(text)  # parsed, then kept
    kept = list((tmp_path / "elastic-pack" / "eql-queries").glob("*.pickle"))
    assert len(kept) == 1
    again = queries._parse_eql_kept(text)  # read back
    assert again is not first
    for query in (first, again):
        assert (query.text, query.tree, query.fields, query.optional_fields, query.lark_tree) == \
            (fresh.text, fresh.tree, fresh.fields, fresh.optional_fields, fresh.lark_tree)
    kept[0].write_bytes(b"not a pickle")
    assert queries._parse_eql_kept(text).tree == fresh.tree
    other = queries._parse_eql_kept(text.replace("1h", "2h"))  # another query: another file
    assert other.maxspan != fresh.maxspan and len(list(kept[0].parent.glob("*.pickle"))) == 2
