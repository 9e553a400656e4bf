"""Rule files and the pack that holds them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .locate import key_line, string_start_line
from .spec import RuleSpec, spec_of


def normalise_prose(text: str) -> str:
    """Hard-wrapped TOML prose -> paragraphs of single lines, as Kibana shows them."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(" ".join(line.strip() for line in p.splitlines() if line.strip()) for p in paragraphs)


@dataclass
class RuleFile:
    """One rule as written in content/rules/*.toml."""

    path: Path
    text: str
    data: dict[str, Any]
    settings: dict[str, Any] = field(default_factory=dict)  # this rule's table in content/rule_settings.toml

    @property
    def metadata(self) -> dict[str, Any]:
        """The file's [metadata] with the pack-only settings kept in rule_settings.toml."""
        return {**self.data.get("metadata", {}), **self.settings}

    @property
    def rule(self) -> dict[str, Any]:
        return self.data.get("rule", {})

    @cached_property
    def spec(self) -> RuleSpec:
        """The rule typed for its Kibana type, defaults filled in (content/spec.py); SpecError if unreadable."""
        return spec_of(self.rule)

    @property
    def rule_id(self) -> str:
        return self.rule.get("rule_id") or ""  # "" when missing: validate reports it

    @property
    def name(self) -> str:
        return self.rule.get("name") or ""

    @property
    def type(self) -> str:
        return self.rule.get("type") or ""

    @property
    def query(self) -> str:
        return self.rule.get("query", "").strip()

    @property
    def label(self) -> str:
        return self.name or self.rule_id or self.path.name

    def line_of(self, table: str, key: str = "") -> int | None:
        return key_line(self.text, table, key)

    def query_line(self) -> int | None:
        """Line of the file on which the (stripped) query text begins."""
        start = string_start_line(self.text, "rule", "query")
        if start is None:
            return None
        raw = self.rule.get("query", "")
        leading_newlines = len(raw) - len(raw.lstrip("\n"))
        # lstrip of spaces never changes the line, newlines do
        return start + leading_newlines


@dataclass
class Pack:
    root: Path
    rules: list[RuleFile] = field(default_factory=list)
    id: str | None = None  # pack.toml's id: which rules in a Kibana space are this pack's (build.pack_tag)
    guides: dict = field(default_factory=dict)  # technique id -> guides.Guide
    exception_lists: list = field(default_factory=list)  # exceptions_model.ExceptionList
    scenarios: list = field(default_factory=list)  # content.scenarios.Scenario

    @property
    def settings_path(self) -> Path:
        return self.root / "rule_settings.toml"

    @property
    def manifest_path(self) -> Path:
        return self.root / "pack.toml"

    @property
    def lock_path(self) -> Path:
        return self.root / "version.lock.json"

    @property
    def own_format(self) -> bool:
        """A pack written for elastic-pack (it keeps a version lock), whose house rules are errors; in any
        other tree of rules (elastic/detection-rules, an export) they are warnings."""
        return self.lock_path.exists()

    def rule(self, rule_id: str) -> RuleFile:
        for rule in self.rules:
            if rule.rule_id == rule_id:
                return rule
        raise KeyError(rule_id)
