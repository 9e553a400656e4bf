"""The lab's index templates on a real node, and the scenarios' events indexed through them."""

from __future__ import annotations

import json
import re

import pytest
from elasticsearch import BadRequestError

from elastic_pack.fields import field_type

from .seeding import STAND_INS, TEMPLATES, installable


def test_templates_install_and_only_unpublished_types_need_a_stand_in(es):
    for path in TEMPLATES:
        template = json.loads(path.read_text())
        body, replaced = installable(template)
        if replaced:
            # as they are, they fail only for the types whose modules Maven Central lacks
            with pytest.raises(BadRequestError) as refused:
                # another priority only: an installed copy may already hold 500 for these patterns
                es.indices.put_index_template(name=f"asis-{path.stem}", body={**template, "priority": 1})
            reason = json.dumps(refused.value.body)
            missing = re.findall(r"The mapper type \[(\w+)\] declared on field \[([^\]]+)\] does not exist", reason)
            assert missing and all(
                any(r == f"{field}: {kind}" or r.endswith(f".{field}: {kind}") for r in replaced) for kind, field in missing), reason
            assert {r.split(": ")[-1].split()[-1] for r in replaced} <= set(STAND_INS)
        es.indices.put_index_template(name=f"check-{path.stem}", body={**body, "priority": 2})
        es.indices.delete_index_template(name=f"check-{path.stem}")


def _mapped_types(mapping: dict, prefix: str = "") -> dict[str, str]:
    out = {}
    for name, spec in mapping.get("properties", {}).items():
        if "properties" in spec:
            out.update(_mapped_types(spec, prefix + name + "."))
        else:
            out[prefix + name] = spec.get("type", "object")
    return out


def test_scenario_events_index_through_the_templates_with_the_types_the_rules_expect(es, seeded):
    pack, scenarios = seeded
    total = sum(len(s.documents) for s in scenarios)
    assert total > 1000
    counted = es.count(index="logs-*-realtest*")["count"]
    assert counted == total
    stands_for: dict[str, set[str]] = {}
    for original, mapping in STAND_INS.items():
        stands_for.setdefault(mapping["type"], set()).add(original)
    wrong = []
    streams = es.indices.get_mapping(index="logs-*-realtest*")
    for index, body in streams.items():
        for field, mapped in _mapped_types(body["mappings"]).items():
            expected = field_type(field)
            if expected is None or mapped == expected or expected in stands_for.get(mapped, ()):
                continue
            # the engine's catalogue and the node disagree on a field's type: that changes answers
            wrong.append(f"{index} {field}: node {mapped}, engine {expected}")
    assert not wrong, "\n".join(sorted(set(wrong))[:40])
