"""Lucene's regular expressions, as ES|QL's RLIKE and EQL's `regex` read them, matched by RE2.

Lucene compiles a pattern to an automaton, so matching takes time linear in the text whatever the pattern.
Python's `re` backtracks: `(a+)+b` against a long run of `a`s never finishes. RE2 is an automaton too, and
its `\\d \\w \\s` are ASCII, as Lucene's are. Patterns are always anchored (the whole value must match).

The translation keeps the operators both have; any other escaped character, a quoted string, and `^`/`$`
(which Lucene has no anchors for) are literals. Elasticsearch turns on Lucene's optional operators (RegExp.ALL):
`@` (any string) and `#` (nothing) are translated; `&`, `~` and `<n-m>`, which RE2 cannot express, and Java's
(?...) groups, which Lucene does not have, are refused by name.
"""

from __future__ import annotations

import string
from collections.abc import Iterable

import re2


def _literal(text: str) -> str:
    """Text that RE2 matches as it is: punctuation escaped, spaces and controls by code point."""
    return "".join(c if c.isalnum() else f"\\{c}" if c in string.punctuation else f"\\x{{{ord(c):x}}}"
                   for c in text)


def translate(pattern: str) -> str:
    """The pattern in RE2's syntax; ValueError names what the local engine cannot read.

    Lucene reads a repeat operator with nothing before it (at the start, after `(` or `|`) as a character,
    and one after another repeat as repeating that (`a**` is `(a*)*`); RE2 rejects both, so the first
    becomes a literal and the second wraps what it repeats."""
    out: list[str] = []
    atom = 0  # where in `out` the last atom (or group) begins: what a repeat operator repeats
    groups: list[int] = []
    last = "start"  # start, open, alt, atom or repeat
    i = 0

    def add_atom(text: str) -> None:
        nonlocal atom, last
        atom, last = len(out), "atom"
        out.append(text)

    while i < len(pattern):
        ch = pattern[i]
        if ch in "*+?{" and last in ("start", "open", "alt"):
            add_atom(_literal(ch))  # nothing to repeat: a character
            i += 1
        elif ch in "*+?{":
            if last == "repeat":
                out[atom:] = ["(?:" + "".join(out[atom:]) + ")"]
            end = pattern.find("}", i) + 1 if ch == "{" else i + 1
            if end <= i:
                raise ValueError(f"regular expression {pattern!r}: unterminated repeat {{")
            out.append(pattern[i:end])
            last, i = "repeat", end
        elif ch == "\\" and i + 1 < len(pattern):
            following = pattern[i + 1]
            add_atom("\\" + following if following in "dDsSwW" else _literal(following))
            i += 2
        elif ch == '"':
            end = pattern.find('"', i + 1)
            if end < 0:
                raise ValueError(f"regular expression {pattern!r}: unterminated quoted string")
            add_atom("(?:" + _literal(pattern[i + 1:end]) + ")")
            i = end + 1
        elif ch == "[":
            end = i + 2 if pattern[i + 1:i + 2] in ("]", "^") else i + 1
            while end < len(pattern) and pattern[end] != "]":
                end += 2 if pattern[end] == "\\" else 1
            if end >= len(pattern):
                raise ValueError(f"regular expression {pattern!r}: unterminated character class")
            body = pattern[i + 1:end].replace("[", "\\[")  # a [ inside a class is a character in Lucene
            add_atom(f"[{body}]")
            i = end + 1
        elif ch == "(" and pattern[i + 1:i + 2] == "?":
            raise ValueError(f"regular expression {pattern!r}: Lucene regular expressions have no (?...) groups")
        elif ch == "(":
            groups.append(len(out))
            out.append("(")
            last, i = "open", i + 1
        elif ch == ")":
            out.append(")")
            atom, last, i = (groups.pop() if groups else len(out) - 1), "atom", i + 1
        elif ch == "|":
            out.append("|")
            last, i = "alt", i + 1
        elif ch == "@":  # any string (Elasticsearch enables all of Lucene's optional operators)
            add_atom("(?:.*)")
            i += 1
        elif ch == "#":  # the empty language: matches nothing
            add_atom("[^\\x00-\\x{10ffff}]")
            i += 1
        elif ch in "&~<":
            raise ValueError(f"the local engine does not run Lucene's regex operator {ch!r} (intersection, "
                             f"complement, numeric interval) (in {pattern!r})")
        else:
            add_atom(_literal(ch) if ch in "^$" or not (ch.isprintable() and ch != " ") else ch)
            i += 1
    return "".join(out)


class LuceneRegex:
    """Any of several Lucene patterns matching a whole value, optionally case-insensitive."""

    def __init__(self, patterns: Iterable[str], insensitive: bool = False):
        patterns = list(patterns)
        options = re2.Options()
        options.log_errors = False  # RE2 would print a bad pattern to stderr; the ValueError says it
        options.dot_nl = True  # Lucene's . is any character
        options.never_capture = True
        options.case_sensitive = not insensitive
        source = "|".join(f"(?:{translate(p)})" for p in patterns)
        try:
            self._regex = re2.compile(source, options)
        except re2.error as exc:
            detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
            raise ValueError(f"regular expression {' / '.join(patterns)!r}: the local engine cannot read it "
                             f"({detail})") from None

    def fullmatch(self, text: str) -> bool:
        return self._regex.fullmatch(text) is not None
