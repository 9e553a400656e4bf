"""Run every check over a pack and collect all findings."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..content import load_pack
from ..content.model import Pack
from ..findings import Finding, Severity
from .base import PackCheck, RuleCheck
from .exception_checks import ExceptionLists
from .pack_checks import UniqueIds, VersionBump
from .query_checks import KnownFields, LocallyRunnable, QuerySyntax
from .rule_checks import (KibanaSchema, MitreMapping, RiskBand, RuleIdFormat, RuleSettings, Schedule, Tags,
                          ThresholdIntent, TypeFit)

ALL_CHECKS: tuple[RuleCheck, ...] = (
    KibanaSchema(),
    QuerySyntax(),
    KnownFields(),
    TypeFit(),
    LocallyRunnable(),
    RuleSettings(),
    Schedule(),
    ThresholdIntent(),
    RiskBand(),
    Tags(),
    RuleIdFormat(),
    MitreMapping(),
    UniqueIds(),
    VersionBump(),
    ExceptionLists(),
)


def _isolated(check: RuleCheck, run, path) -> list[Finding]:
    """A check that fails on input it did not expect reports that as a finding; the others still run."""
    try:
        return list(run())
    except Exception as exc:  # noqa: BLE001 - any failure of one check must not hide the other findings
        reason = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
        return [Finding(check.id, f"{check.title}: could not be checked: {reason}", path=path)]


def run_checks(pack: Pack, checks=ALL_CHECKS) -> list[Finding]:
    findings: list[Finding] = []
    for check in checks:
        found: list[Finding] = []
        if isinstance(check, PackCheck):
            found = _isolated(check, lambda: check.check_pack(pack), pack.root)
        else:
            for rule in pack.rules:
                found += _isolated(check, lambda: check.check(rule, pack), rule.path)
        if check.house_rule and not pack.own_format:
            found = [replace(f, severity=Severity.WARNING) for f in found]
        findings.extend(found)
    return sorted(findings, key=lambda f: (str(f.path), f.line or 0, f.check))


def validate_pack(root: Path | None = None) -> tuple[Pack, list[Finding]]:
    """Load and check a pack: every problem at once, never the first only."""
    pack, findings = load_pack(root)
    return pack, findings + run_checks(pack)
