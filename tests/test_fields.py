"""The field catalogue: ECS in full (generated from ECS's own definitions) plus the AWS CloudTrail integration."""

from __future__ import annotations

import importlib.util
import io
import tarfile
from pathlib import Path

from elastic_pack.fields import catalogue, covered_namespace, field_type

TOOL = Path(__file__).resolve().parents[1] / "tools" / "generate_ecs_fields.py"


def test_every_ecs_field_set_is_there_with_its_type():
    assert len(catalogue()) > 2700
    assert field_type("threat.indicator.ip") == "ip"
    assert field_type("process.command_line") == "wildcard"
    assert field_type("process.command_line.text") == "match_only_text"  # multi-fields too
    assert field_type("file.code_signature.digest_algorithm") == "keyword"
    assert field_type("event.ingested") == "date" and field_type("process.pid") == "long"
    assert field_type("aws.cloudtrail.user_identity.arn") == "keyword"  # the integration's fields
    assert field_type("aws.cloudtrail.flattened.request_parameters.roleArn") == "flattened"
    assert field_type("process.Ext.api.name") is None and not covered_namespace("process.Ext.api.name")


def test_the_generator_reads_ecs_flat_as_published(tmp_path):
    source = b"""export const EcsFlat = {
  'process.command_line': {
    flat_name: 'process.command_line',
    multi_fields: [
      { flat_name: 'process.command_line.text', name: 'text', type: 'match_only_text' },
    ],
    type: 'wildcard',
  },
  'threat.enrichments.indicator.file.code_signature.digest_algorithm': {
    flat_name:
      'threat.enrichments.indicator.file.code_signature.digest_algorithm',
    type: 'keyword',
  },
};
"""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("package/generated/ecs_flat.ts")
        info.size = len(source)
        archive.addfile(info, io.BytesIO(source))
    spec = importlib.util.spec_from_file_location("generate_ecs_fields", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.field_types(buffer.getvalue(), minimum=0) == {
        "process.command_line": "wildcard", "process.command_line.text": "match_only_text",
        "threat.enrichments.indicator.file.code_signature.digest_algorithm": "keyword"}
    try:
        module.field_types(buffer.getvalue())
    except SystemExit as exc:  # a package with fewer fields than ECS has: refused, not written
        assert "unexpected ecs_flat.ts layout (3 fields" in str(exc)
    else:
        raise AssertionError("a three-field package passed the layout check")
