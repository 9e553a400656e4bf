"""Where Kibana is and how to log in: options first, then environment variables.

    KIBANA_URL                      e.g. https://kibana.example.com:5601
    ELASTIC_API_KEY                 an API key (the encoded form Kibana shows)
    ELASTIC_USERNAME / ELASTIC_PASSWORD   basic authentication, when no API key is given
    KIBANA_CA_CERT                  a CA bundle for Kibana's certificate
Proxies come from the usual HTTPS_PROXY / HTTP_PROXY / NO_PROXY variables.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit
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
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 0.5

    @classmethod
    def from_env(cls, url: str | None = None, space: str | None = None, api_key: str | None = None,
                 username: str | None = None, password: str | None = None, ca_cert: str | None = None,
                 insecure: bool = False, env: Mapping[str, str] | None = None, **kwargs: Any) -> "KibanaConfig":
        env = os.environ if env is None else env
        resolved = url or env.get("KIBANA_URL")
        if not resolved:
            raise ValueError("no Kibana URL: pass --kibana-url or set KIBANA_URL")
        parts = urlsplit(resolved.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            shown = urlunsplit(("", parts.netloc.rsplit("@", 1)[-1], parts.path, "", "")) or resolved[:1] + "..."
            raise ValueError(f"the Kibana URL must look like https://host:5601, not {shown!r} "
                             "(is the http:// or https:// missing?)")
        return cls(
            url=resolved.strip().rstrip("/"),
            space=space or "default",
            api_key=api_key or env.get("ELASTIC_API_KEY") or None,
            username=username or env.get("ELASTIC_USERNAME") or None,
            password=password or env.get("ELASTIC_PASSWORD") or None,
            ca_cert=ca_cert or env.get("KIBANA_CA_CERT") or None,
            verify_tls=not insecure,
            **kwargs,
        )

    @property
    def display_url(self) -> str:
        """The URL without any user:password@ part, for messages."""
        parts = urlsplit(self.url)
        host = parts.netloc.rsplit("@", 1)[-1]
        return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))

    def secrets(self) -> list[str]:
        found = [s for s in (self.api_key, self.password) if s]
        userinfo = urlsplit(self.url).netloc.rpartition("@")[0]
        if userinfo:
            found.append(userinfo)
        return found

    def redact(self, text: str) -> str:
        for secret in self.secrets():
            text = text.replace(secret, "***")
        return text
