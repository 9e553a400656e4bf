"""EQL's names for the shared query exceptions (elastic_pack.errors): what the local engine refuses, and what
Elasticsearch fails for a field's type. (A query that does not parse raises parser.EqlQueryError.)"""

from __future__ import annotations

from ..errors import QueryTypeError, UnsupportedQueryError


class UnsupportedEql(UnsupportedQueryError):
    """An EQL construct the local engine does not run (validation passes it; Elasticsearch would run it)."""


class EqlTypeError(QueryTypeError):
    """Elasticsearch would fail the query for a field's mapped type (a date field against text that is no date,
    an ip field against text that is no address)."""
