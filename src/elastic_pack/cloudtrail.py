"""Raw CloudTrail, as AWS delivers it, mapped to the ECS fields Elastic's AWS integration produces.

Reads S3 delivery files (`{"Records": [...]}`, usually .json.gz, also whole AWSLogs/ folder trees),
EventBridge events (`{"detail-type": "AWS API Call via CloudTrail", "detail": {...}}`), single records
(CloudTrail Lake exports, one JSON object or one per line). The mapping follows the integration's ingest
pipeline for the fields the rules and guides use.
"""

from __future__ import annotations

import gzip
import heapq
import ipaddress
import json
import re
import zlib
from datetime import datetime, timezone
from functools import lru_cache
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .engine.events import Event, parse_time, plausible_time

_FILE_TIME = re.compile(r"_(\d{8}T\d{4}Z)_")
_CREATION = ("Create", "Put", "Add", "Register", "Import", "Run", "Start", "Attach", "Enable", "Verify")
_DELETION = ("Delete", "Remove", "Detach", "Disable", "Deregister", "Terminate", "Stop")
_CHANGE = ("Update", "Modify", "Set", "Change", "Replace", "Reset", "Associate", "Tag", "Untag")
_INFO = ("Get", "List", "Describe", "Lookup", "Search", "Check")


@dataclass
class InputReport:
    files: int = 0
    records: int = 0
    skipped: list[str] = field(default_factory=list)  # "path: reason" per unusable file or record
    late: int = 0

    @property
    def skipped_count(self) -> int:
        return len(self.skipped)


_IPV4 = re.compile(r"^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$")


def _ip(text: str) -> bool:
    if _IPV4.match(text):
        return True
    if ":" not in text:
        return False
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


@lru_cache(maxsize=4096)
def _event_type(action: str) -> tuple[str, ...]:
    for prefixes, kind in ((_CREATION, "creation"), (_DELETION, "deletion"), (_CHANGE, "change"), (_INFO, "info")):
        if action.startswith(prefixes):
            return (kind,)
    return ("info",)


def _time(text: str) -> float:
    """eventTime is always UTC ISO 8601 with Z; fromisoformat reads that directly (Python 3.11+)."""
    if text.__class__ is str and text.endswith("Z"):
        try:
            return datetime.fromisoformat(text).timestamp()
        except ValueError:
            pass
    return parse_time(text)


_RECORD_FIELDS = (  # CloudTrail key -> ECS field, copied when present
    ("eventID", "event.id"), ("eventVersion", "aws.cloudtrail.event_version"),
    ("eventType", "aws.cloudtrail.event_type"), ("eventCategory", "aws.cloudtrail.event_category"),
    ("readOnly", "aws.cloudtrail.read_only"), ("requestID", "aws.cloudtrail.request_id"),
    ("recipientAccountId", "aws.cloudtrail.recipient_account_id"), ("errorCode", "aws.cloudtrail.error_code"),
    ("errorMessage", "aws.cloudtrail.error_message"), ("userAgent", "user_agent.original"),
    ("awsRegion", "cloud.region"), ("requestParameters", "aws.cloudtrail.flattened.request_parameters"),
    ("responseElements", "aws.cloudtrail.flattened.response_elements"),
)
_IDENTITY_FIELDS = (
    ("type", "aws.cloudtrail.user_identity.type"), ("arn", "aws.cloudtrail.user_identity.arn"),
    ("accessKeyId", "aws.cloudtrail.user_identity.access_key_id"),
    ("invokedBy", "aws.cloudtrail.user_identity.invoked_by"), ("principalId", "user.id"),
)
_ISSUER_FIELDS = (
    ("arn", "aws.cloudtrail.user_identity.session_context.session_issuer.arn"),
    ("type", "aws.cloudtrail.user_identity.session_context.session_issuer.type"),
    ("principalId", "aws.cloudtrail.user_identity.session_context.session_issuer.principal_id"),
    ("accountId", "aws.cloudtrail.user_identity.session_context.session_issuer.account_id"),
)


