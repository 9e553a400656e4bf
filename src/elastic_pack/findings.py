"""Findings: what a check reports, with the place it points at."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass
from pathlib import Path


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One problem found in the pack, located as precisely as the check can."""

    check: str
    message: str
    severity: Severity = Severity.ERROR
    path: Path | None = None
    rule_id: str | None = None
    rule_name: str | None = None
    line: int | None = None
    column: int | None = None

    @property
    def location(self) -> str:
        where = str(self.path) if self.path else "<pack>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def __str__(self) -> str:
        rule = f" [{self.rule_name or self.rule_id}]" if (self.rule_name or self.rule_id) else ""
        return f"{self.location}: {self.severity.value} {self.check}{rule}: {self.message}"

    def to_json(self) -> dict:
        data = asdict(self)
        data["severity"] = self.severity.value
        data["path"] = str(self.path) if self.path else None
        return data


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)
