"""The whole-file reading of S3 delivery files gives exactly what the record-by-record reading gives."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta

import pytest

from elastic_pack.cloudtrail import stream
from elastic_pack.cloudtrail.stream import decode_file
from elastic_pack.engine.events import parse_time

from . import cloudtrail_gen as gen

ACTIONS = frozenset({"SendEmail", "CreateEmailIdentity"})


def _records() -> list[dict]:
    out = []
    for second, (source, action) in enumerate([("s3.amazonaws.com", "GetObject"), ("ses.amazonaws.com", "SendEmail"),
                                               ("ec2.amazonaws.com", "DescribeInstances"),
                                               ("ses.amazonaws.com", "CreateEmailIdentity"),
                                               ("s3.amazonaws.com", "GetObject")] * 3):
        out.append(gen.record(gen.START + timedelta(minutes=58, seconds=20 * second), source, action,
                              f"arn:aws:iam::{gen.ACCOUNT}:user/u{second % 2}"))
    return out[::-1]  # not in time order, as CloudTrail delivers them; the last hour's edge is crossed


def _write(tmp_path, records) -> object:
    path = tmp_path / f"{gen.ACCOUNT}_CloudTrail_us-east-1_20260302T0055Z_abc.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump({"Records": records}, handle)
    return path


def _both(path, monkeypatch, start=None, end=None):
    quick = decode_file(path, ACTIONS, start, end, "event")
    with monkeypatch.context() as patch:
        patch.setattr(stream, "_whole_file_batch", lambda *args: None)
        general = decode_file(path, ACTIONS, start, end, "event")
    return quick, general


def test_usual_file_read_whole_equals_record_by_record(tmp_path, monkeypatch):
    path = _write(tmp_path, _records())
    assert stream._whole_file_batch(path, gzip.decompress(path.read_bytes()), ACTIONS, None, None) is not None
    quick, general = _both(path, monkeypatch)
    assert quick == general
    assert quick.in_range == 15 and len(quick.events) == 6 and len(quick.hours) == 2
    assert [doc["@timestamp"] for _, _, doc in quick.clock] == ["2026-03-02T00:58:00Z", "2026-03-02T01:02:40Z"]


@pytest.mark.parametrize("change", ["fraction", "offset", "number", "no_time", "name_number", "no_source",
                                    "hour_25", "bad_minute"])
def test_unusual_records_give_the_same_answers_and_reasons(tmp_path, monkeypatch, change):
    records = _records()
    target = records[3] if change in ("no_source",) else records[2]  # a record a rule reads / one it does not
    if change == "fraction":
        target["eventTime"] = target["eventTime"][:-1] + ".5Z"  # later than the whole second, text sorts earlier
    elif change == "offset":
        target["eventTime"] = target["eventTime"][:-1] + "+01:00"
    elif change == "number":
        target["eventTime"] = 1772412000000
    elif change == "no_time":
        del target["eventTime"]
    elif change == "name_number":
        target["eventName"] = 7
    elif change == "no_source":
        del target["eventSource"]
    elif change == "hour_25":
        target["eventTime"] = "2026-03-02T25:00:00Z"
    else:
        target["eventTime"] = "2026-03-02T00:60:00Z"
    quick, general = _both(_write(tmp_path, records), monkeypatch)
    assert quick == general


@pytest.mark.parametrize("start, end", [("2026-03-02T00:58:00Z", None), ("2026-03-02T00:58:01Z", None),
                                        (None, "2026-03-02T01:02:40Z"), (None, "2026-03-02T01:02:41Z")])
def test_start_inclusive_end_exclusive_at_the_file_edges(tmp_path, monkeypatch, start, end):
    start_time = parse_time(start) if start else None
    end_time = parse_time(end) if end else None
    quick, general = _both(_write(tmp_path, _records()), monkeypatch, start_time, end_time)
    assert quick == general
    # the first record at 00:58:00 and the last at 01:02:40: one second inside keeps all, at the edge drops one
    assert quick.in_range == (14 if start == "2026-03-02T00:58:01Z" or end == "2026-03-02T01:02:40Z" else 15)


def test_a_gz_of_several_members_reads_them_all(tmp_path):
    """gzip allows concatenated members (`cat a.gz b.gz`); the records are the first member's text followed
    by the second's, here one JSON document split across the two."""
    text = json.dumps({"Records": _records()}).encode()
    path = tmp_path / "joined.json.gz"
    path.write_bytes(gzip.compress(text[:1000]) + gzip.compress(text[1000:]))
    batch = decode_file(path, ACTIONS, None, None, "event")
    assert batch.in_range == 15 and batch.report.skipped == []


