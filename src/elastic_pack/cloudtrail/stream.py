"""CloudTrail files decoded in parallel (one worker per core, files in delivery order) and merged into one
stream of ECS events in time order.

Workers do the expensive part (gunzip, JSON, time parsing, the ECS mapping) and send back only what a rule
can match, with counts of the rest: a trail is mostly S3, EC2 and STS calls no rule of the pack looks at.
"""

from __future__ import annotations

import heapq
import marshal
import re
import zlib
from collections import Counter
from operator import itemgetter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import msgspec

from ..engine.events import Event, event_time
from ..engine.reads import keeper
from ..parallel import ordered_results
from .ecs import EcsFields, to_ecs
from .files import InputReport, delivery_time, file_records, find_files, read_bytes

FILES_PER_TASK = 8  # enough work per task to hide the cost of sending it; large inputs send up to
MAX_FILES_PER_TASK = 32  # this many per task (each task's result is one message the merge waits on)


@dataclass
class FileBatch:
    """One file, decoded: the records a rule may match and a summary of all of them."""

    path: str
    report: InputReport
    events: list[tuple[float, float, dict]] = field(default_factory=list)  # (window time, time, ECS document)
    hours: Counter = field(default_factory=Counter)  # records in range per hour (epoch hours)
    in_range: int = 0
    first: float | None = None  # the earliest and latest record time in range
    last: float | None = None
    clock: list[tuple[float, float, dict]] = field(default_factory=list)  # earliest/latest window, as stubs


@dataclass
class StreamTotals:
    """What the whole input held, matched by a rule or not (the events stream carries only the former)."""

    records: int = 0
    hours: Counter = field(default_factory=Counter)
    first: float | None = None
    last: float | None = None

    def add(self, batch: FileBatch) -> None:
        self.records += batch.in_range
        self.hours.update(batch.hours)
        if batch.first is not None and batch.last is not None:
            self.first = batch.first if self.first is None else min(self.first, batch.first)
            self.last = batch.last if self.last is None else max(self.last, batch.last)


class _Head(msgspec.Struct):
    """The two fields that decide whether a record is mapped or only counted."""

    eventTime: object = None
    eventName: object = None


class _Delivery(msgspec.Struct):
    Records: list[msgspec.Raw]


class _Heads(msgspec.Struct):
    Records: list[_Head]


_DELIVERY = msgspec.json.Decoder(_Delivery)
_HEAD = msgspec.json.Decoder(_Head)
_HEADS = msgspec.json.Decoder(_Heads)
_ANY = msgspec.json.Decoder()
# CloudTrail's own eventTime form: UTC to the second, all of one length, so that text order is time order
_SECONDS_UTC = re.compile(r"(?:[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-5][0-9]:[0-5][0-9]Z\n)*")
_HOUR_OF = itemgetter(slice(0, 13))


_UNREAD = msgspec.Raw()  # a key the record does not have


class _Needed(msgspec.Struct):
    """A record's time and action, and the keys its ECS fields are made from (made per EcsFields)."""

    eventTime: object = None
    eventName: object = None


@cache
def _needed_decoder(keys: tuple[str, ...]) -> msgspec.json.Decoder:
    """One decoding of a delivery file giving every record's time and action (typed) and, untouched, the
    bytes of the other keys its ECS fields need: the records a rule reads are then made from those, with no
    second pass over the file (whole files were decoded twice, once for the heads, once for the records)."""
    record = msgspec.defstruct("_NeededRecord", [(key, msgspec.Raw, _UNREAD) for key in keys
                                                 if key not in ("eventTime", "eventName")], bases=(_Needed,))
    records = msgspec.defstruct("_NeededRecords", [("Records", list[record])])  # type: ignore[valid-type]
    return msgspec.json.Decoder(records)


def _record_of(needed: Any, keys: tuple[str, ...]) -> dict:
    """The record as far as its ECS fields read it (key order aside, what decoding it whole gives them)."""
    record = {"eventTime": needed.eventTime, "eventName": needed.eventName}
    for key in keys:
        if key != "eventTime" and key != "eventName":
            raw = getattr(needed, key)
            if len(raw):
                record[key] = _ANY.decode(raw)
    return record


@cache
def _ecs_fields(reads: frozenset | None) -> EcsFields | None:
    """The ECS fields the rules read (engine.reads), decided once per worker; None: every field."""
    return None if reads is None else EcsFields(keeper(reads))


