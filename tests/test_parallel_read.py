"""preview's gated read (stretches decoded as far as the gates need, in this process or several): the same
alerts, read counts and skipped lines (with their line numbers) as the plain read of every event, whatever
the order of the input; strict mode stops at the same line."""

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


def _reads(paths, monkeypatch, **options):
    """(plain read, gated read in this process, gated read by two processes)."""
    import elastic_pack.preview as module

    gated = [preview(paths, jobs=1, **options), preview(paths, jobs=2, **options)]
    with monkeypatch.context() as patch:
        patch.setattr(module, "gates_of", lambda rules: None)  # no gates: every event read in full
        plain = preview(paths, jobs=2, **options)
    return plain, *gated


def test_gated_and_plain_reads_agree(tmp_path, small_chunks, monkeypatch):
    import elastic_pack.preview as module

    path = tmp_path / "events.ndjson"
    path.write_text("\n".join(_lines()) + "\n")
    jobs = []
    real = module.read_gated_events
    monkeypatch.setattr(module, "read_gated_events", lambda *a, **k: jobs.append(a[3]) or real(*a, **k))
    plain, here, parallel = _reads([path], monkeypatch)
    assert jobs == [1, 2] and len(parallel_read._stretches([path])) >= 8  # both gated paths ran, in pieces
    assert _summary(*here) == _summary(*plain) == _summary(*parallel)
    assert plain[0] and any(":6: " in reason for reason in plain[1].skipped)  # line numbers survive the cut


def test_files_out_of_order_give_the_same_alerts(tmp_path, small_chunks, monkeypatch):
    lines = _lines()
    half = len(lines) // 2
    first, second = tmp_path / "a.ndjson", tmp_path / "b.ndjson"
    first.write_text("\n".join(lines[half:]) + "\n")  # the later half first
    second.write_text("\n".join(lines[:half]) + "\n")
    plain, here, parallel = _reads([first, second], monkeypatch)
    assert _summary(*here) == _summary(*plain) == _summary(*parallel) and plain[0]


def test_strict_stops_at_the_same_line(tmp_path, small_chunks, monkeypatch):
    path = tmp_path / "events.ndjson"
    path.write_text("\n".join(_lines()) + "\n")
    messages = []
    for jobs in (1, 2):
        with pytest.raises(InputError) as caught:
            preview([path], strict=True, jobs=jobs)
        messages.append(str(caught.value))
    import elastic_pack.preview as module

    monkeypatch.setattr(module, "gates_of", lambda rules: None)
    with pytest.raises(InputError) as caught:
        preview([path], strict=True)
    assert messages[0] == messages[1] == str(caught.value) and messages[0].startswith(f"{path}:6: ")


def test_line_endings_and_a_last_line_without_newline_read_alike(tmp_path, small_chunks, monkeypatch):
    # CRLF endings, a lone CR inside a line's JSON whitespace, blank lines and no newline at the end: the
    # parallel read splits a stretch on \n only, as iterating the file does, so line numbers stay the same
    lines = _lines()
    lines[60] = lines[60].replace(", ", ",\r ", 1)
    path = tmp_path / "events.ndjson"
    path.write_bytes(("\r\n".join(lines) + "\r\n\r\n" + lines[-1]).encode())
    plain, here, parallel = _reads([path], monkeypatch)
    assert _summary(*here) == _summary(*plain) == _summary(*parallel)
    assert plain[1].read == len(lines) - 2  # less two bad lines and a blank one, plus the last line again


def test_a_damaged_gz_and_a_missing_file_read_alike(tmp_path, small_chunks, monkeypatch):
    import gzip

    whole = gzip.compress(("\n".join(_lines()) + "\n").encode())
    damaged = tmp_path / "cut.ndjson.gz"
    damaged.write_bytes(whole[: len(whole) * 2 // 3])  # ends mid-stream
    plain, here, parallel = _reads([damaged], monkeypatch)
    assert _summary(*here) == _summary(*plain) == _summary(*parallel)
    assert "unreadable" in plain[1].skipped[-1] and plain[1].read > 0
    for jobs in (1, 2):
        with pytest.raises(InputError, match="nope.ndjson: cannot open"):
            preview([tmp_path / "nope.ndjson"], jobs=jobs)


def test_fewer_collections_raises_the_young_threshold_and_restores_it():
    import gc

    from elastic_pack.parallel import fewer_collections

    before = gc.get_threshold()
    with fewer_collections(20_000):
        assert gc.get_threshold() == (max(20_000, before[0]), *before[1:])
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("restored on the way out of an error too")
    assert gc.get_threshold() == before
