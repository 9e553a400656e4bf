"""The exceptions elastic-pack raises.

    ElasticPackError
    ├── ContentError          the pack does not validate (carries the findings)
    ├── InputError            an events or backup file cannot be read
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