@pytest.mark.parametrize("zlib_ng", [True, False], ids=["zlib-ng", "stdlib"])
def test_gunzip_reads_and_refuses_what_gzip_decompress_does(zlib_ng, monkeypatch):
    import zlib

    from elastic_pack.cloudtrail import files

    if not zlib_ng:
        monkeypatch.setattr(files, "_gzip_ng", None)
    elif files._gzip_ng is None:
        pytest.skip("zlib-ng is not installed here")
    body = json.dumps({"Records": [gen.record(gen.START, "ses.amazonaws.com", "SendEmail", "arn:x")] * 50}).encode()
    good = gzip.compress(body)
    assert files.gunzip(good) == body
    assert files.gunzip(good + good) == body + body  # every member, as S3 concatenations have them
    refusals = [good[:-10], good[:50], good[:-8] + b"\0\0\0\0" + good[-4:], b"hello"]
    for at in (12, 40, 200):  # inside the deflate stream: the inflater itself refuses or runs short
        damaged = bytearray(good)
        damaged[at] ^= 0xFF
        refusals.append(bytes(damaged))
    for data in refusals:  # the same class of error as the standard library's, which the readers catch
        with pytest.raises((OSError, EOFError, zlib.error)) as stdlib:
            gzip.decompress(data)
        with pytest.raises((OSError, EOFError, zlib.error)) as ours:
            files.gunzip(data)
        assert ours.type is stdlib.type or (issubclass(ours.type, zlib.error) and issubclass(stdlib.type, zlib.error))


READS = [frozenset({"@timestamp", "event.dataset", "event.action", "aws.cloudtrail.user_identity.arn"}),
         frozenset({"@timestamp", "event.dataset", "event.outcome", "aws.cloudtrail.request_parameters",
                    "cloud.account.id", "user.name", "source"}),
         frozenset({"@timestamp", "event.dataset", "aws.cloudtrail"})]


@pytest.mark.parametrize("reads", READS, ids=["identity", "derived", "prefix"])
@pytest.mark.parametrize("change", ["none", "null_identity", "null_source", "string_parameters", "empty_error",
                                    "no_source", "name_number"])
def test_reading_only_the_keys_the_rules_fields_need_gives_those_fields_as_the_whole_record(
        tmp_path, monkeypatch, reads, change):
    """With the fields the rules read, a delivery file is decoded once for its heads and the keys those
    fields are made from: each event is the whole record's ECS document cut to those fields, and the
    counts, hours, clock stubs and reasons are the same, on the usual path and the record-by-record one."""
    from elastic_pack.engine.reads import projection

    records = _records()
    wanted = records[3]  # a record a rule reads (CreateEmailIdentity)
    if change == "null_identity":
        wanted["userIdentity"] = None
    elif change == "null_source":
        wanted["sourceIPAddress"] = None
    elif change == "string_parameters":
        wanted["requestParameters"] = "not an object"
    elif change == "empty_error":
        wanted["errorCode"] = ""
    elif change == "no_source":
        del wanted["eventSource"]
    elif change == "name_number":
        records[2]["eventName"] = 7
    path = _write(tmp_path, records)
    quick = stream._whole_file_batch(path, gzip.decompress(path.read_bytes()), ACTIONS, None, None,
                                     stream._ecs_fields(reads))
    assert (quick is not None) == (change not in ("no_source", "name_number"))  # the one-pass path was taken
    whole = decode_file(path, ACTIONS, None, None, "event")
    cut = projection(reads)
    batch = decode_file(path, ACTIONS, None, None, "event", reads)
    assert [(w, t, doc) for w, t, doc in batch.events] == [(w, t, cut(doc)) for w, t, doc in whole.events]
    assert (batch.report, batch.hours, batch.in_range, batch.first, batch.last, batch.clock) == \
        (whole.report, whole.hours, whole.in_range, whole.first, whole.last, whole.clock)
    with monkeypatch.context() as patch:  # the record-by-record path with the same fields
        patch.setattr(stream, "_whole_file_batch", lambda *args: None)
        general = decode_file(path, ACTIONS, None, None, "event", reads)
    assert [(w, t, doc) for w, t, doc in general.events] == [(w, t, cut(doc)) for w, t, doc in whole.events]
    assert general.report == whole.report and general.in_range == whole.in_range
