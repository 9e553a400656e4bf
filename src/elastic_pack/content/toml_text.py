"""Parsing the pack's TOML files with a bound on nesting.

tomllib parses arrays and inline tables recursively: a value 100,000 arrays or 5,000 inline tables deep ends
in a RecursionError (a traceback), and a value just shallow enough to parse trips every consumer that walks
it. No file of a pack needs more than a few levels, so nesting deeper than MAX_DEPTH is a parse error with
its line, like any other, found by a linear scan before tomllib is asked.
"""

from __future__ import annotations

import tomllib
from typing import Any

MAX_DEPTH = 32  # arrays and inline tables inside one another; rules, scenarios and guides use at most 4


class TooDeep(tomllib.TOMLDecodeError):
    """Nesting deeper than MAX_DEPTH. A TOMLDecodeError, so every reader's handling of bad TOML applies."""


def parse_toml(text: str) -> dict[str, Any]:
    """tomllib.loads, refusing values nested deeper than MAX_DEPTH (TooDeep, with the line)."""
    depth, line = deepest_nesting(text)
    if depth > MAX_DEPTH:
        raise TooDeep(f"values nested {depth if depth < 10**6 else 'a million'} levels deep, more than the "
                      f"{MAX_DEPTH} any pack file needs (at line {line}, column 1)")
    try:
        return tomllib.loads(text)
    except RecursionError:  # the scan is a bound, not a parser: should it ever be fooled, still no traceback
        raise TooDeep(f"values nested too deeply to parse (at line {line}, column 1)") from None


def deepest_nesting(text: str) -> tuple[int, int]:
    """(how deep arrays and inline tables nest, the line where that depth is first reached), outside strings,
    comments and [table] headers. Linear in the text; malformed TOML is left to tomllib."""
    depth = deepest = 0
    deepest_line = line = 1
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            line_start = True
            i += 1
            continue
        if c in " \t\r":
            i += 1
            continue
        if c == "#" or (line_start and depth == 0 and c == "["):  # a comment, or a [table] / [[table]] header
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        line_start = False
        if c in "\"'":
            quote = c * 3 if text.startswith(c * 3, i) else c
            end = _string_end(text, i + len(quote), quote)
            if end < 0:
                break
            line += text.count("\n", i, end)
            i = end + len(quote)
            continue
        if c in "[{":
            depth += 1
            if depth > deepest:
                deepest, deepest_line = depth, line
        elif c in "]}":
            depth = max(0, depth - 1)
        i += 1
    return deepest, deepest_line


def _string_end(text: str, start: int, quote: str) -> int:
    """Where the string opened before `start` closes (its closing quote), -1 if it never does."""
    i = start
    while True:
        end = text.find(quote, i)
        if end < 0:
            return -1
        if quote[0] == '"':
            backslashes = 0
            while end - 1 - backslashes >= start and text[end - 1 - backslashes] == "\\":
                backslashes += 1
            if backslashes % 2:
                i = end + 1
                continue
        if len(quote) == 3:  # up to two more quotes belong to the string: """a"""" is 'a"'
            while text.startswith(quote[0], end + 3) and end + 3 < len(text):
                end += 1
        return end
