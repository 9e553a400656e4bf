"""ES|QL scalar functions with ES|QL's semantics: null in, null out (except COALESCE and CASE); multi-valued
input to a single-value function is null; dates are epoch milliseconds (a date string is read as one where
date arithmetic needs it).
"""

from __future__ import annotations

import base64
import calendar
import ipaddress
import json
import math
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import quote_plus, unquote_plus
from typing import Any

from ..engine.events import parse_time
from ..safe_regex import compile_pattern
from .ast import Duration, Period
from .date_format import date_format
from .geo import point_coordinate, st_distance, to_geopoint
from .trigonometry import MATH

Fn = Callable[..., Any]


# strict_date_optional_time, the format TO_DATETIME reads a string with (and a date field's default format tries
# first): a four-digit year, then optionally -MM, -dd, THH, :mm, :ss, a fraction, and a zone only after the hour
_STRICT_DATE = re.compile(r"(\d{4})(?:-(\d\d)(?:-(\d\d)(?:T(\d\d)(?::(\d\d)(?::(\d\d)(?:[.,](\d{1,9}))?)?)?"
                          r"(Z|[+-]\d\d(?::?\d\d)?)?)?)?)?", re.ASCII)


def strict_date_millis(text: str) -> int | None:
    """A string read as strict_date_optional_time (UTC unless it names a zone), None if that format rejects it."""
    found = _STRICT_DATE.fullmatch(text)
    if found is None:
        if re.fullmatch(r"[+-]?\d{5,}(?:-.*)?", text, re.ASCII):  # java.time reads years past 9999; Python cannot
            from ..errors import UnsupportedQueryError
            raise UnsupportedQueryError(f"the local engine does not read the date {text!r} (a year past 9999)")
        return None
    year, month, day, hour, minute, second, fraction, zone = found.groups()
    try:
        moment = datetime(int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
                          int(second or 0), tzinfo=timezone.utc)
    except ValueError:  # month 13, February 30th, hour 24: the format rejects them
        return None
    offset = 0
    if zone and zone != "Z":
        digits = zone[1:].replace(":", "")
        offset = (int(digits[:2]) * 60 + int(digits[2:] or 0)) * 60_000 * (1 if zone[0] == "+" else -1)
    millis = int((fraction or "0").ljust(3, "0")[:3])  # a date keeps milliseconds: nanoseconds are cut off
    return calendar.timegm(moment.timetuple()) * 1000 + millis - offset


def to_datetime(value: Any) -> int | None:
    """TO_DATETIME: a string through strict_date_optional_time only (ES|QL's default since 8.14: "1964-06-02
    00:00:00" or "1234567" is null); a number as epoch milliseconds, null outside the long range."""
    if isinstance(value, str):
        return strict_date_millis(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return int(value) if _LONG[0] <= value <= _LONG[1] else None
    return to_millis(value)


def to_millis(value: Any) -> int | None:
    """A date as epoch milliseconds: numbers are already; strings are ISO 8601 (as documents hold them)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str) and (strict := strict_date_millis(value)) is not None:
        return strict  # "2023" is the year 2023 there, before epoch_millis could read it as 2023 ms
    try:
        return int(round(parse_time(value) * 1000))
    except (ValueError, OverflowError):
        return None


def _string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double(value)
    return str(value)


def java_double(number: float) -> str:
    """A double as Java's Double.toString writes it (as ES|QL's TO_STRING does): the shortest digits, plain
    from 10^-3 to 10^7, else `1.0E7` / `1.5E-4`."""
    if number != number:
        return "NaN"
    if number in (math.inf, -math.inf):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0 or 1e-3 <= abs(number) < 1e7:
        return repr(number)  # Python's repr is plain there too, with the same shortest digits
    digits, exponent = Decimal(repr(number)).as_tuple()[1:]
    assert isinstance(exponent, int)
    mantissa = "".join(map(str, digits))
    power = len(mantissa) + exponent - 1
    mantissa = mantissa.rstrip("0") or "0"
    return f"{'-' if number < 0 else ''}{mantissa[0]}.{mantissa[1:] or '0'}E{power}"


_INT = (-2**31, 2**31 - 1)
_LONG = (-2**63, 2**63 - 1)


def _java_round(number: float) -> int:
    """Java's Math.round: half up (towards positive infinity)."""
    return math.floor(number + 0.5)


