"""Kibana schedule strings ("5m", "now-370m") and EQL spans ("6h") as timedeltas."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
# Longer than any schedule, look-back, sequence or scenario needs; beyond it spans overflow datetime's range
MAX_SPAN_DAYS = 36_500
_SPAN = re.compile(r"^\s*(\d+)\s*(ms|s|m|h|d)\s*$")
_DATE_MATH = re.compile(r"^now(?:-(\d+)(s|m|h|H|d|w))?$")
# Kibana's alerting framework (parse_duration.ts): a whole number above zero and one of s, m, h, d
_INTERVAL = re.compile(r"^[1-9][0-9]*(s|m|h|d)$")


def parse_span(text: str) -> timedelta:
    """'5m' -> 5 minutes. Raises ValueError on anything else."""
    match = _SPAN.match(text)
    if not match:
        raise ValueError(f"not a duration: {text!r} (expected e.g. 5m, 1h)")
    return _bounded(int(match.group(1)) * _UNITS[match.group(2)], text)


def _bounded(seconds: float, text: str) -> timedelta:
    """seconds as a timedelta; ValueError (not OverflowError) beyond MAX_SPAN_DAYS."""
    if abs(seconds) > MAX_SPAN_DAYS * 86400:
        raise ValueError(f"{text!r} is longer than {MAX_SPAN_DAYS // 365} years")
    return timedelta(seconds=seconds)


def parse_interval(text: str) -> timedelta:
    """A rule's `interval` as Kibana's task scheduler reads it ('5m'); ValueError for anything it refuses
    ('0m', '500ms', '5 m', '1w')."""
    if not isinstance(text, str) or not _INTERVAL.match(text):
        raise ValueError(f"not an interval Kibana accepts: {text!r} (a whole number above 0 and s, m, h or d: "
                         "5m, 1h)")
    return _bounded(int(text[:-1]) * _UNITS[text[-1]], text)


def parse_lookback(date_math: str) -> timedelta:
    """'now-370m' -> 370 minutes; 'now' -> 0. Only the relative form rules use."""
    match = _DATE_MATH.match(date_math.strip())
    if not match:
        raise ValueError(f"not a relative date-math expression: {date_math!r} (expected e.g. now-60m)")
    if match.group(1) is None:
        return timedelta(0)
    unit = {"H": "h", "w": "d"}.get(match.group(2), match.group(2))
    return _bounded(int(match.group(1)) * _UNITS[unit] * (7 if match.group(2) == "w" else 1), date_math)


def format_span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


_PART = re.compile(r"(\d+)(ms|s|m|h|d)")


def parse_offset(text: str) -> timedelta:
    """'5h59m' -> 5 hours 59 minutes: compound spans for scenario offsets."""
    compact = text.replace(" ", "")
    parts = _PART.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f"not a duration: {text!r} (expected e.g. 90s, 5h59m)")
    return _bounded(sum(int(n) * _UNITS[u] for n, u in parts), text)
