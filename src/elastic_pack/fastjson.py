"""JSON decoding for the hot paths (events, CloudTrail): msgspec when installed, the standard library else.

msgspec parses 2-5x faster than `json`. It is strict JSON, so input it refuses is given to `json` again:
what is accepted (NaN, big numbers) and the error a user reads stay those of the standard library.
"""

from __future__ import annotations

import json
from typing import Any

try:
    import msgspec
except ImportError:  # pragma: no cover - msgspec is a dependency; the fallback keeps a broken install usable
    msgspec = None


if msgspec is not None:
    _decode = msgspec.json.Decoder().decode
    _DecodeError = msgspec.DecodeError

    def loads(data: bytes | str) -> Any:
        try:
            return _decode(data)
        except _DecodeError:
            return json.loads(data)
else:  # pragma: no cover
    def loads(data: bytes | str) -> Any:
        return json.loads(data)
