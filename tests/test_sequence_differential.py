"""Differential test: the engine's sequence matcher against a plain reference written here, independently.

Reference semantics (Elasticsearch's sequence matcher): partial sequences are kept per (key, stage); an
event matching stage 0 opens one; an event matching stage s>0 extends the most recent partial sequence of
stage s-1 for its key, discarding all older ones of that stage, unless that would span more than maxspan.
Stages are considered from last to first for each event.
"""

from __future__ import annotations

import random

from elastic_pack.engine.events import Event
from elastic_pack.eql.sequence import SequenceMatcher, Stage


def reference(events, stage_tests, maxspan):
    waiting = {}  # (key, stage) -> list of (start_time, [event indexes])
    done = []
    last = len(stage_tests) - 1
    for index, (t, key, kind) in enumerate(events):
        for stage in reversed(range(len(stage_tests))):
            if not stage_tests[stage](kind):
                continue
            if stage == 0:
                entry = (t, [index])
                if last == 0:
                    done.append(entry[1])
                else:
                    waiting.setdefault((key, 0), []).append(entry)
                continue
            pending = waiting.get((key, stage - 1), [])
            if not pending:
                continue
            start, indexes = pending[-1]
            waiting[(key, stage - 1)] = []
            if maxspan is not None and t - start > maxspan:
                continue
            if stage == last:
                done.append(indexes + [index])
            else:
                waiting.setdefault((key, stage), []).append((start, indexes + [index]))
    return sorted(done)


def engine(events, stage_tests, maxspan):
    stages = [Stage(lambda f, test=test: test(f["kind"]), ["key"]) for test in stage_tests]
    matcher = SequenceMatcher(stages, maxspan)
    found = []
    for index, (t, key, kind) in enumerate(events):
        for seq in matcher.feed(Event({"key": key, "kind": kind, "i": index}, float(t), float(t))):
            found.append([e.fields["i"] for e in seq])
    return sorted(found)


def test_engine_agrees_with_reference_on_random_streams():
    rng = random.Random(1496004)
    compared = found = 0
    for _ in range(400):
        runs = rng.randint(1, 4)
        first = lambda kind: kind == "enable"  # noqa: E731
        abuse = lambda kind: kind in ("abuse", "both")  # noqa: E731
        tail = [abuse] * runs
        if rng.random() < 0.3:
            tail.append(lambda kind: kind in ("close", "both"))
        stage_tests = [first, *tail]
        maxspan = rng.choice([None, 5, 20, 60])
        t, events = 0, []
        for _ in range(rng.randint(0, 60)):
            t += rng.choice([0, 1, 1, 2, 5, 10])
            events.append((t, rng.choice("abc"), rng.choice(["enable", "abuse", "abuse", "close", "both", "noise"])))
        expected = reference(events, stage_tests, maxspan)
        assert engine(events, stage_tests, maxspan) == expected, (events, runs, maxspan)
        compared += 1
        found += len(expected)
    assert compared == 400 and found > 100  # the streams do produce sequences
