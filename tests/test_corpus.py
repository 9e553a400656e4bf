"""Elastic's prebuilt rules (../shared/reference/detection-rules, Elastic License 2.0, read in place):
every rule type loads and is schema-checked with no false errors, and the engine runs or refuses by name."""

from __future__ import annotations

from collections import Counter

import pytest

from elastic_pack.checks import validate_pack
from elastic_pack.engine.rules import refusals

from .conftest import SHARED_REFERENCE

CORPUS = SHARED_REFERENCE / "detection-rules"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    if not (CORPUS / "rules").is_dir():
        pytest.skip(f"Elastic's rule corpus is not at {CORPUS} (it lives in ../shared/reference on CI)")
    root = tmp_path_factory.mktemp("corpus")
    for folder in ("rules", "rules_building_block"):
        (root / folder).symlink_to(CORPUS / folder)
    return validate_pack(root)


def test_every_file_loads_and_no_schema_or_syntax_error_is_false(corpus):
    pack, findings = corpus
    assert len(pack.rules) == len(list(CORPUS.glob("rules*/**/*.toml")))
    errors = Counter((f.check, f.message) for f in findings if f.severity.value == "error")
    assert not [e for e in errors if e[0] in ("EP001", "EP002", "EP003", "EP021")], errors.most_common(10)


def test_the_engine_runs_every_query_eql_threshold_and_new_terms_rule_or_names_what_it_cannot(corpus):
    pack, _ = corpus
    ran, refusals_ = refusals(pack.rules)
    refused = Counter(rule.type for rule, _ in refusals_)
    for rule, exc in refusals_:
        assert exc.reason and rule.name in str(exc)
    for kind in ("query", "threshold", "new_terms"):
        assert refused[kind] == 0, (kind, refused)
    assert ran["eql"] >= 0.99 * (ran["eql"] + refused["eql"])


def test_the_packs_rule_files_use_only_metadata_keys_elastics_own_files_use():
    """detection-rules' schema rejects unknown [metadata] keys: pack-only settings live in rule_settings.toml."""
    import tomllib

    from .conftest import CONTENT

    if not (CORPUS / "rules").is_dir():
        pytest.skip(f"Elastic's rule corpus is not at {CORPUS} (it lives in ../shared/reference on CI)")
    elastic = set()
    for path in CORPUS.glob("rules*/**/*.toml"):
        elastic |= set(tomllib.loads(path.read_text(encoding="utf-8")).get("metadata", {}))
    for path in (CONTENT / "rules").glob("*.toml"):
        ours = set(tomllib.loads(path.read_text(encoding="utf-8"))["metadata"])
        assert ours <= elastic, (path.name, ours - elastic)


VALUES = ("alpha", 7, ["x", "y"], "2026-01-05T10:00:00Z", 2.5, "", True, {}, [1, None], "10.1.2.3", -1)


def test_every_rule_the_engine_compiles_runs_over_awkward_events_without_crashing(corpus):
    """Each compiled corpus rule gets events whose fields (the ones its query reads) hold text, numbers, lists,
    dates, empty strings, booleans, objects and nulls: it may alert or not, or fail as Elasticsearch fails the
    search (a QueryError naming the event and the rule: `x > 0.98` on a field the data makes boolean), but
    never crashes."""
    from elastic_pack.content.queries import checked_query
    from elastic_pack.engine import compile_rule, run_rules
    from elastic_pack.engine.events import Event
    from elastic_pack.errors import NotRunnable, QueryError

    pack, _ = corpus
    crashed = []
    start = 1_767_603_600.0
    for rule in pack.rules:
        try:
            compiled = compile_rule(rule)
        except NotRunnable:
            continue
        fields = sorted(set(getattr(checked_query(rule), "fields", ()) or ()))[:40]
        events = []
        for index in range(24):
            document = {name: VALUES[(index + offset) % len(VALUES)] for offset, name in enumerate(fields)
                        if (index + offset) % 5}
            events.append(Event({"@timestamp": start + 60 * index, **document}, start + 60 * index,
                                start + 60 * index))
        try:
            run_rules([compiled], events)
        except QueryError as exc:
            if f"rule {compiled.name!r}" not in str(exc):
                crashed.append(f"{rule.path.name}: the failure does not name the rule: {exc}")
        except Exception as exc:  # noqa: BLE001 - the finding is the crash itself
            crashed.append(f"{rule.path.name}: {type(exc).__name__}: {exc}")
    assert not crashed, "\n".join(crashed[:15])


def test_preview_over_a_tree_runs_what_it_can_and_names_what_it_does_not(tmp_path):
    import shutil

    from typer.testing import CliRunner

    from elastic_pack.cli import app
    from elastic_pack.errors import NotRunnable
    from elastic_pack.preview import preview

    query = CORPUS / "rules" / "windows" / "discovery_whoami_command_activity.toml"
    ml = CORPUS / "rules" / "integrations" / "gcp" / "ml_gcp_rare_method_by_city.toml"
    if not (query.is_file() and ml.is_file()):
        pytest.skip(f"Elastic's rule corpus is not at {CORPUS} (it lives in ../shared/reference on CI)")
    (tmp_path / "rules").mkdir()
    for source in (query, ml):
        shutil.copy(source, tmp_path / "rules" / source.name)
    events = tmp_path / "events.ndjson"
    events.write_text('{"@timestamp": "2026-01-05T10:00:00Z", "event": {"category": ["process"]}}\n')
    alerts, report = preview([events], tmp_path)
    assert report.read == 1 and len(report.not_run) == 1 and "machine_learning" in report.not_run[0]
    shown = CliRunner().invoke(app, ["preview", "--content", str(tmp_path), "--events", str(events)])
    assert shown.exit_code == 0 and "not run" in shown.stderr and ml.name in shown.stderr
    ml_id = next(line.split('"')[1] for line in ml.read_text().splitlines() if line.startswith("rule_id"))
    with pytest.raises(NotRunnable):
        preview([events], tmp_path, rule_ids=[ml_id])  # asked for by name: refused, not skipped
