"""Checks of one rule's settings: schema, schedule, threshold intent, risk band, tags, MITRE, ids."""

from __future__ import annotations

import re
import uuid

from ..build import rule_payload
from ..content.queries import parsed_query
from ..content.spec import DEFAULT_FROM, DEFAULT_INTERVAL, SpecError, spec_of
from ..durations import format_span, parse_interval, parse_lookback, parse_span
from ..rule_schema import rule_payload_errors
from .base import RuleCheck
from .type_fit import type_problems

RISK_BANDS = {"low": (0, 21), "medium": (22, 47), "high": (48, 73), "critical": (74, 100)}
REQUIRED_TAG_PREFIXES = ("Domain: ", "Data Source: ", "Use Case: ", "Tactic: ")


class KibanaSchema(RuleCheck):
    id = "EP002"
    title = "the rule as Kibana receives it matches Kibana's rule schema"

    def check(self, rule, pack):
        guide_id = rule.metadata.get("technique_guide")
        if guide_id and guide_id not in pack.guides:
            yield self.finding(rule, f"technique_guide {guide_id!r} has no guides/{guide_id}.toml",
                               rule.line_of("metadata", "technique_guide"))
        for error in rule_payload_errors(rule_payload(rule, pack=pack)):
            key = error.split("/", 1)[0].split(":", 1)[0]
            yield self.finding(rule, error, rule.line_of("rule", key) or rule.line_of("rule"))


class TypeFit(RuleCheck):
    id = "EP014"
    title = "query literals fit the types of the fields they are compared with"

    def check(self, rule, pack):
        parsed = parsed_query(rule)
        if parsed is None:
            return
        for problem in type_problems(parsed):
            yield self.finding(rule, problem, rule.query_line())


class RuleSettings(RuleCheck):
    id = "EP022"
    title = "the rule's settings read as its Kibana type takes them (interval, threshold, new terms)"

    def check(self, rule, pack):
        try:
            spec_of(rule.rule)
        except SpecError as exc:
            # Kibana takes any date math in `from`; that only the local engine cannot read it is EP021's
            if exc.key != "from":
                yield self.finding(rule, str(exc), rule.line_of("rule", exc.key))


class Schedule(RuleCheck):
    id = "EP006"
    house_rule = True
    title = "an EQL sequence's look-back covers maxspan plus one interval; the look-back covers the interval"

    def check(self, rule, pack):
        try:
            interval = parse_interval(rule.rule.get("interval", DEFAULT_INTERVAL))
            lookback = parse_lookback(rule.rule.get("from", DEFAULT_FROM))
        except ValueError:
            return  # EP022 says why
        if lookback < interval:
            yield self.finding(rule, f"look-back {format_span(lookback)} is shorter than the interval "
                               f"{format_span(interval)}: events between runs are never searched",
                               rule.line_of("rule", "from"))
        parsed = parsed_query(rule)
        maxspan = getattr(parsed, "maxspan", None)
        if maxspan is not None and lookback < maxspan + interval:
            needed = format_span(maxspan + interval)
            yield self.finding(
                rule,
                f"look-back {format_span(lookback)} does not cover maxspan {format_span(maxspan)} plus one interval "
                f"({format_span(interval)}): a sequence that takes the whole maxspan is never seen whole; "
                f"set from = \"now-{needed}\"",
                rule.line_of("rule", "from"),
            )


class ThresholdIntent(RuleCheck):
    id = "EP007"
    house_rule = True
    title = "a threshold rule's value and window match its threshold_intent (rule_settings.toml)"

    def check(self, rule, pack):
        if rule.type != "threshold":
            return
        intent = rule.metadata.get("threshold_intent")
        if not intent and not pack.own_format and not pack.settings_path.exists():
            return  # a tree of rules without the pack's settings file (detection-rules): no intent to hold it to
        if not intent:
            yield self.finding(rule, f"threshold rule without a threshold_intent (more_than, window) in "
                               f"rule_settings.toml [{rule.path.stem}.threshold_intent]: its edges cannot be checked",
                               rule.line_of("metadata"))
            return
        value = rule.rule.get("threshold", {}).get("value")
        more_than = intent.get("more_than")
        if isinstance(more_than, int) and value != more_than + 1:
            yield self.finding(
                rule,
                f"intent is more than {more_than} events, but threshold.value is {value}; Kibana alerts at "
                f"count >= value, so value must be {more_than + 1}",
                rule.line_of("rule.threshold", "value"),
            )
        try:
            window = parse_span(intent.get("window", ""))
            lookback = parse_lookback(rule.rule.get("from", "now-6m"))
        except ValueError as exc:
            yield self.finding(rule, f"rule_settings.toml [{rule.path.stem}.threshold_intent]: {exc}",
                               rule.line_of("rule", "from"))
            return
        if window != lookback:
            yield self.finding(rule, f"intent window is {format_span(window)}, but the rule looks back "
                               f"{format_span(lookback)} (from = {rule.rule.get('from')!r})", rule.line_of("rule", "from"))


