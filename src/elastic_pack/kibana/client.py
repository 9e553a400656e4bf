"""A small client for Kibana's detection engine API. It knows HTTP, not rules.

Every call sends `elastic-api-version: 2023-10-31`; writes send `kbn-xsrf`. Spaces are addressed as
/s/<space>/api/... (none for the default space). Idempotent calls (GET, PUT, DELETE) are retried with
backoff on connection errors, 429 and 5xx; POSTs are not, and a re-run of the command converges instead.

Nothing a server does makes a call last for ever (KibanaConfig's limits): a Retry-After is honoured up to
a few seconds, a read timeout is not retried, one call (attempts, pauses and the whole answer, however slowly
it arrives) has a deadline and all calls of one client (one command) together have another. Paging stops
at the total the first page gave, inside Kibana's result window.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

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
FIND_WINDOW = 10_000
RULES = "/api/detection_engine/rules"
_IDEMPOTENT = {"GET", "PUT", "DELETE", "HEAD"}
_RETRY_STATUS = {429, 500, 502, 503, 504}
_CHUNK = 64 * 1024
_SHORTEST_REDACTED = 6  # secrets this long or longer are taken out of every answer (messages: all of them)


def _no_auth(request):
    return request


class _TooLarge(Exception):
    pass


def _shut(response) -> None:
    """Wake a thread blocked reading this answer: shut its socket down (closing from here would not)."""
    sock = getattr(getattr(getattr(response, "raw", None), "_connection", None), "sock", None)
    try:
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class KibanaClient:
    def __init__(self, config: KibanaConfig, session: requests.Session | None = None, sleep=None):
        self.config = config
        self.session = session or requests.Session()
        self.session.verify = config.ca_cert or config.verify_tls
        self.session.trust_env = True  # proxies from the environment
        config.check_credentials()
        userinfo = urlsplit(config.url).netloc.rpartition("@")[0]
        self._base = config.display_url  # requests go without user:password@, which becomes basic auth below
        if config.api_key:
            self.session.headers["Authorization"] = f"ApiKey {config.api_key}"
            self.session.auth = _no_auth  # else requests would replace the key with the URL's user:password
        elif config.username or userinfo:
            if config.username:
                user, password = config.username, config.password or ""
            else:  # user:password@ in the URL, percent-decoded as requests would
                user, _, password = (unquote(part) for part in userinfo.partition(":"))
            # as bytes: requests would encode str as Latin-1 (and fail beyond it); Kibana decodes UTF-8
            self.session.auth = requests.auth.HTTPBasicAuth(user.encode("utf-8"), password.encode("utf-8"))
        self.session.headers["elastic-api-version"] = API_VERSION
        self._sleep_override = sleep
        self.requests_made = 0
        self._command_until = time.monotonic() + config.deadline  # every call of this client together

    # -- plumbing ---------------------------------------------------------------------------------------

    def path(self, api_path: str, space: bool = True) -> str:
        if space and self.config.space != "default":
            return f"{self._base}/s/{self.config.space}{api_path}"
        return f"{self._base}{api_path}"

    def request(self, method: str, api_path: str, *, space: bool = True, params=None, json_body=None,
                files=None, expect_json: bool = True):
        url = self.path(api_path, space)
        headers = {"kbn-xsrf": "elastic-pack"} if method != "GET" else {}
        attempts = self.config.retries + 1 if method in _IDEMPOTENT else 1
        until = min(time.monotonic() + self.config.call_deadline, self._command_until)
        for attempt in range(attempts):
            left = until - time.monotonic()
            if left <= 0:
                raise self._too_slow(method, api_path, until)
            try:
                self.requests_made += 1
                response, content = self._send(method, url, until, params=params, json=json_body, files=files,
                                               headers=headers, timeout=min(self.config.timeout, left))
            except requests.exceptions.SSLError as exc:
                raise KibanaUnreachable(self._say(f"TLS error talking to {self.config.display_url}: {type(exc).__name__}"
                                                  " (use --ca-cert, or --insecure for a lab)")) from None
            except requests.exceptions.ReadTimeout:  # Kibana is there but slow: asking again only adds load
                raise KibanaUnreachable(self._say(f"Kibana at {self.config.display_url} did not answer {method} "
                                                  f"{api_path} within {min(self.config.timeout, left):g} s")) from None
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                    requests.exceptions.ChunkedEncodingError) as exc:
                pause = self.config.backoff * 2**attempt
                if attempt + 1 < attempts and time.monotonic() + pause < until:
                    self._sleep(pause)
                    continue
                raise KibanaUnreachable(self._say(f"cannot reach Kibana at {self.config.display_url}: "
                                                  f"{type(exc).__name__}")) from None
            except requests.exceptions.RequestException as exc:  # an invalid URL, a bad header ...
                raise KibanaUnreachable(self._say(f"cannot send {method} {api_path} to {self.config.display_url}: "
                                                  f"{type(exc).__name__}")) from None
            if response.status_code in _RETRY_STATUS and attempt + 1 < attempts:
                pause = self._retry_after(response, attempt)
                if time.monotonic() + pause < until:
                    self._sleep(pause)
                    continue
            return self._result(response, content, method, api_path, expect_json)
        raise AssertionError("unreachable")

    def _send(self, method: str, url: str, until: float, **kwargs) -> tuple[requests.Response, bytes]:
        """One HTTP exchange, its answer read whole, by `until` (time.monotonic()), else KibanaUnreachable. A
        socket timeout bounds each read, not a server that sends one byte every few seconds: the exchange runs
        in a daemon thread that is given up (its connection shut) at the deadline."""
        box: dict[str, Any] = {}
        done, given_up = threading.Event(), threading.Event()

        def exchange() -> None:
            try:
                response = box["response"] = self.session.request(method, url, stream=True, **kwargs)
                try:
                    chunks, size = [], 0
                    for chunk in response.iter_content(_CHUNK):
                        if given_up.is_set():
                            return
                        size += len(chunk)
                        if size > self.config.max_answer_bytes:
                            raise _TooLarge(size)
                        chunks.append(chunk)
                    box["result"] = (response, b"".join(chunks))
                finally:
                    response.close()
            except BaseException as exc:  # noqa: BLE001  (handed to the caller's thread as it is)
                box["error"] = exc
            finally:
                done.set()

        threading.Thread(target=exchange, name="kibana-request", daemon=True).start()
        if not done.wait(max(0.0, until - time.monotonic())):
            given_up.set()
            _shut(box.get("response"))
            raise self._too_slow(method, self._api_path_of(url), until)
        if "error" in box:
            error = box["error"]
            if isinstance(error, _TooLarge):
                raise KibanaUnexpectedAnswer(self._say(
                    f"{method} {self._api_path_of(url)}: the answer is larger than "
                    f"{self.config.max_answer_bytes // 2**20} MB; is {self.config.display_url} Kibana?")) from None
            raise error
        return box["result"]

    def _api_path_of(self, url: str) -> str:
        return url[len(self._base):] or "/"

    def _too_slow(self, method: str, api_path: str, until: float) -> KibanaUnreachable:
        whole = until >= self._command_until
        limit = self.config.deadline if whole else self.config.call_deadline
        scope = "this command allows for all its calls" if whole else "one call may take"
        return KibanaUnreachable(self._say(
            f"Kibana at {self.config.display_url} did not finish {method} {api_path} in time ({limit:g} s, what "
            f"{scope}, retries included)"))

    def _sleep(self, seconds: float) -> None:
        (self._sleep_override or time.sleep)(seconds)

    def _retry_after(self, response, attempt: int) -> float:
        """The server's Retry-After in seconds, capped at max_retry_after; else exponential backoff."""
        header = response.headers.get("Retry-After", "").strip()
        wanted = float(header) if header.isdigit() else self.config.backoff * 2**attempt
        return min(wanted, self.config.max_retry_after)

    def _say(self, text: str) -> str:
        return self.config.redact(text)

    def _redacted(self, content: bytes) -> bytes:
        """An answer without our secrets in it (a server or proxy echoing the Authorization header), as
        written or JSON-escaped: nothing Kibana sends can carry them into a message, a plan or a backup."""
        for secret in self.config.secrets():
            if len(secret) < _SHORTEST_REDACTED:  # "a" or "12" in every answer would break its JSON, not hide much
                continue
            for form in {secret, json.dumps(secret)[1:-1]}:
                content = content.replace(form.encode("utf-8"), b"***")
        return content

    def _result(self, response, content: bytes, method: str, api_path: str, expect_json: bool):
        status = response.status_code
        raw = self._redacted(content)
        try:
            body = json.loads(raw) if expect_json or status >= 400 else raw.decode("utf-8", "replace")
        except (ValueError, RecursionError):  # RecursionError: JSON nested thousands of levels deep
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
        """Every rule matching the filter, page by page, up to the total the first page gave."""
        params = {"sort_field": "name", "sort_order": "asc", **({"filter": filter} if filter else {})}
        return self._find(f"{RULES}/_find", params, per_page, "rules",
                          lambda r: isinstance(r.get("rule_id"), str) and isinstance(r.get("id"), str),
                          "a page of rules (a rule without a rule_id or id)")

    def _find(self, api_path: str, params: dict, per_page: int, what: str,
              valid: Callable[[dict], bool], not_a_page: str) -> Iterator[dict]:
        """Every object a _find API gives, page by page, up to the total the first page gave; each checked by
        `valid` (else KibanaUnexpectedAnswer: the answer is not `not_a_page`)."""
        where = f"GET {api_path}"
        pages = None
        page = 1
        while pages is None or page <= pages:
            body = self.request("GET", api_path, params={**params, "page": page, "per_page": per_page})
            data = self.expect_list(body, "data", where)
            if not all(isinstance(d, dict) and valid(d) for d in data):
                raise KibanaUnexpectedAnswer(self._say(f"{where}: the answer is not {not_a_page}"))
            if pages is None:
                pages = self._page_count(body, per_page, where, what)
            yield from data[:per_page]
            if len(data) < per_page:
                return
            page += 1

    def _page_count(self, body: dict, per_page: int, where: str, what: str) -> int:
        """How many pages the first page's total means, inside Kibana's result window (page * per_page may
        not pass 10,000): an answer claiming more fails here, before a command acts on part of the space."""
        total = body.get("total")
        if isinstance(total, bool) or not isinstance(total, int) or total < 0:
            raise KibanaUnexpectedAnswer(self._say(f"{where}: the answer has no total count"))
        if total > FIND_WINDOW:
            raise KibanaUnexpectedAnswer(self._say(
                f"{where}: Kibana reports {total:,} {what}; a search returns at most {FIND_WINDOW:,}, so "
                f"elastic-pack cannot see them all"))
        return max(1, -(-total // per_page))

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

    def find_exception_items(self, list_id: str, per_page: int = 100) -> list[dict]:
        return list(self._find("/api/exception_lists/items/_find", {"list_id": list_id, "namespace_type": "single"},
                               per_page, f"items in list {list_id}",
                               lambda i: isinstance(i.get("item_id"), str),
                               "a page of exception items (an item without an item_id)"))

    def create_exception_item(self, body: dict) -> dict:
        return self.request("POST", "/api/exception_lists/items", json_body=body)

    def update_exception_item(self, body: dict) -> dict:
        return self.request("PUT", "/api/exception_lists/items", json_body=body)


def dumps_ndjson(objects: list[dict]) -> str:
    return "".join(json.dumps(o, sort_keys=True, separators=(",", ":")) + "\n" for o in objects)
