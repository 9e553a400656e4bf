"""preview with several processes decoding: the same alerts, read counts and skipped lines (with their line
numbers) as one process, whatever the order of the input; strict mode stops at the same line."""

from __future__ import annotations

import json

import pytest

from elastic_pack.engine import parallel_read
from elastic_pack.errors import InputError
from elastic_pack.preview import preview

from . import cloudtrail_gen as gen


@pytest.fixture
def small_chunks(monkeypatch):
    # stretches of a few KB so a small file is cut in many pieces, and parallel reading at any size
    monkeypatch.setattr(parallel_read, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(parallel_read, "MIN_PARALLEL_BYTES", 0)


def _lines(days: int = 2) -> list[str]:
    records = sorted(gen.month(days=days, noise=2.0), key=lambda r: r["eventTime"])
    lines = [json.dumps(gen.ecs(r)) for r in records]
    lines[5] = '{"@timestamp": "not a date"}'
    lines[40] = "{broken json"
    lines[41] = ""
    return lines


def _summary(alerts, report):
    return ([a.to_json() for a in alerts], report.read, report.skipped)


def test_parallel_and_serial_reads_agree(tmp_path, small_chunks, monkeypatch):
    import elastic_pack.preview as module

    path = tmp_path / "events.ndjson"
    path.write_text("\n".join(_lines()) + "\n")
    calls = []
    real = module.read_events_parallel
    monkeypatch.setattr(module, "read_events_parallel", lambda *a, **k: calls.append(1) or real(*a, **k))
    serial, parallel = preview([path], jobs=1), preview([path], jobs=2)
    assert calls == [1] and len(parallel_read._stretches([path])) >= 8  # the parallel path ran, in pieces
    assert _summary(*parallel) == _summary(*serial)
    assert serial[0] and any(":6: " in reason for reason in serial[1].skipped)  # line numbers survive the cut


def test_files_out_of_order_give_the_same_alerts(tmp_path, small_chunks):
    lines = _lines()
    half = len(lines) // 2
    first, second = tmp_path / "a.ndjson", tmp_path / "b.ndjson"
    first.write_text("\n".join(lines[half:]) + "\n")  # the later half first
    second.write_text("\n".join(lines[:half]) + "\n")
    serial, parallel = preview([first, second], jobs=1), preview([first, second], jobs=2)
    assert _summary(*parallel) == _summary(*serial) and serial[0]


def test_strict_stops_at_the_same_line(tmp_path, small_chunks):
    path = tmp_path / "events.ndjson"
    path.write_text("\n".join(_lines()) + "\n")
    messages = []
    for jobs in (1, 2):
        with pytest.raises(InputError) as caught:
            preview([path], strict=True, jobs=jobs)
        messages.append(str(caught.value))
    assert messages[0] == messages[1] and messages[0].startswith(f"{path}:6: ")


def test_line_endings_and_a_last_line_without_newline_read_alike(tmp_path, small_chunks):
    # CRLF endings, a lone CR inside a line's JSON whitespace, blank lines and no newline at the end: the
    # parallel read splits a stretch on \n only, as iterating the file does, so line numbers stay the same
    lines = _lines()
    lines[60] = lines[60].replace(", ", ",\r ", 1)
    path = tmp_path / "events.ndjson"
    path.write_bytes(("\r\n".join(lines) + "\r\n\r\n" + lines[-1]).encode())
    serial, parallel = preview([path], jobs=1), preview([path], jobs=2)
    assert _summary(*parallel) == _summary(*serial)
    assert serial[1].read == len(lines) - 2  # less two bad lines and a blank one, plus the last line again
