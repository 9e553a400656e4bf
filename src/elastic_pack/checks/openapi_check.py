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
    lock = VersionLock.read(pack.lock_path)
    findings = []
    for rule in pack.rules:
        for error in api.rule_create_errors(rule_payload(rule, lock.version_of(rule.rule_id or ""), pack)):
            findings.append(Finding("EP017", f"Kibana's OpenAPI schema: {error}", path=rule.path,
                                    rule_id=rule.rule_id, rule_name=rule.name, line=rule.line_of("rule")))
    return findings
