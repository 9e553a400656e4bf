"""Where Kibana is and how to log in: options first, then environment variables.

    KIBANA_URL                      e.g. https://kibana.example.com:5601
    ELASTIC_API_KEY                 an API key (the encoded form Kibana shows)
    ELASTIC_USERNAME / ELASTIC_PASSWORD   basic authentication, when no API key is given
    KIBANA_CA_CERT                  a CA bundle for Kibana's certificate
Proxies come from the usual HTTPS_PROXY / HTTP_PROXY / NO_PROXY variables.
"""

from __future__ import annotations

import base64
import os
import re
from urllib.parse import unquote, urlsplit, urlunsplit
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class KibanaConfig:
    url: str
    space: str = "default"
    api_key: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_cert: str | None = None
    verify_tls: bool = True
    timeout: float = 30.0  # seconds for each connect and each read of a socket
    retries: int = 3  # more attempts for idempotent calls on a lost connection, 429 or 5xx (not a read timeout)
    backoff: float = 0.5
    max_retry_after: float = 5.0  # a server's Retry-After is honoured up to this many seconds
    call_deadline: float = 60.0  # one call: its attempts, pauses and whole answer, however slowly it trickles
    deadline: float = 900.0  # every call of one client (one command) together
    max_answer_bytes: int = 512 * 2**20  # an answer larger than this is not Kibana's

    @classmethod
    def from_env(cls, url: str | None = None, space: str | None = None, api_key: str | None = None,
                 username: str | None = None, password: str | None = None, ca_cert: str | None = None,
                 insecure: bool = False, env: Mapping[str, str] | None = None, **kwargs: Any) -> "KibanaConfig":
        env = os.environ if env is None else env
        resolved = url or env.get("KIBANA_URL")
        if not resolved:
            raise ValueError("no Kibana URL: pass --kibana-url or set KIBANA_URL")
        check_url(resolved)
        if space is not None and not _SPACE_ID.fullmatch(space):
            raise ValueError(f"not a Kibana space id: {space!r} (lowercase letters, digits, '_' and '-', as Kibana "
                             "makes them; 'x/../default' would reach another space)")
        config = cls(
            url=resolved.strip().rstrip("/"),
            space=space or "default",
            api_key=api_key or env.get("ELASTIC_API_KEY") or None,
            username=username or env.get("ELASTIC_USERNAME") or None,
            password=password or env.get("ELASTIC_PASSWORD") or None,
            ca_cert=ca_cert or env.get("KIBANA_CA_CERT") or None,
            verify_tls=not insecure,
            **kwargs,
        )
        config.check_credentials()
        return config

    def check_credentials(self) -> None:
        """ValueError (never naming the secret) for an API key no Kibana could accept: not printable ASCII."""
        if self.api_key is not None and not _API_KEY.fullmatch(self.api_key):
            raise ValueError("the API key (--api-key or ELASTIC_API_KEY) has characters an API key never has "
                             "(non-ASCII, spaces or control characters): use the encoded key Kibana shows")

    @property
    def display_url(self) -> str:
        """The URL without any user:password@ part, for messages."""
        return shown_url(self.url, mark="")

    def secrets(self) -> list[str]:
        found = [s for s in (self.api_key, self.password) if s]
        userinfo = urlsplit(self.url).netloc.rpartition("@")[0]
        if userinfo:
            found += [userinfo, unquote(userinfo)]
            user, colon, password = userinfo.partition(":")
            if colon:  # the password alone, and the Authorization header requests makes of the URL's userinfo
                found += [password, unquote(password), base64.b64encode(unquote(userinfo).encode()).decode()]
        if self.username and self.password:  # the Authorization header a server might echo
            found.append(base64.b64encode(f"{self.username}:{self.password}".encode()).decode())
        return sorted({s for s in found if s}, key=len, reverse=True)  # longest first: no half-redacted secret

    def redact(self, text: str) -> str:
        for secret in self.secrets():
            text = text.replace(secret, "***")
        return text


_SPACE_ID = re.compile(r"[a-z0-9_-]{1,1024}")  # Kibana's rule for space ids
_API_KEY = re.compile(r"[!-~]+")  # printable ASCII, no spaces: the encoded form (base64) Kibana shows
_SCHEME = re.compile(r"(?i)https?://")


def shown_url(text: str, mark: str = "***@") -> str:
    """A URL as it may be shown: anything up to its last '@' (a user, a password, however mangled the URL
    around them is) replaced by mark. Only http:// or https:// in front is kept."""
    head, at, tail = text.strip().rpartition("@")
    if not at:
        return text.strip()
    scheme = _SCHEME.match(head)
    return (scheme.group(0) if scheme else "") + mark + tail


def check_url(url: str) -> None:
    """ValueError, naming the URL only as shown_url shows it, unless url is http(s)://host[:port][/path]
    with user:password@ (if any) only in front of the host."""
    url = url.strip()
    shown = shown_url(url)
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc.rpartition("@")[2] or not parts.hostname:
        raise ValueError(f"the Kibana URL must look like https://host:5601, not {shown!r} "
                         "(is the http:// or https:// missing?)")
    if "@" in urlunsplit(("", "", parts.path, parts.query, parts.fragment)):
        raise ValueError(f"the Kibana URL {shown!r} has an '@' after the host: write user:password@ right after "
                         "https://, with '/', '?', '#' and '@' in them percent-encoded (%2F, %3F, %23, %40); "
                         "better, use ELASTIC_USERNAME and ELASTIC_PASSWORD")
    try:
        parts.port
    except ValueError:
        raise ValueError(f"the Kibana URL {shown!r} has a port that is not a number from 1 to 65535") from None
