"""ES|QL, the subset detection rules in this pack use: FROM, WHERE, EVAL, STATS ... BY, KEEP, SORT, LIMIT.

Parsed by the pack's own parser (errors carry line and column) and run by the local engine.
"""

from .parser import EsqlQuery, EsqlSyntaxError, parse_esql

__all__ = ["EsqlQuery", "EsqlSyntaxError", "parse_esql"]
