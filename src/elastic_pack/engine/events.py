"""ECS events from ndjson files (plain or .gz): flattened to dotted keys, timestamps parsed, bad lines counted."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..documents import flatten
from ..errors import InputError


@dataclass(slots=True)
class Event:
    """One event: flat fields, its @timestamp and the time rule windows use (event.ingested if present)."""

    fields: dict[str, Any]
    timestamp: float
    window_time: float
    source: str = ""


@dataclass
class ReadReport:
    read: int = 0
    skipped: list[str] = field(default_factory=list)

    @property
    def skipped_count(self) -> int:
        return len(self.skipped)


def parse_time(value: Any) -> float:
    """ISO 8601 string or epoch milliseconds -> epoch seconds."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not a timestamp: {value!r}")
    try:
        if isinstance(value, (int, float)):
            return float(value) / 1000.0
        text = str(value).strip()
        if text.isdigit():
            return int(text) / 1000.0
    except OverflowError:
        raise ValueError(f"not a timestamp: {str(value)[:40]!r}") from None
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


_EARLIEST = 631152000.0  # 1990-01-01: no security log is older
_FUTURE_MARGIN = 366 * 86400.0


def plausible_time(epoch: float, raw: Any) -> float:
    """The time, or ValueError when it cannot be a log's time (NaN, infinite, before 1990, over a year
    ahead): such events would make the engine step through decades of scheduled runs."""
    if epoch != epoch or epoch in (float("inf"), float("-inf")):
        raise ValueError(f"impossible time {raw!r}")
    if epoch < _EARLIEST:
        hint = (" (it looks like epoch seconds; timestamps in numbers are epoch milliseconds)"
                if _EARLIEST <= epoch * 1000 < time.time() + _FUTURE_MARGIN else "")
        raise ValueError(f"impossible time {raw!r}: before 1990{hint}")
    if epoch > time.time() + _FUTURE_MARGIN:
        raise ValueError(f"impossible time {raw!r}: more than a year in the future")
    return epoch


def format_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_from_document(document: dict, source: str = "") -> Event:
    fields = flatten(document)
    if "@timestamp" not in fields:
        raise ValueError("no @timestamp")
    timestamp = plausible_time(parse_time(fields["@timestamp"]), fields["@timestamp"])
    ingested = fields.get("event.ingested")
    window_time = plausible_time(parse_time(ingested), ingested) if ingested is not None else timestamp
    return Event(fields, timestamp, window_time, source)


def _open(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return path.open("rb")


def _document(raw: bytes, source: str) -> Event:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (byte {exc.start + 1})") from None
    try:
        document = json.loads(line)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    return event_from_document(document, source)


def read_events(paths: Iterable[Path], report: ReadReport, strict: bool = False) -> Iterator[Event]:
    """Stream events from ndjson files. A bad line is recorded in `report` (file:line: reason) and skipped,
    or raises InputError when strict; the lines around it are read as usual."""
    for path in paths:
        path = Path(path)
        try:
            handle = _open(path)
        except OSError as exc:
            raise InputError(f"{path}: cannot open: {exc.strerror or exc}") from None
        with handle:
            number = 0
            try:
                for number, raw in enumerate(handle, start=1):
                    if not raw.strip():
                        continue
                    try:
                        event = _document(raw, f"{path}:{number}")
                    except ValueError as exc:
                        reason = f"{path}:{number}: {exc}"
                        if strict:
                            raise InputError(reason) from None
                        report.skipped.append(reason)
                        continue
                    report.read += 1
                    yield event
            except (OSError, EOFError) as exc:
                reason = f"{path}:{number + 1}: unreadable: {exc}"
                if strict:
                    raise InputError(reason) from None
                report.skipped.append(reason)
