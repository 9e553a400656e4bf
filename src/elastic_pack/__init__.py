"""elastic-pack: detections as code for cloud resource hijacking (MITRE ATT&CK T1496) in Elastic Security.

The public API is re-exported lazily so that `elastic-pack --help` does not import the heavy parts.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "load_pack": "elastic_pack.content",
    "validate_pack": "elastic_pack.checks",
    "build_pack": "elastic_pack.operations",
    "bump_versions": "elastic_pack.operations",
    "Finding": "elastic_pack.findings",
    "ElasticPackError": "elastic_pack.errors",
    "ContentError": "elastic_pack.errors",
    "InputError": "elastic_pack.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'elastic_pack' has no attribute {name!r}")
