"""Elasticsearch's EQL QA specs for missing events (x-pack/plugin/eql/qa/common/src/main/resources/
test_missing_events.toml over data/missing-events.data, datasets test1 to test4), through `elastic-pack query`'s
_eql/search answer: each sequence's events in order, -1 for a missing-event stage."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from elastic_pack.query import run_query

_BASE = datetime(2020, 1, 1, tzinfo=timezone.utc)  # the specs' "1".."18" are epoch milliseconds; only spacing counts
_TEST3 = ["2022-05-04T12:00:00.000Z", "2022-05-04T12:10:00.001Z", "2022-05-04T12:20:00.001Z",
          "2022-05-04T12:21:00.001Z", "2022-05-04T12:29:00.001Z", "2022-05-04T12:31:00.001Z"]
_TEST2 = ["2022-05-04T12:00:00.000Z", "2022-05-04T12:00:00.001Z", "2022-05-04T12:00:00.002Z",
          "2022-05-04T12:00:00.003Z", "2022-05-04T12:00:00.004Z", "2022-05-04T12:00:00.005Z",
          "2022-05-04T12:02:00.006Z", "2022-05-04T12:03:00.006Z"]


def _millis(n: int) -> str:
    return (_BASE + timedelta(milliseconds=n)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _documents() -> list[dict]:
    rows = [("test1", _millis(i), tag) for i, tag in enumerate(["normal", "normal", "missing", "normal"], 1)]
    rows += [("test2", t, tag) for t, tag in zip(_TEST2, ["normal", "normal", "missing", "normal", "normal", "missing",
                                                          "missing2", "missing2"])]
    rows += [("test3", t, tag) for t, tag in zip(_TEST3, ["missing", "normal", "missing", "normal", "normal",
                                                          "normal"])]
    rows += [("test4", _millis(i), tag) for i, tag in enumerate(
        ["A", "B", "M1", "B", "C", "M2", "D", "M1", "C", "B", "C", "D", "A", "B", "M3", "C", "D", "M4"], 1)]
    out, serial = [], {}
    for kind, when, tag in rows:
        serial[kind] = serial.get(kind, 0) + 1
        out.append({"_id": f"{kind}-{serial[kind]}", "@timestamp": when, "event.category": kind, "tag": tag,
                    "sequence": serial[kind]})
    return out


def _stage(kind: str, tag: str, missing: bool = False) -> str:
    return f'{"!" if missing else ""}[{kind} where tag == "{tag}"]'


N1, X1 = _stage("test1", "normal"), lambda tag: _stage("test1", tag, True)
N2, X2 = _stage("test2", "normal"), lambda tag: _stage("test2", tag, True)
N3, X3 = _stage("test3", "normal"), _stage("test3", "missing", True)
T4, X4 = (lambda tag: _stage("test4", tag)), (lambda tag: _stage("test4", tag, True))

SPECS = [
    ("missingInBetween_noMatches", f"sequence with maxspan=1s {N1} {X1('nonexisting')} {N1}", [1, -1, 2, 2, -1, 4]),
    ("missingInBetween_noMatches_head", f"sequence with maxspan=1s {N1} {X1('nonexisting')} {N1} | head 1",
     [1, -1, 2]),
    ("missingInBetween_noMatches_tail", f"sequence with maxspan=1s {N1} {X1('nonexisting')} {N1} | tail 1",
     [2, -1, 4]),
    ("missingInBetween_match", f"sequence with maxspan=1s {N1} {X1('missing')} {N1}", [1, -1, 2]),
    ("positivePlusMissing", f"sequence with maxspan=1s {N1} {X1('missing')}", [4, -1]),
    ("skipFirstMatchAndPickSecondCandidate", f"sequence with maxspan=1s {N2} {N2} {X2('missing')} {N2}",
     [2, 4, -1, 5]),
    ("leadingSimple", f"sequence with maxspan=3m {X3} {N3}", [-1, 2, -1, 5, -1, 6]),
    ("leadingAndTrailingExcluded1", f"sequence with maxspan=19m {X3} {N3} {X3}",
     [-1, 2, -1, -1, 4, -1, -1, 5, -1, -1, 6, -1]),
    ("leadingAndTrailingExcluded2", f"sequence with maxspan=21m {X3} {N3} {X3}", [-1, 4, -1, -1, 5, -1, -1, 6, -1]),
    ("multipleMissing1", f"sequence with maxspan=1s {T4('A')} {T4('B')} {X4('M1')} {T4('C')} {X4('M2')} {T4('D')}",
     [13, 14, -1, 16, -1, 17]),
    ("multipleMissing2", f"sequence with maxspan=1s {T4('A')} {T4('B')} {X4('M1')} {T4('C')} {T4('D')}",
     [13, 14, -1, 16, 17]),
    ("multipleMissing3", f"sequence with maxspan=1s {T4('A')} {T4('B')} {T4('C')} {X4('M2')} {T4('D')}",
     [13, 14, 16, -1, 17]),
    ("multipleMissing4", f"sequence with maxspan=1s {T4('A')} {T4('B')} {X4('M1')} {T4('C')} {X4('M2')} {T4('D')} "
                         f"{X4('M4')}", []),
    ("multipleMissing5", f"sequence with maxspan=1s {T4('A')} {T4('B')} {X4('none')} {T4('C')} {X4('none')} "
                         f"{T4('D')}", [1, 2, -1, 5, -1, 7, 13, 14, -1, 16, -1, 17]),
    ("multipleMissing6", f"sequence with maxspan=1s {T4('A')} {T4('B')} {T4('C')} {X4('M2')} {T4('D')} "
                         f"{X4('none')}", [13, 14, 16, -1, 17, -1]),
    ("multipleMissing7", f"sequence with maxspan=1s {X4('none')} {T4('A')} {T4('B')} {T4('C')} {X4('M2')} "
                         f"{T4('D')}", [-1, 13, 14, 16, -1, 17]),
]


@pytest.mark.parametrize("name, query, expected", SPECS, ids=[s[0] for s in SPECS])
def test_missing_event_spec(name, query, expected):
    documents = _documents()
    by_id = {d["_id"]: d for d in documents}
    body = run_query(query, documents, "eql", size=100)
    got = [-1 if event.get("missing") else by_id[event["_id"]]["sequence"]
           for sequence in body["hits"]["sequences"] for event in sequence["events"]]
    assert got == expected
