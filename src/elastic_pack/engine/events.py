"""ECS events from ndjson files (plain or .gz): flattened to dotted keys, timestamps parsed, bad lines counted."""

from __future__ import annotations

import gzip
import json
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
    if isinstance(value, (int, float)):
        return float(value) / 1000.0
    text = str(value).strip()
    if text.isdigit():
        return int(text) / 1000.0
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def format_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_from_document(document: dict, source: str = "") -> Event:
    fields = flatten(document)
    if "@timestamp" not in fields:
        raise ValueError("no @timestamp")
    timestamp = parse_time(fields["@timestamp"])
    ingested = fields.get("event.ingested")
    window_time = parse_time(ingested) if ingested is not None else timestamp
    return Event(fields, timestamp, window_time, source)


def _open(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open("r", encoding="utf-8")


def read_events(paths: Iterable[Path], report: ReadReport, strict: bool = False) -> Iterator[Event]:
    """Stream events from ndjson files. A bad line is recorded in `report` (file:line: reason) and skipped,
    or raises InputError when strict."""
    for path in paths:
        path = Path(path)
        try:
            handle = _open(path)
        except OSError as exc:
            raise InputError(f"{path}: cannot open: {exc.strerror or exc}") from None
        with handle:
            number = 0
            try:
                for number, line in enumerate(handle, start=1):
                    if not line.strip():
                        continue
                    try:
                        document = json.loads(line)
                        if not isinstance(document, dict):
                            raise ValueError("not a JSON object")
                        event = event_from_document(document, f"{path}:{number}")
                    except ValueError as exc:
                        reason = f"{path}:{number}: {exc}"
                        if strict:
                            raise InputError(reason) from None
                        report.skipped.append(reason)
                        continue
                    report.read += 1
                    yield event
            except (OSError, EOFError, UnicodeDecodeError) as exc:
                reason = f"{path}:{number + 1}: unreadable: {exc}"
                if strict:
                    raise InputError(reason) from None
                report.skipped.append(reason)
