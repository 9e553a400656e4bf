"""EQL, answered as Elasticsearch's `_eql/search` answers it.

    from elastic_pack import eql
    tree = eql.parse('sequence by host.id [process where true] [file where true]')
    eql.search('process where process.name == "cmd.exe"', documents, mapping={"process.pid": "long"})

`parse(text)` gives the parsed query (Elastic's `eql` syntax tree in `.tree`, Elasticsearch's syntax: `?field`,
`with runs=N`, missing events `![...]`, `sample`); `search(query, documents, mapping=None, size=10)` gives the
`_eql/search` response body. The exceptions are elastic_pack.errors' own, shared with kql and esql: a query that
does not parse raises QuerySyntaxError (EqlQueryError, with `.line` and `.column`); one Elasticsearch would fail
for a field's mapped type QueryTypeError (EqlTypeError); a construct the local engine does not run
UnsupportedQueryError (UnsupportedEql), naming it. All are QueryError.

The modules: parser (Elasticsearch's syntax over the eql library), compile (conditions as predicates), typed
(date, ip and version comparisons by the mapping), functions, exceptions, sequence (the sequence matcher),
sample, pipes (`head`/`tail`), searching (`_eql/search`). The names below are imported on first use, so that
importing the package (the sequence matcher's key helper, say) does not load the eql library's grammar.
"""

from __future__ import annotations

from typing import Any

from ..errors import QueryError, QuerySyntaxError, QueryTypeError, UnsupportedQueryError

__all__ = ["EqlQuery", "EqlQueryError", "EqlTypeError", "QueryError", "QuerySyntaxError", "QueryTypeError",
           "UnsupportedEql", "UnsupportedQueryError", "parse", "search"]

_LAZY = {"EqlQuery": "parser", "EqlQueryError": "parser", "EqlTypeError": "exceptions", "UnsupportedEql": "exceptions"}


def parse(text: str) -> Any:
    """The query parsed as Elasticsearch parses it (an EqlQuery); QuerySyntaxError if Elasticsearch rejects it."""
    from .parser import parse_eql

    return parse_eql(text)


def search(query: Any, documents: Any, mapping: Any = None, size: int = 10, max_samples_per_key: int = 1,
           **request: Any) -> dict:
    """The `_eql/search` response body for `query` (text or a parsed query) over `documents` (dicts named by
    their `_id`, else their position); `request` takes the request's event_category_field, timestamp_field
    and tiebreaker_field. See elastic_pack.eql.searching.search."""
    from .searching import search as run

    return run(query, documents, mapping, size, max_samples_per_key, **request)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