def _whole(value: Any, bounds: tuple[int, int]) -> int | None:
    """TO_INTEGER and TO_LONG: whole numbers as they are, doubles (and text holding one) rounded half up as
    Java's Math.round does; out of the type's range or not a number: null (Elasticsearch warns)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        number: int | None = value
    elif isinstance(value, float):
        number = _rounded_within(value, bounds)
    else:
        text = str(value).strip()
        if re.fullmatch(r"[+-]?\d+", text):
            number = int(text)
        else:
            double = _to_double(text)
            number = None if double is None else _rounded_within(double, bounds)
    if number is None or not bounds[0] <= number <= bounds[1]:
        return None
    return number


def _rounded_within(double: float, bounds: tuple[int, int]) -> int | None:
    """A double to a whole number as Elasticsearch converts it: the double itself must lie within the type's
    range (2147483647.2 is past the integer's, though it rounds to 2147483647), then Math.round, which saturates
    at the long's ends (9.223372036854775807E18 is 2^63 and gives Long.MAX_VALUE)."""
    if not math.isfinite(double) or not float(bounds[0]) <= double <= float(bounds[1]):
        return None
    if bounds[1] == 2**64 - 1 and double >= 2.0**64:  # an unsigned long's top is checked as 2^64, excluded
        return None
    return max(bounds[0], min(bounds[1], _java_round(double)))


def _joins_a_cluster(char: str) -> bool:
    """A character that is part of a grapheme cluster with its neighbour (a combining mark, a variation selector,
    a joiner, a skin tone, a flag's half, a Hangul jamo; CRLF is one cluster too)."""
    import unicodedata

    point = ord(char)
    return unicodedata.category(char) in ("Mn", "Me", "Mc", "Cf") or 0xFE00 <= point <= 0xFE0F \
        or 0x1F3FB <= point <= 0x1F3FF or 0x1F1E6 <= point <= 0x1F1FF or 0x1100 <= point <= 0x11FF \
        or 0xE0100 <= point <= 0xE01EF


def _reverse(value: Any) -> str:
    """REVERSE: Elasticsearch reverses grapheme clusters ("❗️ab" is "ba❗️", the emoji keeps its variation
    selector); text of single-character clusters is reversed here, any other is refused by name."""
    text = _string(value)
    if "\r\n" in text or (not text.isascii() and any(_joins_a_cluster(char) for char in text)):
        from ..errors import UnsupportedQueryError
        raise UnsupportedQueryError("the local engine does not run REVERSE() on text with multi-character "
                                    "grapheme clusters (combining marks, emoji sequences)")
    return text[::-1]


def _to_integer(value: Any) -> int | None:
    return _whole(value, _INT)


def _to_long(value: Any) -> int | None:
    return _whole(value, _LONG)


def _to_double(value: Any) -> float | None:
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", text):
            return None  # Java's parser: no underscores, NaN or Infinity
        return float(text)
    number = float(value)
    return number if math.isfinite(number) else None


def _to_boolean(value: Any) -> bool | None:
    """Text is true only when it is "true" in any case (Java's Boolean.parseBoolean); numbers when not 0."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    return str(value).lower() == "true"


def _to_ip(value: Any) -> str | None:
    """An address as the ip type holds it: an IPv4-mapped IPv6 address (::ffff:1.2.3.4) is the IPv4 address."""
    try:
        address = ipaddress.ip_address(str(value))
    except ValueError:
        return None
    return str(getattr(address, "ipv4_mapped", None) or address)


def _single_byte(delimiter: str) -> str:
    """SPLIT's delimiter: Elasticsearch 8.19 fails the whole query unless it is one byte in UTF-8."""
    if len(delimiter.encode()) != 1:
        from ..errors import QueryError
        raise QueryError(f"SPLIT(): delimiter must be single byte (Elasticsearch rejects {delimiter!r})")
    return delimiter


def _substring(text: Any, start: Any, length: Any = None) -> str:
    """Positions from 1 (0 is the first too), negative ones from the end; a negative length is an error."""
    text = _string(text)
    begin = _start(len(text), int(start))
    if length is None:
        return text[begin:]
    if int(length) < 0:
        raise ValueError("SUBSTRING: a negative length")
    return text[begin:begin + int(length)]


def _start(length: int, start: int) -> int:
    """ES|QL's 1-based string position (0 is the first too; negative counts from the end), within the text."""
    begin = start - 1 if start > 0 else length + start if start < 0 else 0
    return min(max(begin, 0), length)


def _locate(text: Any, part: Any, start: Any = 0) -> int:
    text = _string(text)
    return text.find(_string(part), _start(len(text), int(start))) + 1


def _java_replacement(replacement: str) -> str:
    """Java's $1 group references -> Python's \\g<1>; other text literal."""
    return re.sub(r"\$(\d+)|\\", lambda m: f"\\g<{m.group(1)}>" if m.group(1) else "\\\\", replacement)


# Elasticsearch builds no string over 1 MB (ScalarFunction's MAX_BYTES_REF_RESULT_SIZE, in UTF-8 bytes): REPEAT,
# SPACE, CONCAT and REPLACE answer null with a warning past it (measured on a real 8.19 node). Sizes are checked
# before a value is built, so `REPEAT("abcdefgh", 2147483647)` costs nothing.
MAX_STRING_BYTES = 1024 * 1024


def _utf8_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def _bounded(size: int, what: str) -> None:
    if size > MAX_STRING_BYTES:
        raise ValueError(f"{what} of more than {MAX_STRING_BYTES} bytes")


def _repeat(text: Any, count: Any) -> str:
    piece, times = _string(text), _count(count)
    _bounded(_utf8_size(piece) * times, "REPEAT")
    return piece * times


def _space(count: Any) -> str:
    times = _count(count)
    _bounded(times, "SPACE")
    return " " * times


def _concat(*parts: Any) -> str:
    texts = [_string(p) for p in parts]
    _bounded(sum(_utf8_size(t) for t in texts), "CONCAT")
    return "".join(texts)


def _replace(text: Any, pattern: Any, replacement: Any) -> str:
    regex, source, replace_with = compile_pattern(str(pattern)), str(text), _java_replacement(str(replacement))
    inserted = _utf8_size(replace_with)
    if "\\g<" not in replace_with and (len(source) + 1) * inserted > 64 * MAX_STRING_BYTES:
        # only a result that could grow past 64 MB is sized before it is built (counting matches is slow)
        matches = [m.end() - m.start() for m in regex.finditer(source)]
        _bounded(_utf8_size(source) - sum(matches) + len(matches) * inserted, "REPLACE")
    result = regex.sub(replace_with, source)
    _bounded(_utf8_size(result), "REPLACE")
    return result


def _round(value: Any, digits: Any = 0) -> float | int:
    """Half away from zero; negative digits round left of the point; the result keeps the input's type."""
    factor = 10 ** int(digits)
    rounded = math.floor(abs(value) * factor + 0.5) / factor
    rounded = rounded if value >= 0 else -rounded
    return int(rounded) if isinstance(value, int) else rounded


def _cidr_match(ip: Any, *blocks: Any) -> bool | None:
    try:
        address = ipaddress.ip_address(str(ip))
    except ValueError:
        return None
    for block in blocks:
        try:
            if address in ipaddress.ip_network(str(block), strict=False):
                return True
        except (ValueError, TypeError):
            continue
    return False


def _bucket(value: Any, span: Any) -> Any:
    """BUCKET(field, span): a date down to its span, a number down to a multiple of a numeric span (a double)."""
    if isinstance(span, (Duration, Period)):
        return _trunc(span, value)
    if isinstance(span, bool) or not isinstance(span, (int, float)) or isinstance(value, bool) \
            or not isinstance(value, (int, float)) or span <= 0:
        return None
    return float(math.floor(value / span) * span)


_WEEK = 7 * 86_400_000
_MONDAY = 4 * 86_400_000  # 1970-01-05, the first Monday after the epoch


def _trunc(span: Any, date: Any) -> int | None:
    """DATE_TRUNC as Elasticsearch rounds (in UTC): 7 days (`1 week`) to the Monday, 1 month, 1 quarter and 1 year
    to the calendar's, any other span to a multiple of it from the epoch."""
    millis = to_millis(date)
    if millis is None:
        return None
    if isinstance(span, Period):
        if span.days:
            from ..errors import UnsupportedQueryError
            raise UnsupportedQueryError("the local engine does not round a date to a period of months and days")
        moment = datetime.fromtimestamp(millis / 1000, timezone.utc)
        months = span.months
        if months not in (1, 3, 12):
            raise ValueError(f"DATE_TRUNC to {span.months} months")  # Elasticsearch's rounding not reproduced
        month = (moment.month - 1) // months * months + 1
        return int(datetime(moment.year, month, 1, tzinfo=timezone.utc).timestamp() * 1000)
    if not isinstance(span, Duration) or span.millis <= 0:
        return None
    if span.days == 7:
        return millis - (millis - _MONDAY) % _WEEK
    return millis - millis % span.millis


def plus_months(millis: int, months: int) -> int | None:
    """A date moved by calendar months, the day of the month kept or clamped to the month's last (Java's
    plusMonths)."""
    day = datetime.fromtimestamp(millis // 1000, timezone.utc).date()
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    if not -292_275_055 <= year <= 292_278_994:
        return None  # past what a long of milliseconds holds: Elasticsearch answers null (with a warning)
    if not 1 <= year <= 9999:
        from ..errors import UnsupportedQueryError
        raise UnsupportedQueryError(f"the local engine does not move a date to the year {year} (past 1 to 9999)")
    moved = day.replace(year=year, month=month + 1, day=min(day.day, calendar.monthrange(year, month + 1)[1]))
    return millis + (moved - day).days * 86_400_000


_DIFF_UNITS = {"millisecond": 1, "milliseconds": 1, "ms": 1, "second": 1000, "seconds": 1000, "ss": 1000, "s": 1000,
               "minute": 60_000, "minutes": 60_000, "mi": 60_000, "n": 60_000, "hour": 3_600_000, "hours": 3_600_000,
               "hh": 3_600_000, "day": 86_400_000, "days": 86_400_000, "dd": 86_400_000, "d": 86_400_000,
               "week": 604_800_000, "weeks": 604_800_000, "wk": 604_800_000, "ww": 604_800_000,
               "dayofyear": 86_400_000, "dy": 86_400_000, "y": 86_400_000, "weekday": 86_400_000,
               "weekdays": 86_400_000, "dw": 86_400_000}
# below a millisecond: the engine's dates hold milliseconds, so a difference is a whole number of these
_DIFF_FINER = {"microsecond": 1000, "microseconds": 1000, "mcs": 1000,
               "nanosecond": 1_000_000, "nanoseconds": 1_000_000, "ns": 1_000_000}
_DIFF_MONTHS = {"month": 1, "months": 1, "mm": 1, "m": 1, "quarter": 3, "quarters": 3, "qq": 3, "q": 3,
                "year": 12, "years": 12, "yy": 12, "yyyy": 12}


DATE_DIFF_UNITS = frozenset(_DIFF_UNITS) | frozenset(_DIFF_MONTHS) | frozenset(_DIFF_FINER)


def _date_diff(unit: Any, start: Any, end: Any) -> int | None:
    """Whole units from start to end, towards zero (Java's ChronoUnit.between in UTC); months, quarters
    and years by the calendar."""
    name = str(unit).lower()
    first, last = to_millis(start), to_millis(end)
    if first is None or last is None:
        return None
    if name in _DIFF_MONTHS:
        return _in_int(_towards_zero(_months_between(first, last), _DIFF_MONTHS[name]))
    if name in _DIFF_FINER:
        return _in_int((last - first) * _DIFF_FINER[name])
    size = _DIFF_UNITS.get(name)
    if size is None:
        raise ValueError(f"DATE_DIFF: unknown unit {unit!r}")
    return _in_int(_towards_zero(last - first, size))  # whole units, in whole numbers (a float loses milliseconds)


def _in_int(value: int) -> int | None:
    """DATE_DIFF answers an integer: past 32 bits null (Elasticsearch: `[1814400000000000] out of [integer]
    range`), so 25 days in milliseconds is null."""
    return value if _INT[0] <= value <= _INT[1] else None


def _towards_zero(amount: int, size: int) -> int:
    return abs(amount) // size * (1 if amount >= 0 else -1)


def _months_between(first: int, last: int) -> int:
    """Whole calendar months from first to last, either way, as Java's LocalDateTime.until counts them: the end
    date moves a day towards the start when its time of day has not been reached, then the months between the
    dates (a day of the month not reached counts no month). Not symmetric: 03-31T10:00 to 02-29T11:00 is 0."""
    a = datetime.fromtimestamp(first // 1000, timezone.utc).replace(microsecond=first % 1000 * 1000)
    b = datetime.fromtimestamp(last // 1000, timezone.utc).replace(microsecond=last % 1000 * 1000)
    end = b.date()
    if end > a.date() and b.time() < a.time():
        end -= timedelta(days=1)
    elif end < a.date() and b.time() > a.time():
        end += timedelta(days=1)
    packed = (end.year * 12 + end.month - 1) * 32 + end.day - ((a.year * 12 + a.month - 1) * 32 + a.day)
    return _towards_zero(packed, 32)


def _epoch_day(moment: datetime) -> int:
    return (moment.date() - datetime(1970, 1, 1).date()).days


# DATE_EXTRACT's parts: java.time's ChronoField names, in UTC
_DATE_PARTS: dict[str, Callable[[datetime, int], int]] = {
    "year": lambda d, ms: d.year, "year_of_era": lambda d, ms: d.year if d.year > 0 else 1 - d.year,
    "era": lambda d, ms: 1, "month_of_year": lambda d, ms: d.month, "day_of_month": lambda d, ms: d.day,
    "day_of_year": lambda d, ms: d.timetuple().tm_yday, "day_of_week": lambda d, ms: d.isoweekday(),
    "hour_of_day": lambda d, ms: d.hour, "clock_hour_of_day": lambda d, ms: d.hour or 24,
    "hour_of_ampm": lambda d, ms: d.hour % 12, "clock_hour_of_ampm": lambda d, ms: d.hour % 12 or 12,
    "ampm_of_day": lambda d, ms: d.hour // 12, "minute_of_hour": lambda d, ms: d.minute,
    "minute_of_day": lambda d, ms: d.hour * 60 + d.minute, "second_of_minute": lambda d, ms: d.second,
    "second_of_day": lambda d, ms: d.hour * 3600 + d.minute * 60 + d.second,
    "milli_of_second": lambda d, ms: ms % 1000, "micro_of_second": lambda d, ms: ms % 1000 * 1000,
    "nano_of_second": lambda d, ms: ms % 1000 * 1_000_000, "milli_of_day": lambda d, ms: ms % 86_400_000,
    "micro_of_day": lambda d, ms: ms % 86_400_000 * 1000, "nano_of_day": lambda d, ms: ms % 86_400_000 * 1_000_000,
    "epoch_day": lambda d, ms: _epoch_day(d), "instant_seconds": lambda d, ms: ms // 1000,
    "proleptic_month": lambda d, ms: d.year * 12 + d.month - 1, "offset_seconds": lambda d, ms: 0,
    "aligned_week_of_year": lambda d, ms: (d.timetuple().tm_yday - 1) // 7 + 1,
    "aligned_week_of_month": lambda d, ms: (d.day - 1) // 7 + 1,
    "aligned_day_of_week_in_year": lambda d, ms: (d.timetuple().tm_yday - 1) % 7 + 1,
    "aligned_day_of_week_in_month": lambda d, ms: (d.day - 1) % 7 + 1,
}


DATE_PARTS = frozenset(_DATE_PARTS)


def _date_extract(part: Any, value: Any) -> int | None:
    """DATE_EXTRACT(part, date): one field of the date in UTC, by java.time's ChronoField name."""
    extract = _DATE_PARTS.get(str(part).lower())
    if extract is None:
        raise ValueError(f"DATE_EXTRACT: unknown part {part!r}")
    millis = to_millis(value)
    if millis is None:
        return None
    return extract(datetime.fromtimestamp(millis // 1000, timezone.utc), int(millis))


def _mv_median(values: list) -> Any:
    """The middle value; of an even count the mean of the two middle ones, rounded down unless the values
    are floating point (Elasticsearch's MV_MEDIAN)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    low, high = ordered[middle - 1], ordered[middle]
    if any(isinstance(v, float) for v in (low, high)):
        return (low + high) / 2
    return (low + high) // 2


def _json_extract(text: Any, path: Any) -> Any:
    """JSON_EXTRACT on JSON text: the value at a dotted path (array positions as [n]), text as it is, any
    other value as its JSON text."""
    node: Any = json.loads(_string(text))
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", _string(path)):
        if part.startswith("["):
            index = int(part[1:-1])
            node = node[index] if isinstance(node, list) and index < len(node) else None
        else:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None
    return node if isinstance(node, str) else json.dumps(node, separators=(",", ":"))


def in_long(number: Any) -> Any:
    """Whole-number arithmetic out of a long's range overflows: null (Elasticsearch warns)."""
    if number.__class__ is int and not _LONG[0] <= number <= _LONG[1]:
        return None
    return number


def _count(number: Any) -> int:
    """REPEAT's and SPACE's count: a negative one is an error (null)."""
    if int(number) < 0:
        raise ValueError("a negative count")
    return int(number)


def _same_type(value: Any, result: int) -> Any:
    """FLOOR and CEIL of a double are a double (FLOOR(7.5) / 2 is 3.5)."""
    return float(result) if isinstance(value, float) else result


def _ip_prefix(ip: Any, v4: Any, v6: Any) -> str | None:
    """IP_PREFIX(ip, prefix length for IPv4, for IPv6): the address with the bits past the prefix zeroed. Both
    lengths are checked whatever the address (Elasticsearch: `Prefix length v6 must be in range [0, 128], found -1`
    makes IP_PREFIX(1.2.3.4, 32, -1) null)."""
    if not (0 <= int(v4) <= 32 and 0 <= int(v6) <= 128):
        return None
    address = ipaddress.ip_address(_string(ip))
    length = int(v4) if address.version == 4 else int(v6)
    return str(ipaddress.ip_network(f"{address}/{length}", strict=False).network_address)


def _one_or_many(values: list) -> Any:
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def _mv_slice(values: list, start: Any, end: Any = None) -> Any:
    """Positions start..end, both included; negative positions count from the end."""
    size = len(values)
    first = int(start) + size if int(start) < 0 else int(start)
    last = first if end is None else (int(end) + size if int(end) < 0 else int(end))
    return _one_or_many(values[max(first, 0):last + 1])


def _from_base64(text: Any) -> str:
    return base64.b64decode(_string(text), validate=True).decode("utf-8", errors="replace")


# single-value functions: called with non-null, single-valued arguments
SCALAR: dict[str, Fn] = {
    "TO_LOWER": lambda s: _string(s).lower(), "TO_UPPER": lambda s: _string(s).upper(),
    "LENGTH": lambda s: len(_string(s)), "TRIM": lambda s: _string(s).strip(),
    "LTRIM": lambda s: _string(s).lstrip(), "RTRIM": lambda s: _string(s).rstrip(),
    "REVERSE": _reverse, "LEFT": lambda s, n: _string(s)[:max(int(n), 0)],
    "RIGHT": lambda s, n: _string(s)[-int(n):] if int(n) > 0 else "", "REPEAT": _repeat,
    "SPACE": _space, "SUBSTRING": _substring, "LOCATE": _locate, "REPLACE": _replace,
    "STARTS_WITH": lambda s, p: _string(s).startswith(_string(p)),
    "ENDS_WITH": lambda s, p: _string(s).endswith(_string(p)),
    "CONTAINS": lambda s, p: _string(p) in _string(s),
    "ST_X": lambda point: point_coordinate(point, 0), "ST_Y": lambda point: point_coordinate(point, 1),
    "TO_GEOPOINT": to_geopoint, "ST_DISTANCE": st_distance,
    "SPLIT": lambda s, d: _string(s).split(_single_byte(_string(d))),
    "CONCAT": _concat,
    "TO_STRING": _string, "TO_INTEGER": _to_integer, "TO_LONG": _to_long, "TO_UNSIGNED_LONG": lambda v: _whole(v, (0, 2**64 - 1)),
    "TO_DOUBLE": _to_double, "TO_BOOLEAN": _to_boolean, "TO_IP": _to_ip, "TO_VERSION": _string,
    "TO_DATETIME": to_datetime, "ABS": abs, "ROUND": _round, "FLOOR": lambda a: _same_type(a, math.floor(a)),
    "CEIL": lambda a: _same_type(a, math.ceil(a)),
    "POW": lambda a, b: float(a) ** float(b), "SQRT": lambda a: math.sqrt(a) if a >= 0 else None,
    "LOG10": lambda a: math.log10(a) if a > 0 else None, "SIGNUM": lambda a: float((a > 0) - (a < 0)),
    "GREATEST": max, "LEAST": min, "CIDR_MATCH": _cidr_match, "DATE_TRUNC": _trunc,
    "BUCKET": _bucket, "DATE_DIFF": _date_diff, "DATE_EXTRACT": _date_extract, "DATE_FORMAT": date_format,
    "URL_DECODE": lambda s: unquote_plus(_string(s), errors="strict"),
    "URL_ENCODE": lambda s: quote_plus(_string(s), safe=""), "JSON_EXTRACT": _json_extract,
    "FROM_BASE64": _from_base64, "TO_BASE64": lambda s: base64.b64encode(_string(s).encode()).decode(),
    "PI": lambda: math.pi, "E": lambda: math.e, "TAU": lambda: math.tau,
    "IP_PREFIX": _ip_prefix,
}


# multi-value functions: called with the argument as a list (a single value is a list of one)
MULTI: dict[str, Fn] = {
    "MV_COUNT": len, "MV_FIRST": lambda v: v[0], "MV_LAST": lambda v: v[-1],
    "MV_MIN": min, "MV_MAX": max, "MV_SUM": lambda v: in_long(sum(v)), "MV_AVG": lambda v: sum(v) / len(v),
    "MV_DEDUPE": lambda v: _one_or_many(list(dict.fromkeys(v))),
    "MV_CONCAT": lambda v, delimiter: _string(delimiter).join(_string(x) for x in v),
    "MV_SORT": lambda v, order="ASC": sorted(v, reverse=str(order).upper() == "DESC"),
    "MV_SLICE": _mv_slice, "MV_MEDIAN": _mv_median,
    "MV_INTERSECTION": lambda v, other: _mv_intersection(v, other),
}


def _mv_intersection(values: list, other: Any) -> Any:
    """The values of the first argument also in the second (each once); null when either is null or none is."""
    if other is None:
        return None
    wanted = set(other) if isinstance(other, list) else {other}
    return _one_or_many(list(dict.fromkeys(v for v in values if v in wanted))) or None

SCALAR.update(MATH)  # the trigonometric and other double functions


# names some ES|QL version (or another query language) has that Elasticsearch 8.19 does not: its verifier answers
# `Unknown function [TO_TEXT]`, so the engine does too (not a refusal: the query is wrong for 8.19)
UNKNOWN_FUNCTIONS = frozenset({"TO_TEXT", "CLAMP", "CLAMP_MIN", "CLAMP_MAX", "AUTO_BUCKET"})  # AUTO_BUCKET: BUCKET
