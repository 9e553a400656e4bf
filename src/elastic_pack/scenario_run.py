"""Run scenarios on the local engine and compare with what each must (and must not) produce."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .content import load_pack
from .content.model import Pack
from .content.scenarios import Scenario
from .engine import Alert, CompiledRule, compile_rule, event_from_document, run_rules
from .engine.rules import NewTermsRule
from .engine.run import alert_order, by_window_field, windowed
from .errors import ContentError
from .findings import has_errors


@dataclass
class ScenarioResult:
    scenario: Scenario
    alerts: list[Alert]
    problems: list[str] = field(default_factory=list)
    failed_rules: list[str] = field(default_factory=list)  # rule file names whose expectation failed

    @property
    def passed(self) -> bool:
        return not self.problems


def rule_key(path: Path) -> str:
    return path.stem


def with_warm_up(rules: list[CompiledRule], warm_up: float | None) -> list[CompiledRule]:
    """Set how long new terms rules treat a fresh input as history only (None: their history window, as a
    rule deployed on an index that already holds it; 0: alert on the first sighting, as Kibana's preview
    over a fresh index does)."""
    if warm_up is not None:
        if warm_up < 0:
            raise ValueError("the warm-up cannot be negative")
        for rule in rules:
            if isinstance(rule, NewTermsRule):
                rule.warm_up = warm_up
    return rules


def documents_alerts(pack: Pack, documents: list[dict], exceptions: dict | None = None,
                     warm_up: float | None = None, mapping: Any = None) -> list[Alert]:
    """The alerts the pack's rules raise on these documents, each group of rules reading its own time field;
    `mapping` is the indices' (default: Mapping.default())."""
    exceptions = exceptions or {}
    rules = with_warm_up([compile_rule(r, exceptions.get(r.rule_id), mapping) for r in pack.rules], warm_up)
    alerts: list[Alert] = []
    for (window_field, strict), group in by_window_field(rules).items():  # each group reads its own time field
        events = [event_from_document(d, window_field=window_field) for d in documents]
        alerts += run_rules(group, windowed(events, window_field, strict))
    alerts.sort(key=alert_order)
    return alerts


def check_scenario(pack: Pack, scenario: Scenario, warm_up: float | None = None,
                   mapping: Any = None) -> ScenarioResult:
    """Run one scenario with the pack's exceptions (filled with the scenario's example values, if any)."""
    from .exceptions_model import exception_predicates

    lists = [lst.with_values(scenario.exception_values) for lst in pack.exception_lists]
    exceptions = exception_predicates(pack, lists)
    keys = {r.rule_id: rule_key(r.path) for r in pack.rules}
    alerts = documents_alerts(pack, scenario.documents(), exceptions, warm_up, mapping)
    got = Counter(keys[a.rule_id] for a in alerts)
    problems, failed = [], []
    for key in sorted(set(keys.values())):
        wanted, actual = scenario.expect.get(key, 0), got.get(key, 0)
        if wanted != actual:
            problems.append(f"{key}: expected {wanted} alert(s), got {actual}")
            failed.append(key)
    for key, arns in scenario.expect_groups.items():
        seen = sorted({str(v) for a in alerts if keys[a.rule_id] == key for v in a.group.values()})
        if seen != sorted(arns):
            problems.append(f"{key}: expected alerts for {sorted(arns)}, got {seen}")
            failed.append(key)
    return ScenarioResult(scenario, alerts, problems, list(dict.fromkeys(failed)))


def load_pack_and_scenarios(content_dir: Path | None):
    """The pack and its scenarios; ContentError when the pack (scenarios included) has errors."""
    pack, findings = load_pack(content_dir)
    if has_errors(findings):
        raise ContentError(findings)
    return pack, pack.scenarios


def run_scenarios(content_dir: Path | None = None, names: list[str] | None = None,
                  warm_up: float | None = None, mapping: Any = None) -> list[ScenarioResult]:
    pack, scenarios = load_pack_and_scenarios(content_dir)
    if names:
        unknown = [n for n in names if not any(n in (s.name, s.path.stem) for s in scenarios)]
        if unknown:
            raise LookupError(f"no scenario named {', '.join(unknown)} (elastic-pack test lists them all)")
        scenarios = [s for s in scenarios if s.name in names or s.path.stem in names]
    return [check_scenario(pack, s, warm_up, mapping) for s in scenarios]
