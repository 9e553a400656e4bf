"""Scenarios: seeded CloudTrail event sets (as Elastic's AWS integration indexes them) and the alerts
each rule must give for them. Events are described as blocks: N calls of one action, evenly spaced."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..durations import parse_offset
from ..findings import Finding
from .toml_text import parse_toml

_BLOCK_KEYS = {"count", "offset", "every", "action", "provider", "arn", "error_code", "error_message",
               "source_ip", "user_agent", "request_parameters", "fields", "drop", "dataset", "account", "region",
               "identity_type", "access_key_id", "template"}


@dataclass
class EventBlock:
    spec: dict[str, Any]

    def documents(self, start: datetime) -> list[dict]:
        spec = self.spec
        count = int(spec.get("count", 1))
        offset = parse_offset(spec.get("offset", "0s"))
        every = parse_offset(spec.get("every", "1s"))
        return [self._document(start + offset + every * i) for i in range(count)]

    def _document(self, when: datetime) -> dict:
        spec = self.spec
        if spec.get("template") == "ecs":  # host and network events: only what the block says
            return {"@timestamp": when.isoformat().replace("+00:00", "Z"), **spec.get("fields", {})}
        account = spec.get("account", "123456789012")
        arn = spec.get("arn", f"arn:aws:iam::{account}:user/compromised-user")
        failed = bool(spec.get("error_code"))
        doc: dict[str, Any] = {
            "@timestamp": when.isoformat().replace("+00:00", "Z"),
            "event.dataset": spec.get("dataset", "aws.cloudtrail"),
            "event.kind": "event",
            "event.provider": spec.get("provider"),
            "event.action": spec.get("action"),
            "event.outcome": "failure" if failed else "success",
            "aws.cloudtrail.event_type": "AwsApiCall",
            "aws.cloudtrail.user_identity.type": spec.get("identity_type", "IAMUser"),
            "aws.cloudtrail.user_identity.arn": arn,
            "aws.cloudtrail.user_identity.access_key_id": spec.get("access_key_id", "AKIAEXAMPLEKEY000001"),
            "aws.cloudtrail.recipient_account_id": account,
            "cloud.provider": "aws",
            "cloud.account.id": account,
            "cloud.region": spec.get("region", "us-east-1"),
            "source.ip": spec.get("source_ip", "203.0.113.10"),
            "user_agent.original": spec.get("user_agent", "aws-cli/2.18.17 md/awscrt#0.22.0 ua/2.0 os/linux"),
        }
        if failed:
            doc["aws.cloudtrail.error_code"] = spec["error_code"]
            doc["aws.cloudtrail.error_message"] = spec.get("error_message", spec["error_code"])
        elif "error_code" in spec:
            doc["aws.cloudtrail.error_code"] = spec["error_code"]  # an explicit empty string
        if "request_parameters" in spec:
            from ..cloudtrail import java_string

            doc["aws.cloudtrail.flattened.request_parameters"] = spec["request_parameters"]
            doc["aws.cloudtrail.request_parameters"] = java_string(spec["request_parameters"])
        doc.update(spec.get("fields", {}))
        for name in spec.get("drop", []):
            doc.pop(name, None)
        return {k: v for k, v in doc.items() if v is not None}


@dataclass
class Scenario:
    path: Path
    name: str
    description: str
    start: datetime
    blocks: list[EventBlock]
    expect: dict[str, int]
    expect_groups: dict[str, list[str]] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    exception_values: dict[str, list[str]] = field(default_factory=dict)  # item_id -> values to test with
    recordings: list[Path] = field(default_factory=list)  # CloudTrail files (S3 format) replayed as they are

    def documents(self) -> list[dict]:
        docs = [d for block in self.blocks for d in block.documents(self.start)]
        docs += [d for path in self.recordings for d in recording_documents(path)]
        return sorted(docs, key=lambda d: d["@timestamp"])


def recording_documents(path: Path) -> list[dict]:
    """A real CloudTrail recording (S3 `{"Records": [...]}`, a JSON array or one record per line) as the
    integration would index it; a record that cannot be read makes the scenario invalid, never silent."""
    from ..cloudtrail import InputReport, file_records, to_ecs

    report = InputReport()
    records = file_records(path, report)
    if report.skipped:
        raise ValueError(f"recording {path}: {report.skipped[0]}")
    docs = []
    for number, record in enumerate(records, 1):
        try:
            doc = to_ecs(record)
        except ValueError as exc:
            raise ValueError(f"recording {path}: record {number}: {exc}") from None
        docs.append({**doc, "@timestamp": doc["@timestamp"].replace("+00:00", "Z")})
    return docs


_AT_LINE = re.compile(r"\s*\(at line (\d+), column \d+\)")


def load_scenarios(root: Path, rule_names: set[str]) -> tuple[list[Scenario], list[Finding]]:
    """Scenario files under root/scenarios; `rule_names` are the rule file stems expectations may name."""
    scenarios, findings = [], []
    named: dict[str, Path] = {}
    for path in sorted((root / "scenarios").glob("*.toml")):
        text = ""
        try:
            text = path.read_text(encoding="utf-8")
            data = parse_toml(text)
            scenario = _scenario(path, data)
        except ScenarioProblem as exc:
            findings.append(Finding("EP020", f"invalid scenario: {exc}", path=path,
                                    line=_key_line(text, exc.block, exc.key)))
            continue
        except (tomllib.TOMLDecodeError, KeyError, ValueError, TypeError, OverflowError, OSError) as exc:
            at = _AT_LINE.search(str(exc)) if isinstance(exc, tomllib.TOMLDecodeError) else None
            findings.append(Finding("EP020", f"invalid scenario: {_AT_LINE.sub('', str(exc)).strip()}", path=path,
                                    line=int(at.group(1)) if at else None))
            continue
        unknown = (set(scenario.expect) | set(scenario.expect_groups)) - rule_names
        if unknown:
            findings.append(Finding("EP020", f"expectations name unknown rules: {', '.join(sorted(unknown))}",
                                    path=path))
            continue
        if scenario.name in named:
            findings.append(Finding("EP020", f"scenario name {scenario.name!r} is also the name of "
                                    f"{named[scenario.name].name}: `test NAME` and reports could not tell them apart",
                                    path=path, line=_key_line(text, None, "name")))
            continue
        named[scenario.name] = path
        scenarios.append(scenario)
    return scenarios, findings


class ScenarioProblem(ValueError):
    """A value of a scenario the engine could not run as written: where (block index, key) and why."""

    def __init__(self, message: str, key: str | None = None, block: int | None = None):
        super().__init__(message if block is None else f"[[events]] block {block + 1}: {message}")
        self.key, self.block = key, block


# What one scenario may hold: enough for any test of a rule, bounded so that a typo cannot fill the memory.
MAX_EVENTS = 100_000
MAX_RECORDING_BYTES = 256 * 2**20
FIRST_YEAR, LAST_YEAR = 2000, 2099  # the events' times: the engine schedules rule runs around them
_TIME_FIELDS = ("event.ingested", "event.created", "event.start", "event.end")


def _key_line(text: str, block: int | None, key: str | None) -> int | None:
    """The line of `key` (its first, or the first inside the block-th [[events]] table)."""
    if not key:
        return None
    seen = -1
    in_block = block is None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if block is not None and stripped.startswith("["):
            if stripped.startswith("[[events]]"):
                seen += 1
            in_block = seen == block and stripped.startswith("[[events]]")
            continue
        if in_block and re.match(rf'\s*"?{re.escape(key)}"?\s*=', line):
            return number
    return None


def _span(value: Any, key: str, block: int, negative: bool = False) -> timedelta:
    if not isinstance(value, str):
        raise ScenarioProblem(f"{key} must be a duration such as \"5s\" or \"5h59m\", not {value!r}", key, block)
    try:
        span = parse_offset(value)
    except ValueError as exc:
        raise ScenarioProblem(f"{key}: {exc}", key, block) from None
    except OverflowError:
        raise ScenarioProblem(f"{key} is longer than any scenario can run: {value!r}", key, block) from None
    if span.total_seconds() < 0 and not negative:
        raise ScenarioProblem(f"{key} cannot be negative: {value!r}", key, block)
    return span


def _start(data: dict) -> datetime:
    value = data.get("start", "2026-01-05T09:00:00+00:00")
    try:
        start = value if isinstance(value, datetime) else datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise ScenarioProblem(f"start must be a time with its zone, such as \"2026-01-05T09:00:00Z\", not {value!r}",
                              "start") from None
    if start.tzinfo is None:
        raise ScenarioProblem(f"start needs a zone (\"Z\" for UTC): {value!r}", "start")
    if not FIRST_YEAR <= start.year <= LAST_YEAR:
        raise ScenarioProblem(f"start must lie between {FIRST_YEAR} and {LAST_YEAR}, not in {start.year}", "start")
    return start


def _check_block(spec: Any, block: int, start: datetime) -> int:
    """The block's event count, once every value in it is one the engine can run; ScenarioProblem otherwise."""
    if not isinstance(spec, dict):
        raise ScenarioProblem("an [[events]] entry must be a table", None, block)
    extra = set(spec) - _BLOCK_KEYS
    if extra:
        raise ScenarioProblem(f"unknown event keys {sorted(extra)}", sorted(extra)[0], block)
    count = spec.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_EVENTS:
        raise ScenarioProblem(f"count must be a whole number from 0 to {MAX_EVENTS:,}, not {count!r}", "count", block)
    offset = _span(spec.get("offset", "0s"), "offset", block, negative=True)
    every = _span(spec.get("every", "1s"), "every", block)
    try:
        last = start + offset + every * max(count - 1, 0)
        first = start + offset
    except OverflowError:
        last = first = datetime.max.replace(tzinfo=start.tzinfo)
    for when in (first, last):
        if not FIRST_YEAR <= when.year <= LAST_YEAR:
            raise ScenarioProblem(f"the block's events would run to {when.year}: they must lie between {FIRST_YEAR} "
                                  f"and {LAST_YEAR}", "every" if when is last else "offset", block)
    for key in ("fields", "request_parameters"):
        if key in spec and not isinstance(spec[key], dict):
            raise ScenarioProblem(f"{key} must be a table", key, block)
    fields = spec.get("fields", {})
    if "@timestamp" in fields:
        raise ScenarioProblem("fields cannot set @timestamp: start, offset and every place the block's events",
                              "fields", block)
    for name in _TIME_FIELDS:
        if name in fields:
            from ..engine.events import parse_time

            try:
                parse_time(fields[name])
            except (ValueError, TypeError, OverflowError):
                raise ScenarioProblem(f"fields.{name} is not a time: {fields[name]!r}", "fields", block) from None
    drop = spec.get("drop", [])
    if not isinstance(drop, list) or not all(isinstance(d, str) for d in drop):
        raise ScenarioProblem("drop must be a list of field names", "drop", block)
    return count


