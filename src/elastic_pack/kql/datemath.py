"""Elasticsearch dates: `strict_date_optional_time||epoch_millis` values and date math (`now-1d/d`).

Times are epoch milliseconds (floats). Rounding follows Elasticsearch's range queries: `gte` and `lt` round
down; `gt` and `lte` round up, for `/unit` to the unit's end and for components a date leaves out to the
last instant of its first day (`lte: 2024-01-01` covers the whole day, `lte: 2024-01` only its first day).
Dates without a zone are UTC, as Kibana's detection engine sends `dateFormatTZ: Zulu`.
"""

from __future__ import annotations

import calendar
import math
import re
from datetime import datetime, timedelta, timezone
from typing import Any

_ISO = re.compile(
    r"(?P<y>[+-]?\d{4,9})(?:-(?P<mo>\d{2})(?:-(?P<d>\d{2})(?:[T ](?P<h>\d{2})(?::(?P<mi>\d{2})"
    r"(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?)?)?)?)?(?P<z>Z|[+-]\d{2}(?::?\d{2})?)?$"
)
_MATH = re.compile(r"([+-])(\d+)([yMwdhHms])|/([yMwdhHms])")


class DateError(ValueError):
    pass


def _zone(text: str | None) -> timezone:
    if not text or text == "Z":
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _ms(moment: datetime) -> float:
    return (moment - datetime(1970, 1, 1, tzinfo=timezone.utc)) / timedelta(milliseconds=1)


def parse_date(text: str, round_up: bool = False) -> float:
    """A date string (ISO 8601 with optional parts, or epoch millis) -> epoch ms."""
    text = text.strip()
    match = _ISO.match(text)
    if match and (len(match["y"].lstrip("+-")) == 4 or not text.lstrip("-").isdigit()):
        return _iso_ms(match, round_up)
    try:
        value = float(text)
    except ValueError:
        raise DateError(f"failed to parse date {text!r}") from None
    if math.isnan(value) or math.isinf(value):
        raise DateError(f"failed to parse date {text!r}")
    return value


def _iso_ms(match: re.Match, round_up: bool) -> float:
    parts = [match["y"], match["mo"], match["d"], match["h"], match["mi"], match["s"]]
    year = int(parts[0])
    month, day = int(parts[1] or 1), int(parts[2] or 1)
    hour, minute, second = int(parts[3] or 0), int(parts[4] or 0), int(parts[5] or 0)
    fraction = match["f"]
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=_zone(match["z"]))
    except ValueError as exc:
        raise DateError(f"failed to parse date {match.string!r}: {exc}") from None
    ms = _ms(moment)
    if fraction:
        ms += int(fraction.ljust(9, "0")) / 1e6
    elif round_up:
        # Elasticsearch fills the components a rounded-up bound leaves out with the day's last instant, not
        # the period's: month and day stay 01 ("2024-03" is 2024-03-01T23:59:59.999999999), the time is
        # 23:59:59.999999999 where missing, as its range query documents
        filled = moment.replace(hour=23 if parts[3] is None else hour, minute=59 if parts[4] is None else minute,
                                second=59 if parts[5] is None else second)
        ms = _ms(filled) + 999.999  # to the microsecond: a float of epoch ms holds no finer
    return ms


def _add_unit(moment: datetime, unit: str, amount: int) -> datetime:
    if unit == "y":
        return _add_months(moment, 12 * amount)
    if unit == "M":
        return _add_months(moment, amount)
    seconds = {"w": 604800, "d": 86400, "h": 3600, "H": 3600, "m": 60, "s": 1}[unit]
    return moment + timedelta(seconds=seconds * amount)


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _round_down(moment: datetime, unit: str) -> datetime:
    if unit == "y":
        return moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "M":
        return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "w":
        day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        return day - timedelta(days=day.weekday())
    if unit == "d":
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit in "hH":
        return moment.replace(minute=0, second=0, microsecond=0)
    if unit == "m":
        return moment.replace(second=0, microsecond=0)
    return moment.replace(microsecond=0)


def resolve(text: str, now_ms: float, round_up: bool = False) -> float:
    """Date math (`now-1d/d`, `2024-01-01||+1M`) or a plain date -> epoch ms."""
    text = str(text).strip()
    if text.startswith("now"):
        anchor_ms, math_part = now_ms, text[3:]
    elif "||" in text:
        anchor_text, math_part = text.split("||", 1)
        anchor_ms = parse_date(anchor_text)
    else:
        return parse_date(text, round_up)
    moment = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=anchor_ms)
    position = 0
    for step in _MATH.finditer(math_part):
        if step.start() != position:
            break
        position = step.end()
        if step.group(4):
            unit = step.group(4)
            moment = _round_down(moment, unit)
            if round_up:
                moment = _add_unit(moment, unit, 1) - timedelta(milliseconds=1)
        else:
            amount = int(step.group(2)) * (1 if step.group(1) == "+" else -1)
            moment = _add_unit(moment, step.group(3), amount)
    if position != len(math_part):
        raise DateError(f"invalid date math {text!r}")
    return _ms(moment)


def value_ms(value: Any) -> float | None:
    """A document's date value (ISO string, epoch millis number or digit string) -> epoch ms, or None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return None if isinstance(value, float) and (math.isnan(value) or math.isinf(value)) else float(value)
    try:
        return parse_date(str(value))
    except DateError:
        return None
