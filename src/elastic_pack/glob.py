"""Wildcard patterns (`*` any run, `?` one character) matched without backtracking.

A pattern becomes fixed-length pieces between its stars; the first must start the text, the last must end
it, and each one between is found at its leftmost place after the previous one. That is exact for `*` and
linear in the text, where a regular expression such as `.*a.*a.*b` backtracks for minutes on a long command
line (Elasticsearch matches wildcards with automata, which never do).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

ANY = object()  # `?`: one character
STAR = object()  # `*`: any run of characters


def parts_of(pattern: str, escapes: bool = False) -> list:
    """Literal characters, ANY and STAR of a pattern; with `escapes`, a backslash makes the next one literal."""
    out: list = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if escapes and ch == "\\" and i + 1 < len(pattern):
            out.append(pattern[i + 1])
            i += 2
            continue
        out.append(STAR if ch == "*" else ANY if ch == "?" else ch)
        i += 1
    return out


class Glob:
    """fullmatch(text) -> True or None, as a compiled regular expression's fullmatch is used."""

    def __init__(self, parts: Sequence, insensitive: bool = False):
        flags = re.DOTALL | (re.IGNORECASE if insensitive else 0)
        pieces: list[list] = [[]]
        for part in parts:
            if part is STAR:
                pieces.append([])
            else:
                pieces[-1].append(part)
        self.starred = len(pieces) > 1
        self.lengths = [len(piece) for piece in pieces]
        self.pieces = [re.compile("".join("." if p is ANY else re.escape(p) for p in piece), flags)
                       for piece in pieces]

    def fullmatch(self, text: str) -> bool | None:
        pieces = self.pieces
        if not self.starred:
            return True if pieces[0].fullmatch(text) else None
        if pieces[0].match(text) is None:
            return None
        position = self.lengths[0]
        for piece in pieces[1:-1]:
            found = piece.search(text, position)
            if found is None:
                return None
            position = found.end()
        start = len(text) - self.lengths[-1]
        if start < position:
            return None
        return True if pieces[-1].fullmatch(text, start) else None


def glob(pattern: str, insensitive: bool = False, escapes: bool = False) -> Glob:
    return Glob(parts_of(pattern, escapes), insensitive)