def _recordings(path: Path, data: dict) -> list[Path]:
    names = data.get("recordings", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ScenarioProblem("recordings must be a list of file names", "recordings")
    paths = []
    for name in names:
        recording = path.parent / name
        if not recording.is_file():  # a folder, a device (/dev/zero never ends), a missing file
            raise ScenarioProblem(f"recording {name!r} is not a regular file", "recordings")
        if recording.stat().st_size > MAX_RECORDING_BYTES:
            raise ScenarioProblem(f"recording {name!r} is larger than {MAX_RECORDING_BYTES // 2**20} MB",
                                  "recordings")
        paths.append(recording)
    return paths


def _scenario(path: Path, data: dict) -> Scenario:
    blocks = []
    recordings = _recordings(path, data)
    for recording in recordings:
        recording_documents(recording)  # read now: a broken recording is a finding at load time
    events = data.get("events", [])
    if not isinstance(events, list):
        raise ScenarioProblem("events must be [[events]] tables", "events")
    if not recordings and not events:
        raise ValueError("a scenario needs [[events]] or recordings")
    start = _start(data)
    total = 0
    for number, spec in enumerate(events):
        total += _check_block(spec, number, start)
        if total > MAX_EVENTS:
            raise ScenarioProblem(f"the blocks hold more than {MAX_EVENTS:,} events together", "count", number)
        blocks.append(EventBlock(spec))
    for key, kind in (("name", str), ("description", str), ("tags", list), ("expect", dict),
                      ("expect_groups", dict), ("exceptions", dict)):
        if key in data and not isinstance(data[key], kind):
            raise ScenarioProblem(f"{key} must be a {'string' if kind is str else 'list' if kind is list else 'table'}",
                                  key)
    for rule, count in data.get("expect", {}).items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ScenarioProblem(f"expect.{rule} must be a whole number of alerts, not {count!r}", rule)
    return Scenario(
        path=path,
        name=data.get("name", path.stem),
        description=" ".join(data.get("description", "").split()),
        start=start,
        blocks=blocks,
        expect={k: int(v) for k, v in data.get("expect", {}).items()},
        expect_groups={k: list(v) for k, v in data.get("expect_groups", {}).items()},
        tags=list(data.get("tags", [])),
        exception_values={k: list(v) for k, v in data.get("exceptions", {}).items()},
        recordings=recordings,
    )


def shift(documents: list[dict], delta: timedelta) -> list[dict]:
    """The same events moved in time (the Docker tier moves scenarios to 'now')."""
    moved = []
    for doc in documents:
        when = datetime.fromisoformat(doc["@timestamp"].replace("Z", "+00:00")) + delta
        moved.append({**doc, "@timestamp": when.isoformat().replace("+00:00", "Z")})
    return moved
