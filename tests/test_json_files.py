"""preview reads events from one JSON document too: an array (pretty-printed or not) or an Elasticsearch
search response, with the same alerts as the same events in ndjson; bad records are named by index."""

from __future__ import annotations

import gzip
import json

import pytest

from elastic_pack.errors import InputError
from elastic_pack.preview import preview

from . import cloudtrail_gen as gen


def _documents() -> list[dict]:
    records = sorted(gen.month(days=1, noise=1.0), key=lambda r: r["eventTime"])
    return [gen.ecs(r) for r in records]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    path = tmp_path_factory.mktemp("nd") / "events.ndjson"
    path.write_text("".join(json.dumps(d) + "\n" for d in _documents()))
    alerts, report = preview([path])
    assert alerts and report.read == len(_documents())  # something to compare
    return [a.to_json() for a in alerts]


def _strip_ancestors(alerts):
    return [{k: v for k, v in a.items() if k != "ancestors"} for a in alerts]


def test_an_array_gives_the_alerts_of_the_same_ndjson(tmp_path, baseline):
    for indent in (None, 2):
        path = tmp_path / f"events{indent}.json.gz"
        path.write_bytes(gzip.compress(json.dumps(_documents(), indent=indent).encode()))
        alerts, report = preview([path])
        assert _strip_ancestors([a.to_json() for a in alerts]) == _strip_ancestors(baseline)
        assert report.read == len(_documents()) and not report.skipped
        assert all(name.startswith(f"{path}[") for a in alerts for name in a.ancestors)


def test_a_search_response_keeps_each_hit_id(tmp_path, baseline):
    hits = [{"_index": "logs-aws.cloudtrail-default", "_id": f"id{i}", "_source": d}
            for i, d in enumerate(_documents())]
    path = tmp_path / "response.json"
    path.write_text(json.dumps({"took": 3, "hits": {"total": {"value": len(hits)}, "hits": hits}}, indent=1))
    alerts, _ = preview([path])
    assert _strip_ancestors([a.to_json() for a in alerts]) == _strip_ancestors(baseline)
    assert any(a.ancestors for a in alerts)
    assert all(name.startswith("id") for a in alerts for name in a.ancestors)  # as Kibana's ancestors


def test_bad_records_are_named_by_index_and_strict_stops_there(tmp_path):
    documents = _documents()[:5]
    documents[2] = {"no": "timestamp"}
    documents[3] = "a string"
    path = tmp_path / "events.json"
    path.write_text(json.dumps(documents, indent=2))
    _, report = preview([path])
    assert report.read == 3
    assert report.skipped == [f"{path}[2]: no @timestamp", f"{path}[3]: not a JSON object"]
    with pytest.raises(InputError, match=r"events\.json\[2\]: no @timestamp"):
        preview([path], strict=True)


def test_one_pretty_printed_document_and_a_broken_file(tmp_path):
    single = tmp_path / "one.json"
    single.write_text(json.dumps(_documents()[0], indent=2))
    assert preview([single])[1].read == 1
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(_documents()[:2], indent=2)[:-5])  # cut short: read line by line, each bad
    _, report = preview([broken])
    assert report.read == 0 and report.skipped and report.skipped[0].startswith(f"{broken}:1: ")


def test_ndjson_is_still_read_line_by_line(tmp_path, baseline):
    path = tmp_path / "events.ndjson"
    lines = [json.dumps(d) for d in _documents()]
    lines.insert(3, "[1, 2]")  # an array on one line of an ndjson file is a bad line, not a whole-file array
    path.write_text("\n".join(lines) + "\n")
    alerts, report = preview([path])
    assert _strip_ancestors([a.to_json() for a in alerts]) == _strip_ancestors(baseline)
    assert report.skipped == [f"{path}:4: not a JSON object"]


