"""DATE_PARSE: a string read with a java.time DateTimeFormatter pattern, as Elasticsearch reads it (UTC,
Locale.ROOT, ResolverStyle.STRICT: a day past its month's end fails the query; missing fields default to January 1st,
midnight). The pattern letters a detection rule uses are read here (`yyyy`/`uuuu`, `MM`/`M`, `dd`/`d`, `HH`/`H`,
`mm`, `ss`, `S`.., quoted text and punctuation); any other, or two numbers without a separator, is refused by name
rather than read differently. A string the pattern does not match is null, as Elasticsearch (with a warning)."""

from __future__ import annotations

import calendar
import re
from functools import lru_cache
from typing import Any

from ..errors import QueryError
from .lexer import UnsupportedEsql

_LETTER_RUN = re.compile(r"'(?:[^']|'')*'|''|([A-Za-z])\1*|[^A-Za-z']+")
# letter -> (field, {width: digits regex})
_NUMBERS = {"y": "year", "u": "year", "M": "month", "d": "day", "H": "hour", "m": "minute", "s": "second"}


@lru_cache(maxsize=256)
def _compile(pattern: str) -> tuple[re.Pattern, tuple[str, ...]]:
    parts: list[str] = []
    fields: list[str] = []
    numeric_before = False
    for match in _LETTER_RUN.finditer(pattern):
        text = match.group()
        letter = match.group(1)
        if letter:
            count = len(text)
            if numeric_before:
                raise UnsupportedEsql(f"the local engine does not read the DATE_PARSE pattern {pattern!r} (two "
                                      "numbers without a separator)")
            if letter in "yu" and count == 4:  # more digits need a sign in strict parsing: refused below
                parts.append(r"(\d{4})")
            elif letter in "MdHms" and count <= 2:  # one letter: any number of digits, then its range
                parts.append(r"(\d{2})" if count == 2 else r"(\d{1,19})")
            elif letter == "S" and count <= 9:
                parts.append(rf"(\d{{{count}}})")
            else:
                raise UnsupportedEsql(f"the local engine does not read the DATE_PARSE pattern letter {text!r}")
            fields.append("fraction" if letter == "S" else _NUMBERS[letter])
            numeric_before = True
            continue
        numeric_before = False
        if text == "''":
            literal = "'"
        elif text.startswith("'"):
            literal = text[1:-1].replace("''", "'")
        elif any(c in text for c in "[]{}#"):
            raise UnsupportedEsql(f"the local engine does not read the DATE_PARSE pattern part {text!r}")
        else:
            literal = text
        parts.append(re.escape(literal))
    if len(set(fields)) < len(fields):
        raise UnsupportedEsql(f"the local engine does not read the DATE_PARSE pattern {pattern!r} (a field twice)")
    return re.compile("".join(parts)), tuple(fields)


def date_parse(first: Any, second: Any = None, *, one: bool = False) -> int | None:
    """DATE_PARSE(pattern, string), or DATE_PARSE(string) through strict_date_optional_time: epoch millis."""
    from .functions import to_datetime

    if one:
        return None if first is None else to_datetime(str(first))
    pattern, text = first, second
    if pattern is None or text is None:
        return None
    regex, fields = _compile(str(pattern))
    found = regex.fullmatch(str(text))
    if found is None:
        return None
    values = dict(zip(fields, found.groups()))
    year, month, day = int(values.get("year", 1970)), int(values.get("month", 1)), int(values.get("day", 1))
    hour, minute, second_ = int(values.get("hour", 0)), int(values.get("minute", 0)), int(values.get("second", 0))
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and minute <= 59 and second_ <= 59
            and 1 <= year <= 9999):
        return None  # a field out of its range: the string does not parse (null, with a warning)
    if day > calendar.monthrange(year, month)[1]:  # java.time's STRICT resolver throws: the query fails (500)
        raise QueryError(f"Invalid date '{calendar.month_name[month].upper()} {day}' (Elasticsearch fails the "
                         "query)")
    fraction = values.get("fraction", "")
    millis = int(fraction.ljust(3, "0")[:3]) if fraction else 0
    days = calendar.timegm((year, month, day, hour, minute, second_, 0, 0, 0))
    return days * 1000 + millis
