"""KQL, the subset detection rules use: fielded terms, value lists, wildcards, exists, ranges, and/or/not.

The string that goes to Kibana is parsed here and the same tree is evaluated by the local engine.
"""

from .ast import Node
from .evaluate import compile_kql
from .parser import KqlSyntaxError, parse_kql

__all__ = ["KqlSyntaxError", "Node", "compile_kql", "parse_kql"]
