"""Optional check: the built rules against a folder of Kibana's own OpenAPI schemas."""

from __future__ import annotations

from pathlib import Path

from ..build import rule_payload
from ..content.model import Pack
from ..findings import Finding
from ..lock import VersionLock


def openapi_findings(pack: Pack, folder: Path) -> list[Finding]:
    from ..openapi import KibanaOpenApi

    try:
        api = KibanaOpenApi(folder)
    except (FileNotFoundError, OSError) as exc:
        return [Finding("EP017", str(exc), path=Path(folder))]
    except Exception as exc:  # noqa: BLE001
        return [_unusable(folder, exc)]
    lock = VersionLock.read(pack.lock_path)
    findings = []
    try:
        for rule in pack.rules:
            for error in api.rule_create_errors(rule_payload(rule, lock.version_of(rule.rule_id or ""), pack)):
                findings.append(Finding("EP017", f"Kibana's OpenAPI schema: {error}", path=rule.path,
                                        rule_id=rule.rule_id, rule_name=rule.name, line=rule.line_of("rule")))
    except Exception as exc:  # noqa: BLE001
        return [_unusable(folder, exc)]
    return findings


def _unusable(folder: Path, exc: Exception) -> Finding:
    """YAML, $ref and schema errors in OpenAPI files elastic-pack did not write: one finding, not a traceback."""
    first = (str(exc).strip().splitlines() or [""])[0][:200]
    return Finding("EP017", f"the OpenAPI files in {folder} cannot be used: {type(exc).__name__}"
                   + (f": {first}" if first else ""), path=Path(folder))
