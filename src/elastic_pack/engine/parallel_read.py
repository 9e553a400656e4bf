"""Events files read in stretches, by several processes for large inputs: each stretch's lines are decoded
only as far as the rules' gates and the clock need, and only the events some gate lets through are decoded in
full and flattened, with what the merge needs to keep the stream exactly as a serial read gives it (line
numbers, skipped lines, the first and last event's times, whether the stretch was in time order). Events
sent between processes travel in marshal's form (a list of dicts costs several times more to pickle and
unpickle than the marshalled bytes of each).

Used by `preview` when every rule has a gate; otherwise every event must reach a rule and the plain read
(events.read_events) does less work.
"""

from __future__ import annotations

import marshal
import os
import time
from datetime import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..documents import flatten
from ..errors import InputError
from ..fastjson import loads
from ..parallel import ordered_results
from .events import _EARLIEST, _FUTURE_MARGIN, INGESTED, Event, ReadReport, _document, event_time, open_events
from .field_extract import FieldExtractor
from .gates import holds, passes

CHUNK_BYTES = 4 << 20
MIN_PARALLEL_BYTES = 16 << 20

Gates = tuple  # (field, values) pairs: an event with one of the values on one of the fields reaches some rule


@dataclass
class Chunk:
    path: str
    lines: int = 0  # lines in this stretch, for the next stretch's numbering
    read: int = 0
    # (line, flat fields, time, window); the fields marshalled when the chunk comes from another process
    events: list[tuple[int, Any, float, float]] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    error: tuple[int, str] | None = None  # strict mode: the first bad line
    ordered: bool = True  # window times never go back inside the stretch
    first: tuple[int, float, float] | None = None  # (line, time, window) of its first and last event
    last: tuple[int, float, float] | None = None


_EXTRACTORS: dict[tuple, FieldExtractor | None] = {}


def _extractor(gates: Gates, window_field: str) -> FieldExtractor | None:
    """A decoder of just the fields the gates and the clock read (None: decode every line in full)."""
    names = ("@timestamp", window_field, *(name for name, _ in gates))
    if names not in _EXTRACTORS:
        try:
            _EXTRACTORS[names] = FieldExtractor(list(names))
        except ValueError:
            _EXTRACTORS[names] = None
    return _EXTRACTORS[names]


def _quick(raw: bytes, extractor: FieldExtractor, gates: Gates, window_field: str) -> tuple[float, float, bool] | None:
    """(time, window time, wanted) from the few fields, or None when the line needs the full path (which
    then gives the same answer, or the same error, as a serial read). scan() answers the same inline."""
    found = extractor.values(raw)
    if found is None or found.get("@timestamp") is None:
        return None
    try:
        stamp, override = found["@timestamp"], found.get(window_field)
        timestamp = event_time(stamp)
        window = timestamp if override is None or override == stamp else event_time(override)
    except (ValueError, TypeError, OverflowError):
        return None
    return timestamp, window, _wanted(found, gates)


def _wanted(found: dict, gates: Gates) -> bool:
    for name, values in gates:
        value = found.get(name)
        # holds(), with its usual case (one string) answered here: this runs for every line of the input
        if value is not None and (value in values if value.__class__ is str else holds(value, values)):
            return True
    return False


def scan(path: str, start: int, end: int, gates: Gates, strict: bool, window_field: str = INGESTED) -> Chunk:
    """Decode the lines that begin in [start, end) of a file (a whole .gz file: start 0, end -1).

    The loop is _quick written out (no call, no tuple per line; the usual UTC time read by datetime's C
    parser with event_time's bounds, the clock read once: a time past it goes to event_time, which reads the
    clock again), with the chunk's marks kept in locals: this runs for every line of the input."""
    chunk = Chunk(path)
    extractor = _extractor(gates, window_field)
    values = extractor.values if extractor is not None else None
    single = gates[0] if len(gates) == 1 else None
    latest = time.time() + _FUTURE_MARGIN
    from_iso = datetime.fromisoformat
    previous = float("-inf")
    events = chunk.events
    read = 0
    number = 0
    first: tuple[int, float, float] | None = None
    last_number, last_time, last_window = 0, 0.0, 0.0
    ordered = True
    try:
        with open_events(Path(path)) as handle:
            for number, raw in _readable(_lines(handle, path, start, end), chunk, strict):
                found = values(raw) if values is not None else None
                timestamp = None
                if found is not None:
                    stamp = found.get("@timestamp")
                    if stamp.__class__ is str and stamp[-1:] == "Z" and stamp[:1].isdigit():
                        try:
                            timestamp = from_iso(stamp).timestamp()
                        except ValueError:
                            timestamp = None
                        else:
                            if not _EARLIEST <= timestamp <= latest:
                                timestamp = None
                    if timestamp is None and stamp is not None:
                        try:
                            timestamp = event_time(stamp)
                        except (ValueError, TypeError, OverflowError):
                            timestamp = None
                    if timestamp is not None:
                        override = found.get(window_field)
                        if override is None or override == stamp:
                            window = timestamp
                        else:
                            try:
                                window = event_time(override)
                            except (ValueError, TypeError, OverflowError):
                                timestamp = None
                if timestamp is not None:  # a JSON object (the typed decode read one)
                    if single is not None:
                        value = found.get(single[0])  # type: ignore[union-attr]
                        wanted = value is not None and (value in single[1] if value.__class__ is str
                                                        else holds(value, single[1]))
                    else:
                        wanted = _wanted(found, gates)  # type: ignore[arg-type]
                    fields = flatten(loads(raw)) if wanted else None
                else:  # the full decode: the same answers, or the line's error, as a serial read
                    if not raw.strip():
                        continue
                    try:
                        event = _document(raw, "", window_field)
                    except ValueError as exc:
                        if strict:
                            chunk.error = (number, str(exc))
                            return chunk
                        chunk.skipped.append((number, str(exc)))
                        continue
                    timestamp, window = event.timestamp, event.window_time
                    fields = event.fields if passes(gates, event) else None
                read += 1
                if first is None:
                    first = (number, timestamp, window)
                last_number, last_time, last_window = number, timestamp, window
                if window < previous:
                    ordered = False
                previous = window
                if fields is not None:  # a rule will read it
                    events.append((number, fields, timestamp, window))
    finally:
        chunk.lines = number
        chunk.read = read
        chunk.first = first
        chunk.last = (last_number, last_time, last_window) if first is not None else None
        chunk.ordered = ordered
    return chunk


