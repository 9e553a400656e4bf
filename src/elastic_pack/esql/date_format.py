"""DATE_FORMAT: a date written with a java.time DateTimeFormatter pattern, as Elasticsearch writes it (UTC,
Locale.ROOT). The pattern letters a detection rule uses are written here; any other letter is refused by name
rather than written differently."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from .lexer import UnsupportedEsql

DEFAULT = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"  # DATE_FORMAT(date): the date as ES|QL writes dates
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_LETTER_RUN = re.compile(r"'(?:[^']|'')*'|''|([A-Za-z])\1*|[^A-Za-z']+")


def _constant(text: str) -> Callable[[datetime], str]:
    return lambda moment: text


def _number(get: Callable[[datetime], int], width: int) -> Callable[[datetime], str]:
    return lambda moment: str(get(moment)).zfill(width)


def _field(letter: str, count: int) -> Callable[[datetime], str]:
    """The writer of one run of a pattern letter (`yyyy`, `MMM`, `SSS`, ...)."""
    if letter in "yu":
        if count == 2:
            return lambda moment: str(moment.year % 100).zfill(2)
        return _number(lambda moment: moment.year, count)
    if letter == "M":
        if count == 3:
            return lambda moment: _MONTHS[moment.month - 1][:3]
        if count == 4:
            return lambda moment: _MONTHS[moment.month - 1]
        if count <= 2:
            return _number(lambda moment: moment.month, count)
    if letter == "E" and count <= 4:
        return (lambda moment: _DAYS[moment.weekday()]) if count == 4 else (lambda moment: _DAYS[moment.weekday()][:3])
    if letter == "a" and count == 1:
        return lambda moment: "AM" if moment.hour < 12 else "PM"
    if letter == "S":  # fraction of a second, cut to `count` digits
        return lambda moment: f"{moment.microsecond:06d}000"[:count] if count <= 9 else ""
    getters: dict[str, Callable[[datetime], int]] = {
        "d": lambda m: m.day, "D": lambda m: m.timetuple().tm_yday, "H": lambda m: m.hour,
        "h": lambda m: (m.hour % 12) or 12, "K": lambda m: m.hour % 12, "k": lambda m: m.hour or 24,
        "m": lambda m: m.minute, "s": lambda m: m.second}
    if letter in getters and count <= (3 if letter == "D" else 2):
        return _number(getters[letter], count)
    if letter == "X" and count <= 3:  # UTC: the zone offset is Z
        return lambda moment: "Z"
    if letter == "x" and count <= 3:
        return lambda moment: ("+00", "+0000", "+00:00")[count - 1]
    if letter == "Z" and count <= 3:
        return lambda moment: "+0000"
    raise UnsupportedEsql(f"the local engine does not write the DATE_FORMAT pattern letter {letter * count!r}")


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> Callable[[datetime], str]:
    parts: list[Callable[[datetime], str]] = []
    for match in _LETTER_RUN.finditer(pattern):
        text = match.group()
        if match.group(1):
            parts.append(_field(match.group(1), len(text)))
            continue
        if text == "''":
            literal = "'"
        elif text.startswith("'"):
            literal = text[1:-1].replace("''", "'")
        elif any(c in text for c in "[]{}#"):  # optional sections and reserved characters
            raise UnsupportedEsql(f"the local engine does not write the DATE_FORMAT pattern part {text!r}")
        else:
            literal = text
        parts.append(_constant(literal))
    return lambda moment: "".join(part(moment) for part in parts)


_ONE = object()  # DATE_FORMAT(date): no second argument


def date_format(first: Any, second: Any = _ONE) -> str | None:
    """DATE_FORMAT(format, date) or DATE_FORMAT(date): null when either is null."""
    from .functions import to_millis

    pattern, date = (DEFAULT, first) if second is _ONE else (first, second)
    if pattern is None or date is None:
        return None
    millis = to_millis(date)
    if millis is None:
        return None
    moment = datetime.fromtimestamp(millis // 1000, timezone.utc).replace(microsecond=(millis % 1000) * 1000)
    return compile_pattern(str(pattern))(moment)
