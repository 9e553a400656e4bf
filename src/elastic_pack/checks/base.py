"""Base classes for checks."""

from __future__ import annotations

from collections.abc import Iterable

from ..content.model import Pack, RuleFile
from ..findings import Finding, Severity


class RuleCheck:
    """A check of one rule file. Subclasses set `id`, `title` and implement `check`."""

    id = "EP???"
    title = ""
    severity = Severity.ERROR
    house_rule = False  # a convention of this pack, not something Kibana or Elasticsearch requires

    def check(self, rule: RuleFile, pack: Pack) -> Iterable[Finding]:
        raise NotImplementedError

    def finding(self, rule: RuleFile, message: str, line: int | None = None, column: int | None = None,
                severity: Severity | None = None) -> Finding:
        return Finding(
            check=self.id,
            message=message,
            severity=severity or self.severity,
            path=rule.path,
            rule_id=rule.rule_id,
            rule_name=rule.name,
            line=line,
            column=column,
        )


class PackCheck(RuleCheck):
    """A check across all rules of the pack."""

    def check_pack(self, pack: Pack) -> Iterable[Finding]:
        raise NotImplementedError
