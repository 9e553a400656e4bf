"""The exceptions elastic-pack raises.

    ElasticPackError
    ├── ContentError          the pack does not validate (carries the findings)
    ├── InputError            an events or backup file cannot be read
    ├── NotRunnable           the local engine cannot run a rule (names the rule and the construct)
    └── KibanaError           (elastic_pack.kibana.errors) talking to Kibana failed
"""

from __future__ import annotations


class ElasticPackError(Exception):
    """Base of every error elastic-pack raises on purpose."""


class ContentError(ElasticPackError):
    def __init__(self, findings):
        self.findings = list(findings)
        lines = "\n".join(str(f) for f in self.findings)
        super().__init__(f"the pack does not validate:\n{lines}")


class InputError(ElasticPackError):
    """A file given to a command cannot be used; the message names the file and line."""


class NotRunnable(ElasticPackError, ValueError):
    """The local engine cannot run a rule: it refuses by name rather than answer differently from Kibana."""

    def __init__(self, rule_name: str, path, reason: str):
        self.rule_name = rule_name
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: rule {rule_name!r}: the local engine cannot run it: {reason}")
