"""Elasticsearch's order of `version` field values (its VersionEncoder, as the version field type documents it).

Major, minor and patch (any number of numeric parts: "1.2" and "1.2.3.4" are valid) compare numerically; a
pre-release ("1.0.0-alpha") sorts before its release, its dot-separated identifiers compared numerically when
all digits, else in ASCII order, numbers before words; a build suffix ("+build.5") compares as text. Strings
that are no valid version ("bad", "1.2.alpha.4") are kept, and sort after every valid version, as text.
"""

from __future__ import annotations

import re

_VALID = re.compile(r"\d+(\.\d+)*(-[\-\dA-Za-z]+)?(\.[\-\dA-Za-z]+)*(\+[.\-\dA-Za-z]+)?")
_DIGITS = re.compile(r"\d+")


def is_valid_version(text: str) -> bool:
    return _VALID.fullmatch(text) is not None


def version_key(text: str) -> tuple[int, bytes]:
    """A key whose order is Elasticsearch's order of version values."""
    if not is_valid_version(text):
        return 1, text.encode("utf-8")
    build_at = text.find("+")
    build = text[build_at:] if build_at > 0 else ""
    rest = text[:build_at] if build_at > 0 else text
    pre_at = rest.find("-")
    pre = rest[pre_at:] if pre_at > 0 else None
    main = rest[:pre_at] if pre_at > 0 else rest
    out = bytearray(_numbers_marked(main))
    if pre is None:
        out += b"\x03"  # no pre-release: after every pre-release of the same version
    else:
        out += b"\x02-"
        for index, part in enumerate(pre[1:].split(".")):
            if index:
                out += b"."
            out += _numbers_marked(part) if part.isdigit() else part.encode("ascii")
    return 0, bytes(out + build.encode("ascii"))


def _numbers_marked(text: str) -> bytes:
    """Each run of digits prefixed with a marker and its length, so longer numbers sort after shorter ones."""
    out = bytearray()
    position = 0
    for match in _DIGITS.finditer(text):
        out += text[position:match.start()].encode("ascii")
        digits = match.group(0)
        out += bytes([0x01, len(digits) | 0x80]) + digits.encode("ascii")
        position = match.end()
    return bytes(out + text[position:].encode("ascii"))
