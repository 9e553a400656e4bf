"""Import Elastic's `eql` package with its grammar cached.

eql builds its Lark parser from the grammar at import time (about 0.4 s, most of a short command). Lark can
cache the built parser; eql does not ask it to, so the import is done here with `cache` set, pointing at a
file in the user's own cache folder (never a shared /tmp: the cache is a pickle). Lark checks the grammar's
hash on load and rebuilds on any mismatch or error. Import this module before any `eql` import.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def cache_folder() -> Path | None:
    """The user's own cache folder for elastic-pack (None: caching is off, or the folder is not theirs)."""
    if os.environ.get("ELASTIC_PACK_NO_CACHE"):
        return None
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "elastic-pack"
    try:
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
        if hasattr(os, "getuid") and base.stat().st_uid != os.getuid():
            return None
    except OSError:
        return None
    return base


def _cache_file() -> str | None:
    base = cache_folder()
    if base is None:
        return None
    # named by where eql is installed and lark's version (not by importlib.metadata's versions: importing it
    # and looking two packages up cost 30-40 ms of every command). The name only keeps installations apart:
    # Lark itself checks the grammar, its options, its version and Python's before using a cache file
    from importlib.util import find_spec
    from zlib import crc32

    import lark

    try:
        spec = find_spec("eql")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    place = f"{crc32(os.path.dirname(spec.origin).encode('utf-8', 'surrogateescape')):08x}"
    versions = f"eql-{place}-lark{lark.__version__}-py{sys.version_info[0]}{sys.version_info[1]}"
    return str(base / f"eql-grammar-{versions}.lark")


def _import_eql() -> None:
    if "eql.parser" in sys.modules:
        return
    cache = _cache_file()
    if cache is None:
        import eql.parser  # noqa: F401
        return
    import lark

    original = lark.Lark

    class CachedLark(original):  # type: ignore[misc, valid-type]
        def __init__(self, grammar: object, **options: object) -> None:
            options.setdefault("cache", cache)
            super().__init__(grammar, **options)

    lark.Lark = CachedLark  # type: ignore[misc]
    try:
        import eql.parser  # noqa: F401
    finally:
        lark.Lark = original  # type: ignore[misc]


_import_eql()
