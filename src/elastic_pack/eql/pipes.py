"""EQL's `| head N` and `| tail N` pipes (the only pipes the local engine runs), applied in order."""

from __future__ import annotations

from . import cached_grammar  # noqa: F401  (before eql: its grammar, cached)
from eql.pipes import HeadPipe, TailPipe

from .compile import UnsupportedEql
from .parser import EqlQuery

DEFAULT_COUNT = 50  # `| head` / `| tail` without a number


def pipes_of(query: EqlQuery) -> list[tuple[str, int]]:
    """The `| head N` / `| tail N` pipes in order (none: []); other pipes are refused."""
    out = []
    for pipe in query.tree.pipes:
        if not isinstance(pipe, (HeadPipe, TailPipe)):
            raise UnsupportedEql(f"the pipe `| {pipe}` (the local engine runs `head` and `tail`)")
        count = pipe.arguments[0].value if pipe.arguments else DEFAULT_COUNT
        out.append((("head" if isinstance(pipe, HeadPipe) else "tail"), int(count)))
    return out


def apply_pipes(pipes: list[tuple[str, int]], results: list, cap: int | None = None) -> list:
    """`| head N` / `| tail N` in order on results in Elasticsearch's order; `cap` (the search's size) bounds
    each."""
    for kind, count in pipes:
        count = count if cap is None else min(count, cap)
        results = results[:count] if kind == "head" else (results[-count:] if count else [])
    return results
