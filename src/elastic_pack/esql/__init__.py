"""ES|QL, answered as Elasticsearch's `_query` API answers it.

    from elastic_pack import esql
    tree = esql.parse('FROM logs-* | WHERE event.category == "process" | STATS c = COUNT(*) BY host.name')
    esql.search("FROM logs-* | STATS c = COUNT(*) BY host.name", documents, mapping={"host.name": "keyword"})

`parse(text)` gives the parsed query (an EsqlQuery: FROM's sources or ROW, then the commands as typed nodes,
esql.ast); `search(query, documents, mapping=None, now=None)` gives the `_query` response body
(`{"columns": [{"name", "type"}], "values": [[...]]}`). The engine runs FROM and ROW, then WHERE, EVAL, STATS ...
BY, INLINE STATS, KEEP, DROP, RENAME, MV_EXPAND, DISSECT, GROK, SORT, LIMIT, with the functions in
esql/functions.py; what it does not run it refuses by name.

The exceptions are elastic_pack.errors' own, shared with kql and eql: a query that does not parse raises
QuerySyntaxError (EsqlSyntaxError, with `.line` and `.column`); ES|QL Elasticsearch runs and the local engine does
not, UnsupportedQueryError (UnsupportedEsql); a query Elasticsearch rejects (an unknown column, say), QueryError.

The modules: lexer and parser (the syntax tree in ast), expressions and functions (values), evaluate (the
commands), aggregates and window (STATS), text_commands (DISSECT, GROK), columns (the answer's columns and
types), values (doc values and the response's value forms), searching (`_query`).
"""

from __future__ import annotations

from typing import Any

from ..errors import QueryError, QuerySyntaxError, QueryTypeError, UnsupportedQueryError
from .ast import EsqlQuery
from .lexer import EsqlSyntaxError, UnsupportedEsql
from .parser import parse_esql

__all__ = ["EsqlQuery", "EsqlSyntaxError", "QueryError", "QuerySyntaxError", "QueryTypeError",
           "UnsupportedEsql", "UnsupportedQueryError", "parse", "parse_esql", "search"]


def parse(text: str) -> EsqlQuery:
    """The query parsed (FROM or ROW, then its commands); QuerySyntaxError where it is not ES|QL,
    UnsupportedQueryError where the local engine does not run it."""
    return parse_esql(text)


def search(query: str | EsqlQuery, documents: Any, mapping: Any = None, now: float | None = None) -> dict:
    """The `_query` response body for `query` over `documents`; see elastic_pack.esql.searching.search."""
    from .searching import search as run

    return run(query, documents, mapping, now)