def _readable(lines: Iterable[bytes], chunk: Chunk, strict: bool) -> Iterator[tuple[int, bytes]]:
    """(number, line) until the lines end or a damaged .gz stops them: what was read counts, and the next
    line is reported unreadable (or is the strict error), as a serial read reports it."""
    number = 0
    try:
        for number, raw in enumerate(lines, start=1):
            yield number, raw
    except (OSError, EOFError) as exc:
        reason = (number + 1, f"unreadable: {exc}")
        if strict:
            chunk.error = reason
        else:
            chunk.skipped.append(reason)


def _scan_to_send(*args: Any) -> Chunk:
    """scan, its events marshalled for the trip back from a worker process."""
    chunk = scan(*args)
    chunk.events = [(number, marshal.dumps(fields), time, window) for number, fields, time, window in chunk.events]
    return chunk


def _lines(handle: Any, path: str, start: int, end: int) -> Iterable[bytes]:
    """The stretch's lines as iterating the file gives them (split on \\n only). A plain file's stretch is
    read in one call and split, several times cheaper than line by line."""
    if path.endswith(".gz"):
        return handle  # always whole
    handle.seek(start)
    lines = (handle.read() if end < 0 else handle.read(end - start)).split(b"\n")
    if lines[-1] == b"":
        lines.pop()  # the newline that ends the last line does not begin another
    return lines


def _stretches(paths: list[Path]) -> list[tuple[str, int, int]]:
    """(path, start, end) stretches that begin at line starts: plain files cut in CHUNK_BYTES pieces, .gz whole.
    Small pieces keep the merge busy from early on and leave little for it to finish after the workers."""
    out = []
    for path in paths:
        try:
            handle = path.open("rb")
        except OSError as exc:  # as the serial read says it
            raise InputError(f"{path}: cannot open: {exc.strerror or exc}") from None
        with handle:
            size = os.fstat(handle.fileno()).st_size
            if path.suffix == ".gz" or size <= CHUNK_BYTES:
                out.append((str(path), 0, -1))
                continue
            start = 0
            while start < size:
                handle.seek(min(start + CHUNK_BYTES, size))
                handle.readline()  # to the end of the line the cut falls in
                end = handle.tell() if handle.tell() < size else size
                out.append((str(path), start, end if end < size else -1))
                start = end
    return out


def jobs_for(paths: list[Path], jobs: int) -> int:
    """The processes worth starting: one (this one) below MIN_PARALLEL_BYTES of input."""
    try:
        return jobs if sum(Path(p).stat().st_size for p in paths) >= MIN_PARALLEL_BYTES else 1
    except OSError:
        return 1


def read_gated_events(paths: list[Path], report: ReadReport, gates: Gates, jobs: int,
                      strict: bool = False, window_field: str = INGESTED) -> Iterator[Event]:
    """The events a serial read would give that pass a gate, in file order, plus stubs without fields at the
    first and last event of each stretch (they set the rules' schedules; no rule matches them). Raises
    events.UnorderedEvents-compatible ordering through the stubs: a stretch out of order gives a stub that
    goes back in time, so the engine's own check sends the caller to its sorted path."""
    stretches = _stretches([Path(p) for p in paths])
    scan_stretch = _scan_to_send if jobs > 1 else scan
    line_base: dict[str, int] = {}
    chunk: Chunk
    for chunk in ordered_results(scan_stretch, ((*s, gates, strict, window_field) for s in stretches), jobs, ahead=3 * jobs):
        base = line_base.get(chunk.path, 0)
        line_base[chunk.path] = base + chunk.lines
        for number, reason in chunk.skipped:
            report.skipped.append(f"{chunk.path}:{base + number}: {reason}")
        if chunk.error is not None:
            raise InputError(f"{chunk.path}:{base + chunk.error[0]}: {chunk.error[1]}")
        report.read += chunk.read
        yield from _chunk_events(chunk, base)


def _chunk_events(chunk: Chunk, base: int) -> Iterator[Event]:
    if chunk.first is None or chunk.last is None:
        return
    _, time, window = chunk.first
    yield Event({}, time, window, f"{chunk.path}:{base + chunk.first[0]}")
    if not chunk.ordered:  # a step back in time: the engine stops and the caller sorts
        yield Event({}, time, float("-inf"), f"{chunk.path}:{base + chunk.first[0]}")
    for number, fields, time, window in chunk.events:
        if fields.__class__ is bytes:
            fields = marshal.loads(fields)
        yield Event(fields, time, window, f"{chunk.path}:{base + number}")
    _, time, window = chunk.last
    yield Event({}, time, window, f"{chunk.path}:{base + chunk.last[0]}")