class RiskBand(RuleCheck):
    id = "EP009"
    house_rule = True
    title = "risk score lies inside its severity's band"

    def check(self, rule, pack):
        severity, score = rule.rule.get("severity"), rule.rule.get("risk_score")
        band = RISK_BANDS.get(severity)
        if band and isinstance(score, int) and not band[0] <= score <= band[1]:
            yield self.finding(rule, f"risk_score {score} is outside the {severity} band {band[0]}-{band[1]}",
                               rule.line_of("rule", "risk_score"))


class Tags(RuleCheck):
    id = "EP010"
    house_rule = True
    title = "tags follow Elastic's convention (Domain, Data Source, Use Case, Tactic)"

    def check(self, rule, pack):
        tags = rule.rule.get("tags", [])
        line = rule.line_of("rule", "tags")
        for prefix in REQUIRED_TAG_PREFIXES:
            if not any(str(t).startswith(prefix) for t in tags):
                yield self.finding(rule, f"no '{prefix.strip()}' tag", line)
        for threat in rule.rule.get("threat", []):
            tactic = threat.get("tactic", {}).get("name")
            if tactic and f"Tactic: {tactic}" not in tags:
                yield self.finding(rule, f"mapped to tactic {tactic} but not tagged 'Tactic: {tactic}'", line)


class RuleIdFormat(RuleCheck):
    id = "EP012"
    house_rule = True
    title = "rule_id is a stable UUID"

    def check(self, rule, pack):
        rule_id = rule.rule_id
        try:
            uuid.UUID(str(rule_id))
        except ValueError:
            yield self.finding(rule, f"rule_id {rule_id!r} is not a UUID", rule.line_of("rule", "rule_id"))


_TACTIC = re.compile(r"^TA\d{4}$")
_TECHNIQUE = re.compile(r"^T\d{4}$")
_SUBTECHNIQUE = re.compile(r"^T\d{4}\.\d{3}$")


class MitreMapping(RuleCheck):
    id = "EP013"
    house_rule = True
    title = "MITRE ATT&CK mapping present, well-formed and consistent"

    def check(self, rule, pack):
        threats = rule.rule.get("threat", [])
        line = rule.line_of("rule.threat")
        if not threats:
            yield self.finding(rule, "no [[rule.threat]] mapping", rule.line_of("rule"))
            return
        for threat in threats:
            tactic = threat.get("tactic", {})
            if not _TACTIC.match(str(tactic.get("id", ""))):
                yield self.finding(rule, f"tactic id {tactic.get('id')!r} is not of the form TA0000", line)
            for technique in threat.get("technique", []):
                tid = str(technique.get("id", ""))
                if not _TECHNIQUE.match(tid):
                    yield self.finding(rule, f"technique id {tid!r} is not of the form T0000", line)
                if not str(technique.get("reference", "")).rstrip("/").endswith(tid):
                    yield self.finding(rule, f"technique {tid} reference does not point at {tid}", line)
                for sub in technique.get("subtechnique", []):
                    sid = str(sub.get("id", ""))
                    if not _SUBTECHNIQUE.match(sid) or not sid.startswith(tid + "."):
                        yield self.finding(rule, f"sub-technique {sid!r} does not belong to technique {tid}", line)
                    if not str(sub.get("reference", "")).rstrip("/").endswith(sid.replace(".", "/")):
                        yield self.finding(rule, f"sub-technique {sid} reference does not point at {sid}", line)