def java_string(value) -> str:
    """A JSON value as Java's toString writes it, as the integration's pipeline stores request_parameters:
    {enabled=false, name=x}."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={java_string(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(java_string(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def to_ecs(record: dict) -> dict:
    """One CloudTrail record -> flat ECS document. Raises ValueError without eventTime or eventName."""
    event_time, action, provider = record.get("eventTime"), record.get("eventName"), record.get("eventSource")
    if event_time is None:
        raise ValueError("record without eventTime")
    if not isinstance(action, str) or not isinstance(provider, str):
        raise ValueError("record without eventName or eventSource")
    if not isinstance(event_time, str):
        raise ValueError(f"eventTime is not a date string: {str(event_time)[:40]!r}")
    doc = {"@timestamp": event_time, "event.dataset": "aws.cloudtrail", "event.kind": "event",
           "event.provider": provider, "event.action": action,
           "event.outcome": "failure" if record.get("errorCode") else "success",
           "event.type": list(_event_type(action)), "cloud.provider": "aws"}
    for key, name in _RECORD_FIELDS:
        value = record.get(key)
        if value is not None and value != "":  # the integration's pipeline drops empty values
            doc[name] = value
    for key, name in (("requestParameters", "aws.cloudtrail.request_parameters"),
                      ("responseElements", "aws.cloudtrail.response_elements")):
        if isinstance(record.get(key), dict):
            doc[name] = java_string(record[key])
    identity = record.get("userIdentity")
    identity = identity if isinstance(identity, dict) else {}
    for key, name in _IDENTITY_FIELDS:
        value = identity.get(key)
        if value is not None and value != "":
            doc[name] = value
    context = identity.get("sessionContext")
    issuer = context.get("sessionIssuer") if isinstance(context, dict) else None
    issuer = issuer if isinstance(issuer, dict) else None
    if issuer:
        for key, name in _ISSUER_FIELDS:
            value = issuer.get(key)
            if value is not None and value != "":
                doc[name] = value
    account = record.get("recipientAccountId") or identity.get("accountId")
    if account:
        doc["cloud.account.id"] = account
    user = identity.get("userName") or (issuer or {}).get("userName")
    if user:
        doc["user.name"] = user
    if not action.startswith(_INFO):
        doc["event.category"] = ["configuration"]
    source = record.get("sourceIPAddress")
    if source:
        doc["source.ip" if _ip(source) else "source.address"] = source
    return doc


def _records(data, source: str) -> list[dict]:
    if isinstance(data, list):  # a JSON array of records (Stratus Red Team, Grimoire and other tools' output)
        return [r for item in data for r in _records(item, source)]
    if isinstance(data, dict) and isinstance(data.get("Records"), list):
        records = data["Records"]
        bad = [r for r in records if not isinstance(r, dict)]
        if bad:
            raise ValueError(f"{len(bad)} of {len(records)} Records are not JSON objects")
        return records
    if isinstance(data, dict) and data.get("detail-type") == "AWS API Call via CloudTrail":
        return [data["detail"]]
    if isinstance(data, dict) and "eventTime" in data and "eventSource" in data:
        return [data]
    if isinstance(data, dict) and isinstance(data.get("eventJson"), str):  # CloudTrail Lake query exports
        return [json.loads(data["eventJson"])]
    raise ValueError("not CloudTrail: no Records, no EventBridge detail, no eventTime")


def _read_text(path: Path) -> str:
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            return handle.read()
    return path.read_text(encoding="utf-8")


def file_records(path: Path, report: InputReport) -> list[dict]:
    """Records of one file; a bad file is reported (path: reason) and yields nothing."""
    report.files += 1
    try:
        text = _read_text(path)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        report.skipped.append(f"{path}: unreadable ({type(exc).__name__}: {exc})")
        return []
    text = text.strip()
    if not text:
        return []
    try:
        return _records(json.loads(text), str(path))
    except RecursionError:
        report.skipped.append(f"{path}: JSON nested too deeply")
        return []
    except json.JSONDecodeError:
        records = []
        for number, line in enumerate(text.splitlines(), 1):  # one record per line
            if not line.strip():
                continue
            try:
                records.extend(_records(json.loads(line), f"{path}:{number}"))
            except RecursionError:
                report.skipped.append(f"{path}:{number}: JSON nested too deeply")
            except (ValueError, KeyError) as exc:
                report.skipped.append(f"{path}:{number}: {exc}")
        return records
    except (ValueError, KeyError) as exc:
        report.skipped.append(f"{path}: {exc}")
        return []


def find_files(paths: Iterable[Path]) -> list[Path]:
    """Log files under the paths, in delivery order (the timestamp CloudTrail puts in each file name)."""
    files = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files += [p for p in path.rglob("*") if p.is_file() and p.name.endswith((".json", ".json.gz", ".log", ".ndjson"))
                      and "CloudTrail-Digest" not in p.parts and "-Digest" not in p.name]
        else:
            files.append(path)

    def order(p: Path):
        match = _FILE_TIME.search(p.name)
        return (match.group(1) if match else "", str(p))

    return sorted(files, key=order)


def _stub(record: dict) -> dict:
    """The few fields of a record no rule can match: enough to route it, keep time, and count it."""
    return {"@timestamp": record["eventTime"], "event.dataset": "aws.cloudtrail",
            "event.provider": record.get("eventSource"), "event.action": record.get("eventName")}


def delivery_time(path: Path) -> float | None:
    """When CloudTrail delivered a file, from the time in its S3 object name (…_20260105T0915Z_…)."""
    match = _FILE_TIME.search(path.name)
    if not match:
        return None
    return datetime.strptime(match.group(1), "%Y%m%dT%H%MZ").replace(tzinfo=timezone.utc).timestamp()


def cloudtrail_events(paths: Iterable[Path], report: InputReport, start: float | None = None,
                      end: float | None = None, tolerance: float = 1800.0, on_file=None,
                      actions: frozenset | None = None, window_on: str = "event") -> Iterator[Event]:
    """ECS events from CloudTrail files, in time order.

    Files arrive roughly in order and records within them are not sorted; a heap holds events until they are
    `tolerance` seconds older than the newest seen. An event later than that is counted in `report.late`
    and skipped (the engine needs time order), never dropped silently. With `actions` (every rule's gate on
    event.action), other records are passed on as stubs without the full mapping.
    """
    heap: list[tuple[float, int, Event]] = []
    newest, released, counter = float("-inf"), float("-inf"), 0
    for path in find_files(paths):
        delivered = delivery_time(path) if window_on == "delivery" else None
        for record in file_records(path, report):
            try:
                if actions is not None and record.get("eventName") not in actions and "eventTime" in record:
                    doc = _stub(record)
                else:
                    doc = to_ecs(record)
                t = plausible_time(_time(doc["@timestamp"]), doc["@timestamp"])
            except (ValueError, TypeError, OverflowError) as exc:
                report.skipped.append(f"{path}: record {record.get('eventID', '?')}: {exc}")
                continue
            report.records += 1
            if (start is not None and t < start) or (end is not None and t >= end):
                continue
            # rule windows read event.ingested; raw CloudTrail has none, and the delivery time is its proxy
            window = max(t, delivered) if delivered is not None else t
            if window < released:
                report.late += 1
                continue
            counter += 1
            heapq.heappush(heap, (window, counter, Event(doc, t, window, str(path))))
            newest = max(newest, window)
            while heap and heap[0][0] < newest - tolerance:
                released, _, event = heapq.heappop(heap)
                yield event
        if on_file:
            on_file(path)
    while heap:
        released, _, event = heapq.heappop(heap)
        yield event