def test_rules_on_different_time_fields_run_in_one_preview(pack_dir, tmp_path):
    # every event ingested a day after its @timestamp; one rule of the pack made to window on @timestamp
    # (no timestamp_override) raises the same alerts a day earlier, the others as before; input counted once
    import tomllib
    from datetime import datetime, timedelta

    import tomli_w

    from elastic_pack.operations import bump_versions

    documents = _documents()
    for document in documents:
        stamp = datetime.fromisoformat(document["@timestamp"].replace("Z", "+00:00"))
        document.setdefault("event", {})["ingested"] = (stamp + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    events = tmp_path / "events.ndjson"
    events.write_text("".join(json.dumps(d) + "\n" for d in documents))
    before, _ = preview([events], content_dir=pack_dir)
    rule_path = next((pack_dir / "rules").glob("aws_ses_high_volume*.toml"))
    data = tomllib.loads(rule_path.read_text())
    del data["rule"]["timestamp_override"]
    rule_path.write_text(tomli_w.dumps(data))
    bump_versions(pack_dir)
    after, report = preview([events], content_dir=pack_dir)
    name = data["rule"]["name"]
    moved = [a for a in before if a.rule_name == name]
    assert moved and report.read == len(documents)
    assert [a.run_time - 86400 for a in moved] == [a.run_time for a in after if a.rule_name == name]
    assert [a.to_json() for a in before if a.rule_name != name] == [a.to_json() for a in after if a.rule_name != name]
    from pathlib import Path

    with pytest.raises(InputError, match="a stream can be read once"):  # one pass per field: a file is needed
        preview([Path("/dev/null")], content_dir=pack_dir)


def test_events_from_a_pipe_are_read_once_and_put_in_order(tmp_path):
    # a pipe cannot be cut in stretches or read twice: preview holds its events and sorts them
    import os
    import threading

    documents = _documents()
    fifo = tmp_path / "events.pipe"
    os.mkfifo(fifo)
    payload = "".join(json.dumps(d) + "\n" for d in reversed(documents)).encode()  # newest first

    def write() -> None:
        with open(fifo, "wb") as handle:
            handle.write(payload)

    writer = threading.Thread(target=write)
    writer.start()
    alerts, report = preview([fifo])
    writer.join()
    assert report.read == len(documents) and alerts
    regular = tmp_path / "events.ndjson"
    regular.write_bytes(payload)
    assert _strip_ancestors([a.to_json() for a in alerts]) == \
        _strip_ancestors([a.to_json() for a in preview([regular])[0]])


def test_a_rule_without_fallback_reads_only_documents_that_have_its_timestamp_override(pack_dir, tmp_path):
    # timestamp_override_fallback_disabled: Kibana queries the override field alone, so documents without it
    # are in no run's range; the rule's other documents, and the other rules, are read as before
    import tomllib

    import tomli_w

    from elastic_pack.operations import bump_versions

    documents = _documents()  # the generator's documents have no event.ingested
    events = tmp_path / "events.ndjson"
    events.write_text("".join(json.dumps(d) + "\n" for d in documents))
    before, _ = preview([events], content_dir=pack_dir)
    rule_path = next((pack_dir / "rules").glob("aws_ses_high_volume*.toml"))
    data = tomllib.loads(rule_path.read_text())
    data["rule"]["timestamp_override_fallback_disabled"] = True
    rule_path.write_text(tomli_w.dumps(data))
    bump_versions(pack_dir)
    name = data["rule"]["name"]
    after, report = preview([events], content_dir=pack_dir)
    assert any(a.rule_name == name for a in before) and not any(a.rule_name == name for a in after)
    assert [a.to_json() for a in before if a.rule_name != name] == [a.to_json() for a in after if a.rule_name != name]
    assert report.read == len(documents)
    for document in documents:  # with the field, the rule reads them again
        document["event.ingested"] = document["@timestamp"]
    events.write_text("".join(json.dumps(d) + "\n" for d in documents))
    again, _ = preview([events], content_dir=pack_dir)
    assert _strip_ancestors([a.to_json() for a in again if a.rule_name == name]) == \
        _strip_ancestors([a.to_json() for a in before if a.rule_name == name])
