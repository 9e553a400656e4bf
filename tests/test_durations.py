"""durations: a rule's interval as Kibana's scheduler reads it, look-backs as date math, scenario offsets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from elastic_pack.durations import format_span, parse_interval, parse_lookback, parse_offset, parse_span


@pytest.mark.parametrize("text, seconds", [("1s", 1), ("5m", 300), ("60m", 3600), ("1h", 3600), ("12h", 43200),
                                           ("1d", 86400), ("29m", 1740)])
def test_intervals_kibana_accepts(text, seconds):
    assert parse_interval(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["0m", "00m", "05m", "500ms", "5 m", " 5m", "5M", "1w", "-5m", "5", "m", "", "1.5h"])
def test_intervals_kibana_refuses(text):
    # Kibana's alerting framework: /^[1-9][0-9]*[smhd]$/; a zero interval would also never advance a schedule
    with pytest.raises(ValueError, match="not an interval Kibana accepts"):
        parse_interval(text)


@pytest.mark.parametrize("text, seconds", [("now", 0), ("now-0s", 0), ("now-6m", 360), ("now-2h", 7200),
                                           ("now-2H", 7200), ("now-7d", 604800), ("now-1w", 604800)])
def test_lookbacks(text, seconds):
    assert parse_lookback(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["now-1M", "now-1y", "now-1h/h", "now - 6m", "6m", "now+5m"])
def test_lookbacks_the_engine_cannot_place_are_refused_by_name(text):
    with pytest.raises(ValueError, match="relative date-math"):
        parse_lookback(text)


def test_eql_spans_and_offsets():
    assert parse_span("6h") == timedelta(hours=6) and parse_span("500ms") == timedelta(milliseconds=500)
    assert parse_offset("5h59m") == timedelta(hours=5, minutes=59)
    with pytest.raises(ValueError):
        parse_offset("5h 59x")
    assert [format_span(timedelta(seconds=s)) for s in (86400, 3600, 120, 90)] == ["1d", "1h", "2m", "90s"]
