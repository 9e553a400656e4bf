"""CloudTrail files as AWS and tools write them: S3 delivery files (`{"Records": [...]}`, usually .json.gz,
also whole AWSLogs/ folder trees), JSON arrays of records (Stratus Red Team, Grimoire), EventBridge events,
single records or one per line (CloudTrail Lake exports)."""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..fastjson import loads

try:
    from zlib_ng import gzip_ng as _gzip_ng, zlib_ng as _zlib_ng
except ImportError:  # a platform without its wheel: the standard library's zlib, slower
    _gzip_ng = _zlib_ng = None  # type: ignore[assignment]

_FILE_TIME = re.compile(r"_(\d{8}T\d{4}Z)_")


@dataclass
class InputReport:
    files: int = 0
    records: int = 0
    skipped: list[str] = field(default_factory=list)  # "path: reason" per unusable file or record
    late: int = 0

    @property
    def skipped_count(self) -> int:
        return len(self.skipped)

    def add(self, other: "InputReport") -> None:
        self.files += other.files
        self.records += other.records
        self.skipped += other.skipped
        self.late += other.late


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
        if not isinstance(data.get("detail"), dict):
            raise ValueError("an EventBridge event whose detail is not a CloudTrail record (a JSON object)")
        return [data["detail"]]
    if isinstance(data, dict) and "eventTime" in data and "eventSource" in data:
        return [data]
    if isinstance(data, dict) and isinstance(data.get("eventJson"), str):  # CloudTrail Lake query exports
        record = json.loads(data["eventJson"])
        if not isinstance(record, dict):
            raise ValueError("a CloudTrail Lake row whose eventJson is not a JSON object")
        return [record]
    raise ValueError("not CloudTrail: no Records, no EventBridge detail, no eventTime")


def gunzip(data: bytes) -> bytes:
    """gzip.decompress (every member, CRCs checked, the same errors), by zlib-ng where it is installed:
    inflating is most of the cost of reading a trail, and zlib-ng inflates CloudTrail's files about 2.5 times
    faster than the zlib Python is built with."""
    if _gzip_ng is None or len(data) < 10:  # shorter than a gzip header: the standard library's own error
        return gzip.decompress(data)
    try:
        return _gzip_ng.decompress(data)
    except _zlib_ng.error as exc:  # type: ignore[misc]  # (a class whenever _gzip_ng is a module)
        raise zlib.error(str(exc)) from None  # as zlib reports damaged deflate data: callers catch zlib.error


def read_bytes(path: Path) -> bytes:
    """The file's bytes, a .gz decompressed in one call (every member, its CRC checked): S3 delivery files
    are small, and one call skips the streaming reader's work per 8 KB block."""
    if path.suffix == ".gz":
        return gunzip(path.read_bytes())
    return path.read_bytes()


def file_records(path: Path, report: InputReport, data: bytes | None = None) -> list[dict]:
    """Records of one file (its bytes, when the caller has read them already); a bad file is reported
    (path: reason) and yields nothing."""
    report.files += 1
    try:
        data = (read_bytes(path) if data is None else data).strip()
        if data[:3] == b"\xef\xbb\xbf":
            data = data[3:]
        if not data:
            return []
        try:
            return _records(loads(data), str(path))
        except (json.JSONDecodeError, UnicodeDecodeError):
            text = data.decode("utf-8")  # not one JSON document: one record per line
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        report.skipped.append(f"{path}: unreadable ({type(exc).__name__}: {exc})")
        return []
    except RecursionError:
        report.skipped.append(f"{path}: JSON nested too deeply")
        return []
    except (ValueError, KeyError) as exc:
        report.skipped.append(f"{path}: {exc}")
        return []
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.extend(_records(loads(line), f"{path}:{number}"))
        except RecursionError:
            report.skipped.append(f"{path}:{number}: JSON nested too deeply")
        except (ValueError, KeyError) as exc:
            report.skipped.append(f"{path}:{number}: {exc}")
    return records


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


def delivery_time(path: Path) -> float | None:
    """When CloudTrail delivered a file, from the time in its S3 object name (…_20260105T0915Z_…)."""
    match = _FILE_TIME.search(path.name)
    if not match:
        return None
    return datetime.strptime(match.group(1), "%Y%m%dT%H%MZ").replace(tzinfo=timezone.utc).timestamp()
