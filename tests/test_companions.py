"""Detection hardening: each evasion slips past the seed's rules and is caught by its companion rule."""

from __future__ import annotations

from collections import Counter

import pytest

from elastic_pack.scenario_run import check_scenario, load_pack_and_scenarios, rule_key

from .conftest import CONTENT

PACK, SCENARIOS = load_pack_and_scenarios(CONTENT)
SEED_RULES = {"aws_service_enablement_then_abuse", "aws_ses_high_volume_email_sending",
              "aws_sns_high_volume_publishing", "aws_bedrock_high_frequency_model_invocation"}
EVASIONS = {
    "evasion_bedrock_converse_burst": "aws_bedrock_converse_high_frequency",
    "evasion_identity_rotation_ses": "aws_messaging_ai_abuse_by_role",
    "evasion_llmjacking_probe": "aws_bedrock_llmjacking_probe_sequence",
    "evasion_ses_sandbox_exit": "aws_ses_sandbox_exit_after_recon",
    "evasion_low_and_slow_first_seen": "aws_first_seen_identity_messaging_ai_api",
    "evasion_low_and_slow_new_role": "aws_first_seen_role_messaging_ai_api",
    "evasion_ses_verified_addresses_then_enable_sending": "aws_ses_sandbox_exit_after_recon",
    "evasion_llmjacking_probe_resource_not_found": "aws_bedrock_llmjacking_probe_sequence",
    "attack_sms_pumping_end_user_messaging": "aws_end_user_messaging_sms_high_volume",
}


def _alerts(name):
    scenario = next(s for s in SCENARIOS if s.name == name)
    result = check_scenario(PACK, scenario)
    return Counter(rule_key(next(r.path for r in PACK.rules if r.rule_id == a.rule_id)) for a in result.alerts)


def test_the_seed_rules_are_unchanged_and_every_companion_names_what_it_completes():
    stems = {r.path.stem for r in PACK.rules}
    assert SEED_RULES <= stems
    assert {r.path.stem for r in PACK.rules if "seed_branch" in r.metadata} == SEED_RULES
    companions = [r for r in PACK.rules if "companion_of" in r.metadata]
    cloud = {r.path.stem for r in PACK.rules if r.metadata.get("technique_guide") == "T1496.004"}
    assert cloud == SEED_RULES | {r.path.stem for r in companions}  # every other cloud rule is a companion
    assert set(EVASIONS.values()) <= {r.path.stem for r in companions}
    for rule in companions:
        assert set(rule.metadata["companion_of"]) <= SEED_RULES
        assert "Rule Type: Companion" in rule.rule["tags"]


@pytest.mark.parametrize("scenario, companion", sorted(EVASIONS.items()))
def test_seed_rules_miss_the_evasion_and_the_companion_catches_it(scenario, companion):
    alerts = _alerts(scenario)
    assert all(alerts[seed] == 0 for seed in SEED_RULES), alerts
    assert alerts[companion] >= 1


def test_rotation_rule_groups_by_role_where_the_seed_splits_by_session():
    scenario = next(s for s in SCENARIOS if s.name == "evasion_identity_rotation_ses")
    arns = {d["aws.cloudtrail.user_identity.arn"] for d in scenario.documents()}
    assert len(arns) == 5  # five sessions, each under the seed's threshold of 101
    per_session = Counter(d["aws.cloudtrail.user_identity.arn"] for d in scenario.documents())
    assert max(per_session.values()) < 101 and sum(per_session.values()) > 100


def test_benign_look_alikes_are_quiet_when_listed_and_loud_when_not():
    assert sum(_alerts("benign_chatbot_converse_listed").values()) == 0
    assert _alerts("benign_chatbot_converse_unlisted")["aws_bedrock_converse_high_frequency"] > 0
    assert sum(_alerts("benign_marketing_newsletter_listed").values()) == 0


def test_every_companion_note_comes_from_the_t1496_004_guide():
    from elastic_pack.build import pack_payloads

    guide = PACK.guides["T1496.004"]
    aws_rules = {r.rule_id for r in PACK.rules if r.metadata["technique_guide"] == "T1496.004"}
    for payload in pack_payloads(PACK):
        if payload["rule_id"] in aws_rules:
            assert guide.table["escalation"][0] in payload["note"]
