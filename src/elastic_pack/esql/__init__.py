"""ES|QL as the local engine runs it: FROM, then WHERE, EVAL, STATS ... BY, KEEP, DROP, RENAME, MV_EXPAND, DISSECT,
GROK, SORT, LIMIT, with the functions in esql/functions.py.

Parsed by the pack's own parser (errors carry line and column); what the engine does not run is refused by name.
"""

from .ast import EsqlQuery
from .lexer import EsqlSyntaxError
from .parser import parse_esql

__all__ = ["EsqlQuery", "EsqlSyntaxError", "parse_esql"]
