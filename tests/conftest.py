"""Shared fixtures: a writable copy of the pack, and the reference data in ../shared when present."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CONTENT = REPO / "content"
SHARED_REFERENCE = REPO.parent / "shared" / "reference"
OPENAPI_DIR = SHARED_REFERENCE / "kibana-openapi" / "detection_engine"


@pytest.fixture
def pack_dir(tmp_path: Path) -> Path:
    """A copy of the shipped pack that a test may break."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


@pytest.fixture(scope="session")
def kibana_openapi():
    if not (OPENAPI_DIR / "model").is_dir():
        pytest.skip(f"Kibana's OpenAPI schemas are not at {OPENAPI_DIR} (they live in ../shared/reference on CI)")
    from elastic_pack.openapi import load_openapi

    return load_openapi(str(OPENAPI_DIR))


def edit_rule(pack_dir: Path, file_name: str, old: str, new: str) -> Path:
    path = pack_dir / "rules" / file_name
    text = path.read_text()
    assert old in text, f"{old!r} not in {file_name}"
    path.write_text(text.replace(old, new, 1))
    return path


SEQUENCE_FILE = "aws_service_enablement_then_abuse.toml"
SES_FILE = "aws_ses_high_volume_email_sending.toml"
SNS_FILE = "aws_sns_high_volume_publishing.toml"
BEDROCK_FILE = "aws_bedrock_high_frequency_model_invocation.toml"


API_KEY = "s3cr3t-api-key-0123456789"
PACK_TAG = "Managed: elastic-pack/cloud-resource-hijacking"  # content/pack.toml's id: rules this pack deployed


@pytest.fixture
def kibana(monkeypatch):
    """An in-process Kibana (checking requests against Kibana's OpenAPI schemas when ../shared has them),
    wired into the CLI; retries do not sleep."""
    from elastic_pack.cli import kibana_options
    from elastic_pack.testing import StandInKibana

    openapi = None
    if (OPENAPI_DIR / "model").is_dir():
        from elastic_pack.openapi import load_openapi

        openapi = load_openapi(str(OPENAPI_DIR))
    standin = StandInKibana(openapi=openapi, api_key=API_KEY)
    standin.add_space("soc")
    monkeypatch.setattr(kibana_options, "session_factory", standin.session)
    monkeypatch.setattr("elastic_pack.kibana.client.time.sleep", lambda s: None)
    monkeypatch.setenv("KIBANA_URL", standin.url)
    monkeypatch.setenv("ELASTIC_API_KEY", API_KEY)
    monkeypatch.delenv("ELASTIC_USERNAME", raising=False)
    monkeypatch.delenv("ELASTIC_PASSWORD", raising=False)
    yield standin
    assert standin.rejections == [], "the stand-in rejected requests as Kibana would"


def pytest_addoption(parser):
    group = parser.getgroup("elastic-pack integration tier")
    group.addoption("--stack-kibana-url", default=None,
                    help="Use this running Kibana instead of starting docker/ (env ELASTIC_PACK_STACK_KIBANA_URL).")
    group.addoption("--stack-es-url", default=None,
                    help="Its Elasticsearch (env ELASTIC_PACK_STACK_ES_URL).")
