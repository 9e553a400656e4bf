"""Answers kept per combination of the string values a pure function of a document reads.

A rule's events hold few distinct actions, providers and datasets: a query (KQL, an EQL stage, an ES|QL
WHERE or row pipeline) whose answer depends on those values alone is asked the same question again and
again. Its callers decide when that holds (see each language's `keys_read`-like analysis); this module only
keeps the answers. Only strings and nulls make a key: a string equals only an equal string, where 1, 1.0 and
true would share one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SIZE = 4096  # answers kept per function (all forgotten when full: the working set is small or churning)
_MISSING = object()


def kept_per_strings(function: Callable[[Any], Any], keys: tuple[str, ...]) -> Callable[[Any], Any]:
    """`function(document)`, its answer kept per combination of `document.get(key)` for `keys` when each is a
    string or missing; any other value (a number, a list, an object) asks `function` every time. The answer
    is shared between documents: callers must not change it. An exception is not kept."""
    if not keys:
        return function
    cache: dict[tuple, Any] = {}

    def kept(document: Any) -> Any:
        key = tuple(map(document.get, keys))  # (map: no frame of its own, unlike a comprehension in 3.11)
        for value in key:
            if value is not None and value.__class__ is not str:
                return function(document)
        found = cache.get(key, _MISSING)
        if found is _MISSING:
            if len(cache) >= SIZE:
                cache.clear()
            found = cache[key] = function(document)
        return found

    return kept
