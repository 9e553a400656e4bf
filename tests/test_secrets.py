"""Issue 25, secrets: no URL however mangled, no credential however encoded and no answer however echoed
makes a command print a password or an API key; credentials no header can carry give one line, not a
traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from elastic_pack.cli import app
from elastic_pack.kibana import KibanaConfig

from .conftest import API_KEY

runner = CliRunner()
SECRET = "Zq7xW-s3cr3t"
SES = "bad04895-cba0-4ebf-bb88-8a083b64d94b"


def _one_clean_line(result, *secrets):
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for secret in secrets:
        assert secret not in result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


MANGLED = [f"elastic:{SECRET}@127.0.0.1:18601", f"https//u:{SECRET}@h", f"http:/u:{SECRET}@h",
           f"http://u:{SECRET[:4]}/{SECRET[4:]}@127.0.0.1:18601", f"http://u:{SECRET}@127.0.0.1:port"]


@pytest.mark.parametrize("url", MANGLED)
@pytest.mark.parametrize("command", [["doctor"], ["diff"], ["deploy", "--dry-run"], ["export"]])
def test_a_mangled_url_with_credentials_never_shows_the_password(url, command, monkeypatch):
    monkeypatch.delenv("KIBANA_URL", raising=False)
    by_option = runner.invoke(app, [*command, "--kibana-url", url])
    assert by_option.exit_code == 1
    _one_clean_line(by_option, SECRET, SECRET[:4], SECRET[4:])
    assert "***@" in by_option.stderr
    monkeypatch.setenv("KIBANA_URL", url)
    by_env = runner.invoke(app, command)
    assert by_env.exit_code == 1 and by_env.stderr == by_option.stderr


def test_shown_urls_keep_the_host_and_drop_every_userinfo():
    from elastic_pack.kibana.config import shown_url

    assert shown_url("https://u:p@w@kibana:5601/x") == "https://***@kibana:5601/x"
    assert shown_url("elastic:pw@127.0.0.1:18601") == "***@127.0.0.1:18601"
    assert shown_url("https://kibana:5601") == "https://kibana:5601"
    config = KibanaConfig.from_env(url="https://u:p%40ss@kibana:5601", env={})
    assert config.redact("echo p%40ss and p@ss") == "echo *** and ***"


def test_a_non_ascii_api_key_is_one_line_without_the_key(monkeypatch):
    monkeypatch.setenv("ELASTIC_API_KEY", "ключ-" + SECRET)
    result = runner.invoke(app, ["doctor", "--kibana-url", "http://127.0.0.1:9"])
    assert result.exit_code == 1 and "API key" in result.stderr
    _one_clean_line(result, SECRET)


@pytest.mark.parametrize("password", ["пароль-" + SECRET, "naïve-" + SECRET])
def test_a_password_beyond_latin_1_logs_in_as_utf_8(password, monkeypatch):
    """Kibana decodes basic credentials as UTF-8: any password works, none is printed."""
    from elastic_pack.cli import kibana_options
    from elastic_pack.testing import StandInKibana

    kibana = StandInKibana(api_key=None, username="анна", password=password)
    monkeypatch.setattr(kibana_options, "session_factory", kibana.session)
    monkeypatch.setenv("KIBANA_URL", kibana.url)
    monkeypatch.delenv("ELASTIC_API_KEY", raising=False)
    monkeypatch.setenv("ELASTIC_USERNAME", "анна")
    monkeypatch.setenv("ELASTIC_PASSWORD", password)
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output


def test_an_answer_echoing_the_credentials_is_redacted(kibana, tmp_path):
    kibana.fail("GET", "/api/spaces/space/", status=403,
                body={"message": f"key ApiKey {API_KEY} (\"{API_KEY}\") lacks space privileges"})
    result = runner.invoke(app, ["diff", "--space", "soc"])
    assert result.exit_code == 1 and "lacks space privileges" in result.stderr
    _one_clean_line(result, API_KEY)
    kibana.fail("POST", "_import", status=200, body={"success": False, "success_count": 0, "rules_count": 1,
                                                     "errors": [{"rule_id": SES, "error": {"message": API_KEY}}]})
    deployed = runner.invoke(app, ["deploy", "--space", "soc", "--yes", "--backup-dir", str(tmp_path)])
    assert deployed.exit_code == 1 and f"failed {SES}: ***" in deployed.stderr
    assert API_KEY not in deployed.output


def test_seed_never_prints_the_clusters_credentials(monkeypatch):
    def echoing(url=None):
        raise RuntimeError(f"cannot use {url} with key {SECRET}-key and password {SECRET}")

    monkeypatch.setattr("elastic_pack.lab.elasticsearch_client", echoing)
    monkeypatch.setenv("ELASTIC_API_KEY", SECRET + "-key")
    monkeypatch.setenv("ELASTIC_PASSWORD", SECRET)
    result = runner.invoke(app, ["seed", "--scenario", "atomic_1_ses_send_10", "--es-url",
                                 f"elastic:{SECRET}@127.0.0.1:9200"])
    assert result.exit_code == 1 and "seeding failed: RuntimeError: cannot use 127.0.0.1:9200 with key *** and" in result.stderr
    _one_clean_line(result, SECRET)


@pytest.mark.parametrize("userinfo", ["анна:пароль-" + SECRET, "%D0%B0%D0%BD%D0%BD%D0%B0:%D0%BF-" + SECRET])
def test_credentials_in_the_url_beyond_latin_1_log_in_as_utf_8(userinfo, monkeypatch):
    from urllib.parse import unquote

    from elastic_pack.cli import kibana_options
    from elastic_pack.testing import StandInKibana

    user, _, password = (unquote(p) for p in userinfo.partition(":"))
    kibana = StandInKibana(url="http://kibana.test:5601", api_key=None, username=user, password=password)
    monkeypatch.setattr(kibana_options, "session_factory", kibana.session)
    monkeypatch.delenv("ELASTIC_API_KEY", raising=False)
    result = runner.invoke(app, ["doctor", "--kibana-url", f"http://{userinfo}@kibana.test:5601"])
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output and "http://kibana.test:5601" in result.stdout


def test_an_api_key_wins_over_credentials_in_the_url(kibana, monkeypatch):
    monkeypatch.setenv("KIBANA_URL", kibana.url.replace("http://", "http://someone:else@"))
    result = runner.invoke(app, ["doctor", "--space", "soc"])
    assert result.exit_code == 0, result.output
