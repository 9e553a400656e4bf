"""What the real node holds: the lab's index templates and every scenario's events, seeded as the lab seeds
them (elastic_pack.lab.seed), one data stream namespace per scenario."""

from __future__ import annotations

import copy
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from elastic_pack.lab import seed
from elastic_pack.scenario_run import load_pack_and_scenarios

TEMPLATES = sorted((Path(__file__).resolve().parents[2] / "docker" / "index-templates").glob("*.json"))

# Field types of Elasticsearch modules that are not published on Maven Central (mapper-extras, wildcard,
# constant-keyword), so the node lacks them. Each is replaced by the server type that answers the pack's queries
# the same way: match_only_text is text (the same analysis, so the same matches; match_only_text runs phrase
# queries by checking _source instead of positions, and scores every hit alike), constant_keyword is a keyword
# every document of the index shares, and wildcard answers term, wildcard and regexp queries on the whole
# value as keyword does.
STAND_INS = {
    "match_only_text": {"type": "text", "norms": False},
    "wildcard": {"type": "keyword"},
    "constant_keyword": {"type": "keyword"},
    "scaled_float": {"type": "double"},  # ECS's *.usage; no rule of the pack reads one
}


STRUCTURE = frozenset({"template", "mappings", "properties", "fields", "mapping", "dynamic_templates"})


def installable(template: dict) -> tuple[dict, list[str]]:
    """The template with the node's stand-ins for types it lacks, and where each went (field paths, dynamic
    templates, multi-fields alike)."""
    replaced: list[str] = []

    def swap(node: object, path: str) -> object:
        if isinstance(node, list):
            return [swap(item, path) for item in node]
        if not isinstance(node, dict):
            return node
        kind = node.get("type")
        if isinstance(kind, str) and kind in STAND_INS:
            replaced.append(f"{path}: {kind}")
            kept = {k: swap(v, path) for k, v in node.items() if k in ("fields", "index", "doc_values")}
            return {**STAND_INS[kind], **kept}
        # field paths grow under properties/fields; other keys (template, mappings, mapping) are structure
        return {key: swap(value, path if key in STRUCTURE else f"{path}.{key}".lstrip("."))
                for key, value in node.items()}

    return swap(copy.deepcopy(template), ""), replaced  # type: ignore[return-value]


def _stack_resource(name: str) -> dict:
    """One of Elasticsearch's built-in templates, read from the x-pack-template-resources jar the node runs."""
    from .node import CLASSPATH

    jar = next(e for e in CLASSPATH.read_text().strip().split(os.pathsep) if "x-pack-template-resources" in e)
    with zipfile.ZipFile(jar) as archive:
        text = archive.read(name).decode()
    text = text.replace("${xpack.stack.template.version}", "1").replace("${xpack.stack.template.deprecated}", "false")
    return json.loads(text)


def install_builtin_logs_template(es) -> list[str]:
    """Elasticsearch's built-in `logs` template (logs-*-*, priority 100) as a full stack has it: its
    logs@mappings and ecs@mappings components, which type the fields of data streams that no integration
    template covers (here logs-aws.ses-*). The stack plugin that installs it is not on Maven Central; its
    resources are. logs@settings is left out: it names an ILM policy and an ingest pipeline the node lacks."""
    replaced = []
    for component in ("logs@mappings", "ecs@mappings"):
        body, stand_ins = installable(_stack_resource(f"{component}.json"))
        es.cluster.put_component_template(name=component, body=body)
        replaced += [f"{component} {r}" for r in stand_ins]
    template = _stack_resource("logs@template.json")
    template["composed_of"] = ["logs@mappings", "ecs@mappings"]
    template.pop("ignore_missing_component_templates", None)
    es.indices.put_index_template(name="logs", body=template)
    return replaced


def install_templates(es) -> dict[str, list[str]]:
    """Elasticsearch's built-in logs template and every lab template on the node; returns the stand-ins
    each needed."""
    stand_ins = {"logs": install_builtin_logs_template(es)}
    for path in TEMPLATES:
        body, replaced = installable(json.loads(path.read_text()))
        es.indices.put_index_template(name=path.stem, body=body)
        stand_ins[path.stem] = replaced
    return stand_ins


@dataclass
class Seeded:
    namespace: str
    scenario: object
    documents: list[dict]


def namespace_of(index: int) -> str:
    return f"realtest{index:03d}"


def seed_scenarios(es) -> tuple[object, list[Seeded]]:
    """The pack and each scenario's events in a namespace of its own, written by the lab's seeding code."""
    pack, scenarios = load_pack_and_scenarios(None)
    seeded = []
    for index, scenario in enumerate(scenarios):
        documents = scenario.documents()
        if not documents:
            continue
        namespace = namespace_of(index)
        _, count = seed(es, documents, namespace)
        assert count == len(documents), scenario.name
        seeded.append(Seeded(namespace, scenario, documents))
    return pack, seeded


def narrowed(patterns: list[str], namespace: str) -> list[str]:
    """A rule's index patterns narrowed to one scenario's data streams (the patterns other tools write are
    left out: nothing was seeded there)."""
    return [p.replace("*", namespace) for p in patterns if p.startswith("logs-")]
