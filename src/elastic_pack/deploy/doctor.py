"""`doctor`: can this machine deploy the pack to that space, and if not, what to fix."""

from __future__ import annotations

from dataclasses import dataclass

from ..kibana import KibanaClient, KibanaError

# EQL sequences `with runs=N` need Elasticsearch/Kibana 8.9 or later; `?field` needs 8.5 or later.
MIN_VERSION_FOR_RUNS = (8, 9)


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("-")[0].split(".")[:2] if p.isdigit())


def _field(body: object, key: str) -> object:
    return body.get(key) if isinstance(body, dict) else None


def diagnose(client: KibanaClient, uses_runs: bool = True) -> list[Check]:
    checks = []
    try:
        status = client.status()
    except KibanaError as exc:
        return [Check("reach Kibana and log in", False, str(exc))]
    number = _field(_field(status, "version"), "number")
    version = number if isinstance(number, str) and number else "unknown"
    checks.append(Check("reach Kibana and log in", True, f"{client.config.display_url}, Kibana {version}"))
    if uses_runs:
        new_enough = _version(version) >= MIN_VERSION_FOR_RUNS
        checks.append(Check("version supports EQL `with runs`", new_enough,
                            f"Kibana {version}" + ("" if new_enough else ": upgrade the stack to 8.9 or later")))
    try:
        client.get_space()
        checks.append(Check("space exists", True, client.config.space))
    except KibanaError as exc:
        checks.append(Check("space exists", False, f"{exc}: create it in Stack Management > Spaces"))
        return checks
    try:
        privileges = client.privileges()
        if not isinstance(privileges, dict):
            checks.append(Check("detection engine privileges", False, "Kibana's answer is not the privileges "
                                f"object its API documents (a JSON {type(privileges).__name__})"))
            return checks
        authenticated = privileges.get("is_authenticated") is True
        key = privileges.get("has_encryption_key") is True
        checks.append(Check("detection engine privileges", authenticated,
                            "ok" if authenticated else "the user cannot use the detection engine"))
        checks.append(Check("saved-object encryption key", key,
                            "set" if key else "set xpack.encryptedSavedObjects.encryptionKey in kibana.yml"))
    except KibanaError as exc:
        checks.append(Check("detection engine privileges", False, str(exc)))
    return checks