def _whole_file_batch(path: Path, data: bytes, actions: frozenset, start: float | None,
                      end: float | None, fields: EcsFields | None = None) -> FileBatch | None:
    """decode_file's batch for the usual S3 delivery file (window on eventTime), with no Python work per record
    a rule does not read: the file's times are checked in one regular-expression match, its hours counted
    from their text and its first and last time read from the text's order. None when any record is unusual
    (a time in another form, a name or time that is not a string, a record to_ecs refuses, a record out of
    [start, end)): the general loop then gives the answers and the reasons, record by record."""
    try:
        heads = (_HEADS if fields is None else _needed_decoder(fields.keys)).decode(data).Records
    except (ValueError, RecursionError):
        return None
    times: list[Any] = [head.eventTime for head in heads]  # checked below: strings of one form
    names: list[Any] = [head.eventName for head in heads]
    if not heads or any(name.__class__ is not str for name in names):
        return None
    try:  # (str.join refuses a time that is not a string)
        if not _SECONDS_UTC.fullmatch("\n".join(times) + "\n"):
            return None
        first, last = event_time(min(times)), event_time(max(times))
        hours = Counter({int(event_time(hour + ":00:00Z") // 3600): n
                         for hour, n in Counter(map(_HOUR_OF, times)).items()})
    except (TypeError, ValueError, OverflowError):
        return None
    if (start is not None and first < start) or (end is not None and last >= end):
        return None
    report = InputReport(files=1, records=len(heads))
    batch = FileBatch(str(path), report, hours=hours, in_range=len(heads), first=first, last=last)
    wanted = [index for index, name in enumerate(names) if name in actions]
    if wanted:
        raws = _DELIVERY.decode(data).Records if fields is None else None
        keys = fields.keys if fields is not None else ()
        try:
            for index in wanted:
                record = _ANY.decode(raws[index]) if raws is not None else _record_of(heads[index], keys)
                doc = to_ecs(record, fields)
                t = event_time(doc["@timestamp"])
                batch.events.append((t, t, doc))
        except (ValueError, TypeError, OverflowError):
            return None
    others = [stamp for stamp, name in zip(times, names) if name not in actions] if wanted else times
    if others:  # clock stubs at the earliest and latest record no rule reads, as decode_file makes them
        for stamp in dict.fromkeys((min(others), max(others))):
            t = event_time(stamp)
            batch.clock.append((t, t, {"@timestamp": stamp, "event.dataset": "aws.cloudtrail"}))
    return batch


def _file_records(path: Path, report: InputReport, actions: frozenset | None, data: bytes | None) -> list:
    """(record or None, eventTime, eventName) per record. An S3 delivery file decodes in full only the records
    whose action a rule reads; any other form (or a broken file) goes to the general reader, with the bytes
    already read (None: unreadable)."""
    try:
        if data is None:
            raise ValueError("unreadable")
        records = _DELIVERY.decode(data).Records
        heads = [_HEAD.decode(raw) for raw in records]
    except (ValueError, RecursionError):  # msgspec.DecodeError and UnicodeDecodeError are ValueErrors
        return [(record, None, None) for record in file_records(path, report, data)]
    report.files += 1
    out: list[tuple[dict | None, object, object]] = []
    for raw, head in zip(records, heads):
        name = head.eventName
        if actions is not None and name.__class__ is str and name not in actions and head.eventTime is not None:
            out.append((None, head.eventTime, name))
        else:
            out.append((_ANY.decode(raw), None, None))
    return out


def decode_file(path: Path, actions: frozenset | None, start: float | None, end: float | None,
                window_on: str, reads: frozenset | None = None) -> FileBatch:
    """With `actions` (every rule's gate on event.action), records with other actions are counted, not mapped;
    with `reads` (the fields the rules read, engine.reads), the events hold only those fields."""
    fields = _ecs_fields(reads)
    try:
        data: bytes | None = read_bytes(path)
    except (OSError, EOFError, zlib.error):
        data = None  # the general reader reads again and reports why it cannot
    if data is not None and actions is not None and window_on == "event":
        quick = _whole_file_batch(path, data, actions, start, end, fields)
        if quick is not None:
            return quick
    report = InputReport()
    batch = FileBatch(str(path), report)
    delivered = delivery_time(path) if window_on == "delivery" else None
    earliest = latest = None  # (window, time, raw eventTime) of the records that bound the file's windows
    hours = batch.hours
    for record, raw, name in _file_records(path, report, actions, data):
        try:
            if record is not None and (actions is None or record.get("eventName") in actions
                                       or "eventTime" not in record):
                doc = to_ecs(record, fields)
                raw = doc["@timestamp"]
            else:
                doc = None
                raw = record["eventTime"] if record is not None else raw
                if raw.__class__ is not str:
                    raise ValueError(f"eventTime is not a date string: {str(raw)[:40]!r}")
            t = event_time(raw)
        except (ValueError, TypeError, OverflowError) as exc:
            event_id = record.get("eventID", "?") if record is not None else "?"
            report.skipped.append(f"{path}: record {event_id}: {exc}")
            continue
        report.records += 1
        if (start is not None and t < start) or (end is not None and t >= end):
            continue
        # rule windows read event.ingested; raw CloudTrail has none, and the delivery time is its proxy
        window = max(t, delivered) if delivered is not None else t
        batch.in_range += 1
        hours[int(t // 3600)] += 1
        if batch.first is None or t < batch.first:
            batch.first = t
        if batch.last is None or t > batch.last:
            batch.last = t
        if doc is not None:
            batch.events.append((window, t, doc))
        elif actions is not None:
            if earliest is None or window < earliest[0]:
                earliest = (window, t, raw)
            if latest is None or window > latest[0]:
                latest = (window, t, raw)
    clock = {id(b): b for b in (earliest, latest) if b}.values()
    batch.clock = [(w, t, {"@timestamp": raw, "event.dataset": "aws.cloudtrail"}) for w, t, raw in clock]
    return batch


def _sent(batch: FileBatch) -> tuple:
    """A FileBatch as plain values, for marshal (several times cheaper than pickling the dataclasses and the
    events' dicts, on both sides; the values are JSON's, which marshal keeps as they are, order included)."""
    report = batch.report
    return (batch.path, report.files, report.records, report.skipped, report.late, batch.events,
            dict(batch.hours), batch.in_range, batch.first, batch.last, batch.clock)


def _received(sent: tuple) -> FileBatch:
    path, files, records, skipped, late, events, hours, in_range, first, last, clock = sent
    return FileBatch(path, InputReport(files, records, skipped, late), events, Counter(hours), in_range, first,
                     last, clock)


def _decode_files(paths: list[Path], *args) -> bytes:
    return marshal.dumps([_sent(decode_file(path, *args)) for path in paths])


def decoded(files: list[Path], args: tuple, jobs: int) -> Iterator[FileBatch]:
    """FileBatches in file order; with jobs > 1 decoded by that many processes, a bounded number ahead."""
    if jobs <= 1 or len(files) < 2 * FILES_PER_TASK:
        for path in files:
            yield decode_file(path, *args)
        return
    # fewer, larger messages for large inputs (less waiting and waking in the merge), while every worker
    # still has several tasks
    size = max(FILES_PER_TASK, min(MAX_FILES_PER_TASK, len(files) // (4 * jobs)))
    tasks = ((files[i:i + size], *args) for i in range(0, len(files), size))
    for sent in ordered_results(_decode_files, tasks, jobs, ahead=4 * jobs):
        yield from map(_received, marshal.loads(sent))


def cloudtrail_events(paths: Iterable[Path], report: InputReport, start: float | None = None,
                      end: float | None = None, tolerance: float = 1800.0, on_file=None,
                      actions: frozenset | None = None, window_on: str = "event", jobs: int = 1,
                      totals: StreamTotals | None = None, reads: frozenset | None = None) -> Iterator[Event]:
    """ECS events from CloudTrail files, in time order.

    Files arrive roughly in order and records within them are not sorted; a heap holds events until they are
    `tolerance` seconds older than the newest seen. An event later than that is counted in `report.late`
    and skipped (the engine needs time order), never dropped silently. With `actions`, only records with
    those actions become events, plus the earliest and latest record of each file as clock stubs (no action:
    no rule matches them) so the rules' schedules start and end where the whole input does. With `reads`
    (engine.reads.rules_read of the rules to be fed), events hold only the fields those rules read.
    """
    heap: list[tuple[float, int, Event]] = []
    newest, released, counter = float("-inf"), float("-inf"), 0
    for batch in decoded(find_files(paths), (actions, start, end, window_on, reads), jobs):
        report.add(batch.report)
        if totals is not None:
            totals.add(batch)
        for window, t, doc in batch.events + batch.clock:
            if window < released:
                report.late += 1
                continue
            counter += 1
            heapq.heappush(heap, (window, counter, Event(doc, t, window, batch.path)))
            newest = max(newest, window)
        while heap and heap[0][0] < newest - tolerance:
            released, _, event = heapq.heappop(heap)
            yield event
        if on_file:
            on_file(Path(batch.path))
    while heap:
        released, _, event = heapq.heappop(heap)
        yield event
