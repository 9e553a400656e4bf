"""content.spec: each rule type typed once, Kibana's defaults filled in one place, bad settings named."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from elastic_pack.cli import app
from elastic_pack.content.model import RuleFile
from elastic_pack.content.spec import (EqlSpec, EsqlSpec, NewTermsSpec, QuerySpec, SpecError, ThreatMatchSpec,
                                       ThresholdSpec, spec_of)
from elastic_pack.engine import compile_rule
from elastic_pack.errors import NotRunnable

from .conftest import SES_FILE, edit_rule

BASE = {"rule_id": "r", "name": "R", "query": "a: b", "language": "kuery"}


def test_defaults_are_kibanas():
    spec = spec_of({**BASE, "type": "query"})
    assert isinstance(spec, QuerySpec)
    assert (spec.interval, spec.lookback, spec.max_signals) == (300, 360, 100)


def test_each_type_has_its_class_and_settings():
    threshold = spec_of({**BASE, "type": "threshold", "threshold": {"field": "user.name", "value": 5}})
    assert isinstance(threshold, ThresholdSpec) and threshold.threshold_fields == ("user.name",)
    assert threshold.threshold_value == 5 and threshold.grouping_fields == ("user.name",)
    everything = spec_of({**BASE, "type": "threshold", "threshold": {"field": [], "value": 5}})
    assert everything.threshold_fields == ()  # one group over all events, as Kibana does
    terms = spec_of({**BASE, "type": "new_terms", "new_terms_fields": ["host.name"]})
    assert isinstance(terms, NewTermsSpec) and terms.history_window == 7 * 86400
    assert isinstance(spec_of({**BASE, "type": "eql", "language": "eql", "timestamp_field": "t"}), EqlSpec)
    assert isinstance(spec_of({**BASE, "type": "esql", "language": "esql"}), EsqlSpec)
    assert isinstance(spec_of({**BASE, "type": "threat_match", "threat_index": ["ti-*"]}), ThreatMatchSpec)


@pytest.mark.parametrize("settings, key", [({"type": "threshold"}, "threshold"),
                                           ({"type": "threshold", "threshold": {"field": "a"}}, "threshold"),
                                           ({"type": "new_terms"}, "new_terms_fields"),
                                           ({"type": "query", "interval": "0m"}, "interval"),
                                           ({"type": "query", "from": "now-1M"}, "from")])
def test_unreadable_settings_name_their_key(settings, key):
    with pytest.raises(SpecError) as caught:
        spec_of({**BASE, **settings})
    assert caught.value.key == key


def test_a_zero_interval_is_a_validation_error_with_its_line_and_the_engine_refuses_it(pack_dir):
    path = edit_rule(pack_dir, SES_FILE, 'interval = "5m"', 'interval = "0m"')
    result = CliRunner().invoke(app, ["validate", "--content", str(pack_dir)])
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if text.startswith("interval"))
    assert result.exit_code == 1
    assert f"{SES_FILE}:{line}" in result.stderr and "EP022" in result.stderr and "not an interval" in result.stderr
    with pytest.raises(NotRunnable, match="interval"):
        compile_rule(RuleFile(Path("x.toml"), "", {"rule": {**BASE, "type": "query", "interval": "0m"}}))
