"""ECS events from ndjson files (plain or .gz): flattened to dotted keys, timestamps parsed, bad lines counted."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..documents import AMBIGUOUS, MISSING, flatten, lookup
from ..errors import InputError
from ..fastjson import loads
from .json_files import whole_json_records


class Event:
    """One event: flat fields, its @timestamp and the time rule windows use (the rules' timestamp_override,
    event.ingested for Elastic's, when the event has it).

    An event read from a document keeps the document and flattens it only when a rule looks at more than
    the field it is routed on (`get`): most events of a busy source never reach a rule's query."""

    __slots__ = ("_fields", "_document", "timestamp", "window_time", "source")

    def __init__(self, fields: dict[str, Any] | None, timestamp: float, window_time: float, source: str = "",
                 document: dict | None = None):
        self._fields = fields
        self._document = document
        self.timestamp = timestamp
        self.window_time = window_time
        self.source = source

    @property
    def fields(self) -> dict[str, Any]:
        fields = self._fields
        if fields is None:
            fields = self._fields = flatten(self._document or {})
            self._document = None
        return fields

    def get(self, name: str) -> Any:
        """One field's value (None when absent), flattening the document only when it must."""
        if self._fields is not None:
            return self._fields.get(name)
        value = lookup(self._document or {}, name)
        if value is AMBIGUOUS:
            return self.fields.get(name)
        return None if value is MISSING else value

    def __repr__(self) -> str:
        return f"Event({self.source or '?'} @ {self.timestamp})"


@dataclass
class ReadReport:
    read: int = 0
    skipped: list[str] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)  # "rule: reason" for each rule the engine refused

    @property
    def skipped_count(self) -> int:
        return len(self.skipped)


def parse_time(value: Any) -> float:
    """ISO 8601 string or epoch milliseconds -> epoch seconds."""
    if value.__class__ is str and value.endswith("Z") and value[:1].isdigit():
        try:  # the usual form, 2026-01-05T09:00:00.000Z: fromisoformat reads it directly (3.11+)
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            pass
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


_FROM_ISO = datetime.fromisoformat


def event_time(value: Any) -> float:
    """A document's time as epoch seconds, refused as plausible_time refuses. The usual UTC form
    (2026-01-05T09:14:07.123Z) is read by datetime's own C parser, as parse_time reads it, with the
    plausibility check inline: this runs for every event of every input."""
    if value.__class__ is str and value[-1:] == "Z" and value[:1].isdigit():
        try:
            epoch = _FROM_ISO(value).timestamp()
        except ValueError:
            pass
        else:
            if _EARLIEST <= epoch <= time.time() + _FUTURE_MARGIN:
                return epoch
    return plausible_time(parse_time(value), value)


def format_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


INGESTED = "event.ingested"  # the window field of Elastic's rules (timestamp_override); without one, @timestamp


def event_from_document(document: dict, source: str = "", window_field: str = INGESTED) -> Event:
    """An event of a document as Elasticsearch stores it (nested objects or dotted keys). Its window time is
    `window_field` (a rule's timestamp_override), @timestamp where the document lacks it, as Kibana falls back."""
    event = Event(None, 0.0, 0.0, source, document)
    stamp = event.get("@timestamp")
    if stamp is None:
        raise ValueError("no @timestamp")
    timestamp = event_time(stamp)
    override = event.get(window_field) if window_field != "@timestamp" else None
    event.timestamp = timestamp
    event.window_time = (timestamp if override == stamp else event_time(override)) if override is not None \
        else timestamp
    return event


def open_events(path: Path) -> Any:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return path.open("rb")


def _document(raw: bytes, source: str, window_field: str = INGESTED) -> Event:
    try:
        document = loads(raw)
    except UnicodeDecodeError:
        try:  # where the bad byte is in the line, not in the string that holds it
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"not UTF-8 text (byte {exc.start + 1})") from None
        raise ValueError("not UTF-8 text") from None
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    return event_from_document(document, source, window_field)


def read_events(paths: Iterable[Path], report: ReadReport, strict: bool = False,
                window_field: str = INGESTED) -> Iterator[Event]:
    """Stream events from ndjson files (or files that are one JSON document, see json_files.py). A bad line
    is recorded in `report` (file:line: reason) and skipped, or raises InputError when strict; the lines
    around it are read as usual. Window times are `window_field`'s, @timestamp where an event lacks it."""
    for path in paths:
        path = Path(path)
        try:
            handle = open_events(path)
        except OSError as exc:
            raise InputError(f"{path}: cannot open: {exc.strerror or exc}") from None
        with handle:
            records = whole_json_records(path, open_events)
            if records is not None:  # one JSON document: an array of events or a search response
                yield from _record_events(records, report, strict, window_field)
                continue
            number = 0
            try:
                for number, raw in enumerate(handle, start=1):
                    if not raw.strip():
                        continue
                    try:
                        event = _document(raw, f"{path}:{number}", window_field)
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


def _record_events(records: list, report: ReadReport, strict: bool, window_field: str) -> Iterator[Event]:
    for where, document in records:
        try:
            if not isinstance(document, dict):
                raise ValueError("not a JSON object")
            event = event_from_document(document, where, window_field)
        except ValueError as exc:
            if strict:
                raise InputError(f"{where}: {exc}") from None
            report.skipped.append(f"{where}: {exc}")
            continue
        report.read += 1
        yield event
