"""Document times: the usual UTC form read to the same float datetime gives, impossible times refused."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from elastic_pack.engine.events import event_time


@pytest.mark.parametrize("text", ["2026-01-05T09:14:07Z", "2026-01-05T09:14:07.1Z", "2026-01-05T09:14:07.123Z",
                                  "2026-01-05T09:14:07.123456Z", "2026-01-05T23:59:59.999999Z",
                                  "1990-01-01T00:00:00Z", "2026-01-05T09:14:07+01:00", "2026-01-05T09:14:07"])
def test_times_read_as_datetime_reads_them(text):
    expected = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if expected.tzinfo is None:  # no offset: UTC
        expected = expected.replace(tzinfo=timezone.utc)
    assert event_time(text) == expected.timestamp()


def test_epoch_milliseconds():
    assert event_time(1767604447123) == 1767604447.123
    assert event_time("1767604447123") == 1767604447.123


@pytest.mark.parametrize("text", ["2026-01-05T24:00:00Z", "2026-01-05T09:60:00Z", "2026-01-05T09:14:60Z",
                                  "2026-13-05T09:14:07Z", "not a time Z",
                                  "1989-12-31T23:59:59Z"])
def test_impossible_times_are_refused(text):
    with pytest.raises(ValueError):
        event_time(text)


def test_a_year_ahead_is_the_limit():
    just_inside = datetime.fromtimestamp(time.time() + 365 * 86400, timezone.utc)
    just_outside = datetime.fromtimestamp(time.time() + 367 * 86400, timezone.utc)
    assert event_time(just_inside.strftime("%Y-%m-%dT%H:%M:%SZ")) > time.time()
    with pytest.raises(ValueError, match="more than a year in the future"):
        event_time(just_outside.strftime("%Y-%m-%dT%H:%M:%SZ"))
