"""Regular expressions in Java's and Oniguruma's syntax (ES|QL REPLACE, GROK), run by RE2 when it can read
them: linear time whatever the pattern, and `\\d \\w \\s` ASCII as Java's are. Python's backtracking `re`
runs only what RE2 lacks (lookaround, backreferences, atomic groups), where a pathological pattern can be
slow, as it can in Elasticsearch, whose engines for these backtrack too.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would print each pattern it cannot read to stderr


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> Any:
    """A compiled pattern with re's search/sub/fullmatch; re.error when neither engine reads it."""
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error:
        return re.compile(pattern)
