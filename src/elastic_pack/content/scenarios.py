"""Scenarios: seeded CloudTrail event sets (as Elastic's AWS integration indexes them) and the alerts
each rule must give for them. Events are described as blocks: N calls of one action, evenly spaced."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..durations import parse_offset
from ..findings import Finding

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


def load_scenarios(root: Path, rule_names: set[str]) -> tuple[list[Scenario], list[Finding]]:
    """Scenario files under root/scenarios; `rule_names` are the rule file stems expectations may name."""
    scenarios, findings = [], []
    for path in sorted((root / "scenarios").glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            scenario = _scenario(path, data)
        except (tomllib.TOMLDecodeError, KeyError, ValueError, TypeError) as exc:
            findings.append(Finding("EP020", f"invalid scenario: {exc}", path=path))
            continue
        unknown = (set(scenario.expect) | set(scenario.expect_groups)) - rule_names
        if unknown:
            findings.append(Finding("EP020", f"expectations name unknown rules: {', '.join(sorted(unknown))}",
                                    path=path))
            continue
        scenarios.append(scenario)
    return scenarios, findings


def _scenario(path: Path, data: dict) -> Scenario:
    blocks = []
    recordings = [path.parent / str(name) for name in data.get("recordings", [])]
    for recording in recordings:
        recording_documents(recording)  # read now: a broken recording is a finding at load time
    if not recordings and not data.get("events"):
        raise ValueError("a scenario needs [[events]] or recordings")
    for spec in data.get("events", []):
        extra = set(spec) - _BLOCK_KEYS
        if extra:
            raise ValueError(f"unknown event keys {sorted(extra)}")
        blocks.append(EventBlock(spec))
    start = datetime.fromisoformat(data.get("start", "2026-01-05T09:00:00+00:00").replace("Z", "+00:00"))
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
