"""Events files read by several processes: each decodes a stretch of lines and sends back only the events
some rule's gate lets through, flattened (in parallel, not in the merge) and each in marshal's form (a list
of dicts is several times dearer to pickle and unpickle than the marshalled bytes of each), with what the merge needs to keep the stream exactly as a serial read gives
it (line numbers, skipped lines, the first and last event's times, whether the stretch was in time order).

Used by `preview` when every rule has a gate; otherwise every event must reach a rule and the serial read
(events.read_events) is faster than sending them all between processes.
"""

from __future__ import annotations

import marshal
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..documents import flatten
from ..errors import InputError
from ..fastjson import loads
from ..parallel import ordered_results
from .events import Event, ReadReport, _document, _open, event_time
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
    events: list[tuple[int, bytes, float, float]] = field(default_factory=list)  # (line, marshalled fields, time, window)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    error: tuple[int, str] | None = None  # strict mode: the first bad line
    ordered: bool = True  # window times never go back inside the stretch
    first: tuple[int, float, float] | None = None  # (line, time, window) of its first and last event
    last: tuple[int, float, float] | None = None


_EXTRACTORS: dict[tuple, FieldExtractor | None] = {}


def _extractor(gates: Gates) -> FieldExtractor | None:
    """A decoder of just the fields the gates and the clock read (None: decode every line in full)."""
    names = ("@timestamp", "event.ingested", *(name for name, _ in gates))
    if names not in _EXTRACTORS:
        try:
            _EXTRACTORS[names] = FieldExtractor(list(names))
        except ValueError:
            _EXTRACTORS[names] = None
    return _EXTRACTORS[names]


def _quick(raw: bytes, extractor: FieldExtractor, gates: Gates) -> tuple[float, float, bool] | None:
    """(time, window time, wanted) from the few fields, or None when the line needs the full path (which
    then gives the same answer, or the same error, as a serial read)."""
    found = extractor.values(raw)
    if found is None or found["@timestamp"] is None:
        return None
    try:
        stamp, ingested = found["@timestamp"], found["event.ingested"]
        timestamp = event_time(stamp)
        window = timestamp if ingested is None or ingested == stamp else event_time(ingested)
    except (ValueError, TypeError, OverflowError):
        return None
    for name, values in gates:
        value = found[name]
        if value is not None and (value in values if value.__class__ is str else holds(value, values)):
            return timestamp, window, True
    return timestamp, window, False


def scan(path: str, start: int, end: int, gates: Gates, strict: bool) -> Chunk:
    """Decode the lines that begin in [start, end) of a file (a whole .gz file: start 0, end -1)."""
    chunk = Chunk(path)
    previous = float("-inf")
    extractor = _extractor(gates)
    with _open(Path(path)) as handle:
        for number, raw in enumerate(_lines(handle, path, start, end), start=1):
            chunk.lines = number
            if not raw.strip():
                continue
            quick = _quick(raw, extractor, gates) if extractor is not None else None
            if quick is not None:
                timestamp, window, wanted = quick  # a JSON object (the typed decode read one)
                fields = flatten(loads(raw)) if wanted else None
            else:  # the full decode: the same answers, or the line's error, as a serial read
                try:
                    event = _document(raw, "")
                except ValueError as exc:
                    if strict:
                        chunk.error = (number, str(exc))
                        return chunk
                    chunk.skipped.append((number, str(exc)))
                    continue
                timestamp, window = event.timestamp, event.window_time
                fields = event.fields if passes(gates, event) else None
            chunk.read += 1
            mark = (number, timestamp, window)
            chunk.first = chunk.first or mark
            chunk.last = mark
            if window < previous:
                chunk.ordered = False
            previous = window
            if fields is not None:  # a rule will read it
                chunk.events.append((number, marshal.dumps(fields), timestamp, window))
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
        size = path.stat().st_size
        if path.suffix == ".gz" or size <= CHUNK_BYTES:
            out.append((str(path), 0, -1))
            continue
        with path.open("rb") as handle:
            start = 0
            while start < size:
                handle.seek(min(start + CHUNK_BYTES, size))
                handle.readline()  # to the end of the line the cut falls in
                end = handle.tell() if handle.tell() < size else size
                out.append((str(path), start, end if end < size else -1))
                start = end
    return out


def worth_it(paths: list[Path], jobs: int) -> bool:
    try:
        return jobs > 1 and sum(Path(p).stat().st_size for p in paths) >= MIN_PARALLEL_BYTES
    except OSError:
        return False


def read_events_parallel(paths: list[Path], report: ReadReport, gates: Gates, jobs: int,
                         strict: bool = False) -> Iterator[Event]:
    """The events a serial read would give that pass a gate, in file order, plus stubs without fields at the
    first and last event of each stretch (they set the rules' schedules; no rule matches them). Raises
    events.UnorderedEvents-compatible ordering through the stubs: a stretch out of order gives a stub that
    goes back in time, so the engine's own check sends the caller to its sorted path."""
    tasks = ((*stretch, gates, strict) for stretch in _stretches([Path(p) for p in paths]))
    line_base: dict[str, int] = {}
    chunk: Chunk
    for chunk in ordered_results(scan, tasks, jobs, ahead=3 * jobs):
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
        yield Event(marshal.loads(fields), time, window, f"{chunk.path}:{base + number}")
    _, time, window = chunk.last
    yield Event({}, time, window, f"{chunk.path}:{base + chunk.last[0]}")
