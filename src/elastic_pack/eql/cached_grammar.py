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


def _cache_file() -> str | None:
    if os.environ.get("ELASTIC_PACK_NO_CACHE"):
        return None
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "elastic-pack"
    try:
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
        if hasattr(os, "getuid") and base.stat().st_uid != os.getuid():
            return None
    except OSError:
        return None
    from importlib.metadata import version

    try:
        versions = f"eql{version('eql')}-lark{version('lark')}-py{sys.version_info[0]}{sys.version_info[1]}"
    except Exception:  # noqa: BLE001 - metadata missing: no cache, the import still works
        return None
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
