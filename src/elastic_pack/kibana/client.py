"""A small client for Kibana's detection engine API. It knows HTTP, not rules.

Every call sends `elastic-api-version: 2023-10-31`; writes send `kbn-xsrf`. Spaces are addressed as
/s/<space>/api/... (none for the default space). Idempotent calls (GET, PUT, DELETE) are retried with
backoff on connection errors, 429 and 5xx; POSTs are not, and a re-run of the command converges instead.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import requests
import requests.auth

from .config import KibanaConfig
from .errors import (
    KibanaAuthError,
    KibanaError,
    KibanaForbidden,
    KibanaNotFound,
    KibanaServerError,
    KibanaSpaceNotFound,
    KibanaUnexpectedAnswer,
    KibanaUnreachable,
    KibanaValidationError,
)

API_VERSION = "2023-10-31"
FIND_PAGE = 10_000  # Kibana pages _find within Elasticsearch's result window (page * per_page <= 10,000)
RULES = "/api/detection_engine/rules"
_IDEMPOTENT = {"GET", "PUT", "DELETE", "HEAD"}
_RETRY_STATUS = {429, 500, 502, 503, 504}


class KibanaClient:
    def __init__(self, config: KibanaConfig, session: requests.Session | None = None, sleep=None):
        self.config = config
        self.session = session or requests.Session()
        self.session.verify = config.ca_cert or config.verify_tls
        self.session.trust_env = True  # proxies from the environment
        config.check_credentials()
        if config.api_key:
            self.session.headers["Authorization"] = f"ApiKey {config.api_key}"
        elif config.username:
            # as bytes: requests would encode str as Latin-1 (and fail beyond it); Kibana decodes UTF-8
            self.session.auth = requests.auth.HTTPBasicAuth(config.username.encode("utf-8"),
                                                            (config.password or "").encode("utf-8"))
        self.session.headers["elastic-api-version"] = API_VERSION
        self._sleep_override = sleep
        self.requests_made = 0

    # -- plumbing ---------------------------------------------------------------------------------------

    def path(self, api_path: str, space: bool = True) -> str:
        if space and self.config.space != "default":
            return f"{self.config.url}/s/{self.config.space}{api_path}"
        return f"{self.config.url}{api_path}"

    def request(self, method: str, api_path: str, *, space: bool = True, params=None, json_body=None,
                files=None, expect_json: bool = True):
        url = self.path(api_path, space)
        headers = {"kbn-xsrf": "elastic-pack"} if method != "GET" else {}
        attempts = self.config.retries + 1 if method in _IDEMPOTENT else 1
        for attempt in range(attempts):
            try:
                self.requests_made += 1
                response = self.session.request(method, url, params=params, json=json_body, files=files,
                                                headers=headers, timeout=self.config.timeout)
            except requests.exceptions.SSLError as exc:
                raise KibanaUnreachable(self._say(f"TLS error talking to {self.config.display_url}: {type(exc).__name__}"
                                                  " (use --ca-cert, or --insecure for a lab)")) from None
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                if attempt + 1 < attempts:
                    self._sleep(self.config.backoff * 2**attempt)
                    continue
                raise KibanaUnreachable(self._say(f"cannot reach Kibana at {self.config.display_url}: "
                                                  f"{type(exc).__name__}")) from None
            except requests.exceptions.RequestException as exc:  # an invalid URL, a bad header ...
                raise KibanaUnreachable(self._say(f"cannot send {method} {api_path} to {self.config.display_url}: "
                                                  f"{type(exc).__name__}")) from None
            if response.status_code in _RETRY_STATUS and attempt + 1 < attempts:
                self._sleep(self._retry_after(response, attempt))
                continue
            return self._result(response, method, api_path, expect_json)
        raise AssertionError("unreachable")

    def _sleep(self, seconds: float) -> None:
        (self._sleep_override or time.sleep)(seconds)

    def _retry_after(self, response, attempt: int) -> float:
        header = response.headers.get("Retry-After", "")
        return float(header) if header.isdigit() else self.config.backoff * 2**attempt

    def _say(self, text: str) -> str:
        return self.config.redact(text)

    def _redacted(self, content: bytes) -> bytes:
        """An answer without our secrets in it (a server or proxy echoing the Authorization header), as
        written or JSON-escaped: nothing Kibana sends can carry them into a message, a plan or a backup."""
        for secret in self.config.secrets():
            for form in {secret, json.dumps(secret)[1:-1]}:
                content = content.replace(form.encode("utf-8"), b"***")
        return content

    def _result(self, response, method: str, api_path: str, expect_json: bool):
        status = response.status_code
        raw = self._redacted(response.content)
        try:
            body = json.loads(raw) if expect_json or status >= 400 else raw.decode("utf-8", "replace")
        except ValueError:
            body = raw.decode("utf-8", "replace")
            if status < 400:
                kind = response.headers.get("Content-Type", "no content type").split(";")[0]
                raise KibanaUnexpectedAnswer(self._say(
                    f"{method} {api_path}: Kibana answered HTTP {status} with {kind}, not JSON: is "
                    f"{self.config.display_url} Kibana itself (not a login page or proxy)?"), status) from None
        if status < 400:
            return body
        message = body.get("message") if isinstance(body, dict) else str(body)[:300]
        where = f"{method} {api_path}"
        if status == 401:
            raise KibanaAuthError(self._say(f"Kibana refused the credentials ({where}): check ELASTIC_API_KEY or "
                                            "ELASTIC_USERNAME/ELASTIC_PASSWORD"), status, body)
        if status == 403:
            raise KibanaForbidden(self._say(f"not allowed: {where}: {message}"), status, body)
        if status == 404:
            if isinstance(message, str) and "space" in message.lower():
                raise KibanaSpaceNotFound(self._say(f"Kibana space {self.config.space!r} does not exist"), status, body)
            raise KibanaNotFound(self._say(f"not found: {where}: {message}"), status, body)
        if status == 400:
            raise KibanaValidationError(self._say(f"Kibana rejected {where}: {message}"), status, body)
        if status >= 500 or status == 429:
            raise KibanaServerError(self._say(f"Kibana failed on {where} (HTTP {status}): {message}"), status, body)
        raise KibanaError(self._say(f"{where}: HTTP {status}: {message}"), status, body)

    # -- the API -----------------------------------------------------------------------------------------

    def status(self) -> dict:
        return self.request("GET", "/api/status", space=False)

    def get_space(self) -> dict:
        try:
            return self.request("GET", f"/api/spaces/space/{self.config.space}", space=False)
        except KibanaNotFound as exc:
            raise KibanaSpaceNotFound(f"Kibana space {self.config.space!r} does not exist", 404) from exc

    def privileges(self) -> dict:
        return self.request("GET", "/api/detection_engine/privileges")

    def find_rules(self, filter: str | None = None, per_page: int = FIND_PAGE) -> Iterator[dict]:
        """Every rule matching the filter, page by page."""
        page = 1
        while True:
            params = {"page": page, "per_page": per_page, "sort_field": "name", "sort_order": "asc"}
            if filter:
                params["filter"] = filter
            body = self.request("GET", f"{RULES}/_find", params=params)
            data = self.expect_list(body, "data", f"GET {RULES}/_find")
            total = body.get("total")
            if not isinstance(total, int) or not all(isinstance(r, dict) and "rule_id" in r for r in data):
                raise KibanaUnexpectedAnswer(self._say(f"GET {RULES}/_find: the answer is not a page of rules"))
            yield from data
            if page * per_page >= total or not data:
                return
            page += 1

    def expect_list(self, body, key: str, where: str) -> list:
        """body[key] when the answer has the documented shape; KibanaUnexpectedAnswer otherwise."""
        value = body.get(key) if isinstance(body, dict) else None
        if not isinstance(value, list):
            raise KibanaUnexpectedAnswer(self._say(f"{where}: the answer has no {key!r} list"))
        return value

    def read_rule(self, rule_id: str) -> dict:
        return self.request("GET", RULES, params={"rule_id": rule_id})

    def create_rule(self, rule: dict) -> dict:
        return self.request("POST", RULES, json_body=rule)

    def update_rule(self, rule: dict) -> dict:
        return self.request("PUT", RULES, json_body=rule)

    def patch_rule(self, patch: dict) -> dict:
        return self.request("PATCH", RULES, json_body=patch)

    def delete_rule(self, rule_id: str) -> dict:
        return self.request("DELETE", RULES, params={"rule_id": rule_id})

    def import_rules(self, ndjson: str, overwrite: bool = True) -> dict:
        """POST _import. Kibana answers 200 even when rules failed: read `errors` in the result."""
        files = {"file": ("elastic-pack.ndjson", ndjson.encode("utf-8"), "application/ndjson")}
        params = {"overwrite": str(overwrite).lower(), "overwrite_exceptions": "false"}
        return self.request("POST", f"{RULES}/_import", params=params, files=files)

    def bulk_action(self, body: dict) -> dict:
        """POST _bulk_action. A partial failure is HTTP 500 with a normal result body: return that body."""
        try:
            return self.request("POST", f"{RULES}/_bulk_action", json_body=body)
        except KibanaServerError as exc:
            if isinstance(exc.body, dict) and "attributes" in exc.body:
                return exc.body
            raise

    # exception lists (the lists API, not the detection engine's)
    def read_exception_list(self, list_id: str) -> dict | None:
        try:
            return self.request("GET", "/api/exception_lists", params={"list_id": list_id, "namespace_type": "single"})
        except KibanaNotFound:
            return None

    def create_exception_list(self, body: dict) -> dict:
        return self.request("POST", "/api/exception_lists", json_body=body)

    def find_exception_items(self, list_id: str) -> list[dict]:
        items, page = [], 1
        while True:
            body = self.request("GET", "/api/exception_lists/items/_find",
                                params={"list_id": list_id, "namespace_type": "single", "page": page, "per_page": 100})
            data = self.expect_list(body, "data", "GET /api/exception_lists/items/_find")
            items += data
            if page * 100 >= int(body.get("total") or 0) or not data:
                return items
            page += 1

    def create_exception_item(self, body: dict) -> dict:
        return self.request("POST", "/api/exception_lists/items", json_body=body)

    def update_exception_item(self, body: dict) -> dict:
        return self.request("PUT", "/api/exception_lists/items", json_body=body)


def dumps_ndjson(objects: list[dict]) -> str:
    return "".join(json.dumps(o, sort_keys=True, separators=(",", ":")) + "\n" for o in objects)
