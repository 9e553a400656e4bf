"""An in-process stand-in for the parts of Kibana's detection engine API that elastic-pack uses.

Mounted on a requests.Session (like httpx's MockTransport), it
- checks every rule body and query string against Kibana's OpenAPI schemas when given them
  (elastic_pack.openapi.KibanaOpenApi) and answers 400 where Kibana would;
- demands `elastic-api-version` on every call and `kbn-xsrf` on writes, and checks credentials;
- fills in server-managed fields (id, revision, created_at, ...) and defaults as Kibana does;
- answers `_import` with 200 and per-rule errors, and a partial `_bulk_action` failure with HTTP 500;
- injects faults: status codes, dropped connections and latency, for chosen requests.
"""

from __future__ import annotations

import copy
import io
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter

from ..kql import compile_kql, parse_kql

SERVER_FIELDS = ("id", "created_at", "updated_at", "created_by", "updated_by", "revision", "immutable",
                 "rule_source", "execution_summary")
DEFAULTS = {
    "enabled": False, "interval": "5m", "from": "now-6m", "to": "now", "max_signals": 100, "version": 1,
    "tags": [], "author": [], "false_positives": [], "references": [], "threat": [], "actions": [],
    "exceptions_list": [], "risk_score_mapping": [], "severity_mapping": [], "related_integrations": [],
    "required_fields": [], "setup": "", "output_index": "",
}
_FIND_FIELDS = {"alert.attributes.tags": "tags", "alert.attributes.name": "name",
                "alert.attributes.enabled": "enabled", "alert.attributes.params.ruleId": "rule_id",
                "alert.attributes.params.immutable": "immutable"}


class StandInKilled(BaseException):
    """The deploying process dies at this request (not an error it could catch): for crash tests."""


class RawAnswer(str):
    """A body sent as it is, not as JSON (an HTML login page from an SSO proxy)."""


@dataclass
class Fault:
    method: str
    path_part: str
    status: int | None = None  # None with drop=True: a dropped connection
    drop: bool = False
    times: int = 1
    body: dict | None = None
    after: int = 0  # let this many matching requests through first


@dataclass
class Space:
    rules: dict[str, dict] = field(default_factory=dict)  # object id -> rule
    lists: dict[str, dict] = field(default_factory=dict)  # list_id -> list
    items: dict[str, dict] = field(default_factory=dict)  # item_id -> item


class StandInKibana:
    def __init__(self, url: str = "http://kibana.test:5601", openapi=None, api_key: str | None = "test-api-key",
                 username: str | None = None, password: str | None = None, version: str = "9.2.0",
                 latency: float = 0.0):
        self.url = url.rstrip("/")
        self.openapi = openapi
        self.api_key, self.username, self.password = api_key, username, password
        self.version = version
        self.latency = latency
        self.spaces: dict[str, Space] = {"default": Space()}
        self.faults: list[Fault] = []
        # (n, what) for the n-th write request: "kill-before" / "kill-after" (the client dies before it is
        # sent or after Kibana applied it), a status code (500, 429) or "drop" (connection lost)
        self.break_write: tuple[int, object] | None = None
        self.writes = 0
        self.log: list[tuple[str, str]] = []
        self.rejections: list[str] = []

    # -- wiring ------------------------------------------------------------------------------------------

    def session(self) -> requests.Session:
        session = requests.Session()
        session.mount(self.url, _Adapter(self))
        return session

    def add_space(self, name: str) -> Space:
        return self.spaces.setdefault(name, Space())

    def fail(self, method: str, path_part: str, status: int = 500, times: int = 1, after: int = 0, body=None):
        self.faults.append(Fault(method, path_part, status=status, times=times, after=after, body=body))

    def drop(self, method: str, path_part: str, times: int = 1, after: int = 0):
        self.faults.append(Fault(method, path_part, drop=True, times=times, after=after))

    def rules(self, space: str = "default") -> list[dict]:
        return list(self.spaces[space].rules.values())

    def rule(self, rule_id: str, space: str = "default") -> dict | None:
        return next((r for r in self.spaces[space].rules.values() if r["rule_id"] == rule_id), None)

    # -- request handling --------------------------------------------------------------------------------

    def handle(self, request: requests.PreparedRequest) -> tuple[int, object]:
        if (request.method or "GET").upper() == "GET" or self.break_write is None:
            return self._handle(request)
        self.writes += 1
        number, what = self.break_write
        if self.writes != number:
            return self._handle(request)
        if what == "kill-before":
            raise StandInKilled(f"killed before write request {number}")
        if what == "drop":
            raise requests.exceptions.ConnectionError("connection dropped by the stand-in")
        if isinstance(what, int):
            return what, {"statusCode": what, "message": "injected fault"}
        self._handle(request)
        raise StandInKilled(f"killed after write request {number} reached Kibana")

    def _handle(self, request: requests.PreparedRequest) -> tuple[int, object]:
        if self.latency:
            time.sleep(self.latency)
        parts = urlsplit(str(request.url))
        path: str = parts.path
        query = {k: v if len(v) > 1 else v[0] for k, v in parse_qs(parts.query).items()}
        method = (request.method or "GET").upper()
        self.log.append((method, path))
        fault = self._fault(method, path)
        if fault is not None:
            if fault.drop:
                raise requests.exceptions.ConnectionError("connection dropped by the stand-in")
            status = fault.status or 500
            return status, fault.body or {"statusCode": status, "message": "injected fault"}
        if not self._authorised(request):
            return 401, {"statusCode": 401, "error": "Unauthorized", "message": "Unauthorized"}
        space_name = "default"
        match = re.match(r"^/s/([^/]+)(/.*)$", path)
        if match:
            space_name, path = match.group(1), match.group(2)
        if path == "/api/status":
            return 200, {"version": {"number": self.version}, "status": {"overall": {"level": "available"}}}
        if path.startswith("/api/spaces/space/"):
            name = path.rsplit("/", 1)[1]
            if name in self.spaces:
                return 200, {"id": name, "name": name}
            return 404, {"statusCode": 404, "error": "Not Found", "message": "Not Found"}
        if space_name not in self.spaces:
            return 404, {"statusCode": 404, "error": "Not Found", "message": f"space [{space_name}] not found"}
        if request.headers.get("elastic-api-version") != "2023-10-31":
            return self._reject(400, "missing or wrong elastic-api-version header")
        if method != "GET" and "kbn-xsrf" not in request.headers:
            return self._reject(400, 'Request must contain a kbn-xsrf header.')
        space = self.spaces[space_name]
        route = {
            ("GET", "/api/detection_engine/privileges"): self._privileges,
            ("GET", "/api/detection_engine/rules/_find"): self._find,
            ("GET", "/api/detection_engine/rules"): self._read,
            ("POST", "/api/detection_engine/rules"): self._create,
            ("PUT", "/api/detection_engine/rules"): self._update,
            ("PATCH", "/api/detection_engine/rules"): self._patch,
            ("DELETE", "/api/detection_engine/rules"): self._delete,
            ("POST", "/api/detection_engine/rules/_import"): self._import,
            ("POST", "/api/detection_engine/rules/_bulk_action"): self._bulk,
            ("GET", "/api/exception_lists"): self._read_list,
            ("POST", "/api/exception_lists"): self._create_list,
            ("GET", "/api/exception_lists/items/_find"): self._find_items,
            ("POST", "/api/exception_lists/items"): self._create_item,
            ("PUT", "/api/exception_lists/items"): self._update_item,
        }.get((method, path))
        if route is None:
            return 404, {"statusCode": 404, "error": "Not Found", "message": f"no route {method} {path}"}
        return route(space, query, request)

    def _fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.method == method and fault.path_part in path and fault.times > 0:
                if fault.after > 0:
                    fault.after -= 1
                    return None
                fault.times -= 1
                return fault
        return None

    def _authorised(self, request) -> bool:
        header = request.headers.get("Authorization", "")
        if self.api_key and header == f"ApiKey {self.api_key}":
            return True
        if self.username and header.startswith("Basic "):
            import base64

            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            return (user, password) == (self.username, self.password)
        return False

    def _reject(self, status: int, message: str):
        self.rejections.append(message)
        return status, {"statusCode": status, "error": "Bad Request", "message": message}

    # -- schema checks -----------------------------------------------------------------------------------

    def _schema_errors(self, component: str, body) -> list[str]:
        if self.openapi is None:
            return []
        from ..openapi import RULE_SCHEMAS

        return self.openapi.component_errors(RULE_SCHEMAS, component, body)

    def _rule_errors(self, body: dict, kind: str) -> list[str]:
        if not isinstance(body, dict):
            return ["body: not a JSON object"]
        rule_type = body.get("type")
        names = {"eql": "EqlRule", "query": "QueryRule", "threshold": "ThresholdRule", "new_terms": "NewTermsRule",
                 "esql": "EsqlRule", "saved_query": "SavedQueryRule", "threat_match": "ThreatMatchRule",
                 "machine_learning": "MachineLearningRule"}
        if rule_type not in names:
            return [f"type: invalid value {rule_type!r}"] if kind != "Patch" or rule_type is not None else []
        return self._schema_errors(f"{names[rule_type]}{kind}Props", body)

    def _check_query(self, route: str, query: dict) -> list[str]:
        errors = []
        for key in ("page", "per_page"):
            if key in query:
                if not str(query[key]).isdigit():
                    errors.append(f"{key}: expected an integer")
                elif key == "page" and int(query[key]) < 1:
                    errors.append("page: must be >= 1")
        if "sort_field" in query and query["sort_field"] not in (
                "created_at", "createdAt", "enabled", "execution_summary.last_execution.date",
                "execution_summary.last_execution.metrics.execution_gap_duration_s",
                "execution_summary.last_execution.metrics.total_indexing_duration_ms",
                "execution_summary.last_execution.metrics.total_search_duration_ms",
                "execution_summary.last_execution.status", "name", "risk_score", "riskScore", "severity",
                "updated_at", "updatedAt"):
            errors.append(f"sort_field: invalid value {query['sort_field']!r}")
        for key in ("overwrite", "overwrite_exceptions", "overwrite_action_connectors", "as_new_list", "dry_run"):
            if key in query and query[key] not in ("true", "false"):
                errors.append(f"{key}: expected a boolean")
        return errors

    # -- rules -------------------------------------------------------------------------------------------

    def _now(self) -> str:
        return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def _stored(self, body: dict, previous: dict | None = None) -> dict:
        rule = {**copy.deepcopy(DEFAULTS), **copy.deepcopy(body)}
        if rule.get("type") in ("threshold", "query", "new_terms") and "language" not in rule:
            rule["language"] = "kuery"
        if isinstance(rule.get("threshold", {}).get("field"), str):
            rule["threshold"]["field"] = [rule["threshold"]["field"]]
        rule["required_fields"] = [{**f, "ecs": f["name"].startswith(("event.", "source.", "cloud.", "@timestamp"))}
                                   for f in rule.get("required_fields", [])]
        now, user = self._now(), "elastic-pack-test"
        rule.update({
            "id": previous["id"] if previous else str(uuid.uuid4()),
            "rule_id": rule.get("rule_id") or str(uuid.uuid4()),
            "created_at": previous["created_at"] if previous else now,
            "created_by": previous["created_by"] if previous else user,
            "updated_at": now, "updated_by": user,
            "revision": previous["revision"] + 1 if previous else 0,
            "immutable": False, "rule_source": {"type": "internal"},
        })
        return rule

    def _by_rule_id(self, space: Space, rule_id: str) -> dict | None:
        return next((r for r in space.rules.values() if r["rule_id"] == rule_id), None)

    def _privileges(self, space, query, request):
        return 200, {"is_authenticated": True, "has_encryption_key": True,
                     "cluster": {"manage": True}, "index": {".alerts-security.alerts-default": {"read": True}}}

    def _find(self, space, query, request):
        errors = self._check_query("find", query)
        if errors:
            return self._reject(400, "; ".join(errors))
        rules = sorted(space.rules.values(), key=lambda r: (r["name"], r["id"]))
        if "filter" in query:
            try:
                predicate = compile_kql(parse_kql(query["filter"]))
            except ValueError as exc:
                return self._reject(400, f"filter: {exc}")
            rules = [r for r in rules if predicate({k: r.get(v) for k, v in _FIND_FIELDS.items()})]
        page, per_page = int(query.get("page", 1)), int(query.get("per_page", 20))
        data = rules[(page - 1) * per_page: page * per_page]
        return 200, {"page": page, "perPage": per_page, "total": len(rules), "data": copy.deepcopy(data)}

    def _read(self, space, query, request):
        rule = self._by_rule_id(space, query.get("rule_id", "")) or space.rules.get(query.get("id", ""))
        if rule is None:
            return 404, {"status_code": 404, "message": f"rule_id: \"{query.get('rule_id')}\" not found"}
        return 200, copy.deepcopy(rule)

    def _create(self, space, query, request):
        body = json.loads(request.body or b"{}")
        errors = self._rule_errors(body, "Create")
        if errors:
            return self._reject(400, "; ".join(errors))
        if body.get("rule_id") and self._by_rule_id(space, body["rule_id"]):
            return 409, {"status_code": 409, "message": f"rule_id: \"{body['rule_id']}\" already exists"}
        rule = self._stored(body)
        space.rules[rule["id"]] = rule
        return 200, copy.deepcopy(rule)

    def _update(self, space, query, request):
        body = json.loads(request.body or b"{}")
        errors = self._rule_errors(body, "Update")
        if errors:
            return self._reject(400, "; ".join(errors))
        previous = self._by_rule_id(space, body.get("rule_id", "")) or space.rules.get(body.get("id", ""))
        if previous is None:
            return 404, {"status_code": 404, "message": "rule not found"}
        rule = self._stored(body, previous)  # PUT resets every field it omits
        space.rules[rule["id"]] = rule
        return 200, copy.deepcopy(rule)

    def _patch(self, space, query, request):
        body = json.loads(request.body or b"{}")
        errors = self._rule_errors(body, "Patch") if "type" in body else []
        if errors:
            return self._reject(400, "; ".join(errors))
        previous = self._by_rule_id(space, body.get("rule_id", "")) or space.rules.get(body.get("id", ""))
        if previous is None:
            return 404, {"status_code": 404, "message": "rule not found"}
        if "type" in body and body["type"] != previous["type"]:
            return self._reject(400, "Cannot change an existing rule's type")
        merged = {k: v for k, v in {**previous, **body}.items() if k not in SERVER_FIELDS}
        rule = self._stored(merged, previous)
        space.rules[rule["id"]] = rule
        return 200, copy.deepcopy(rule)

    def _delete(self, space, query, request):
        rule = self._by_rule_id(space, query.get("rule_id", ""))
        if rule is None:
            return 404, {"status_code": 404, "message": "rule not found"}
        del space.rules[rule["id"]]
        return 200, rule

    def _import(self, space, query, request):
        errors = self._check_query("import", query)
        if errors:
            return self._reject(400, "; ".join(errors))
        overwrite = query.get("overwrite") == "true"
        lines = _multipart_file(request)
        if lines is None:
            return self._reject(400, "expected multipart/form-data with a file")
        result = {"success": True, "success_count": 0, "rules_count": 0, "errors": [], "exceptions_success": True,
                  "exceptions_success_count": 0, "exceptions_errors": [], "action_connectors_success": True,
                  "action_connectors_success_count": 0, "action_connectors_errors": [],
                  "action_connectors_warnings": []}
        for raw in lines:
            obj = json.loads(raw)
            if "item_id" in obj or ("list_id" in obj and "rule_id" not in obj):
                self._import_exception_object(space, obj, result)
                continue
            result["rules_count"] += 1
            rule_id = obj.get("rule_id")
            problems = self._rule_errors(obj, "Create")
            if not rule_id:
                problems.append("rule_id: Required")
            if problems:
                result["errors"].append({"rule_id": rule_id or "(unknown)", "error": {"status_code": 400,
                                         "message": "; ".join(problems)}})
                self.rejections.append("; ".join(problems))
                continue
            existing = self._by_rule_id(space, rule_id)
            if existing and not overwrite:
                result["errors"].append({"rule_id": rule_id, "error": {"status_code": 409,
                                         "message": f"rule_id: \"{rule_id}\" already exists"}})
                continue
            if existing and existing["type"] != obj.get("type"):
                # Kibana overwrites through its rules client's update, which keeps a rule's type
                result["errors"].append({"rule_id": rule_id, "error": {"status_code": 400, "message":
                                         f"cannot change the type of rule {rule_id} from {existing['type']} to "
                                         f"{obj.get('type')} by import"}})
                continue
            rule = self._stored(obj, existing)
            space.rules[rule["id"]] = rule
            result["success_count"] += 1
        result["success"] = not result["errors"]
        return 200, result

    def _import_exception_object(self, space, obj, result):
        if "item_id" in obj:
            if obj["item_id"] not in space.items:
                space.items[obj["item_id"]] = {**obj, "id": str(uuid.uuid4())}
        elif obj["list_id"] not in space.lists:
            space.lists[obj["list_id"]] = {**obj, "id": obj.get("id") or str(uuid.uuid4())}
        result["exceptions_success_count"] += 1

    def _bulk(self, space, query, request):
        body = json.loads(request.body or b"{}")
        if self.openapi is not None:
            errors = self.openapi.request_body_errors(
                "rule_management/bulk_actions/bulk_actions_route.schema.yaml", "/api/detection_engine/rules/_bulk_action",
                "post", body)
            if errors:
                return self._reject(400, "; ".join(errors))
        action, ids = body.get("action"), body.get("ids", [])
        if len(ids) > 10000:
            return self._reject(400, "More than 10000 ids sent for bulk edit action.")
        results = {"updated": [], "created": [], "deleted": [], "skipped": []}
        errors = []
        for object_id in ids:
            rule = space.rules.get(object_id)
            if rule is None:
                errors.append({"message": "Rule not found", "status_code": 404, "rules": [{"id": object_id}]})
                continue
            if action == "delete":
                results["deleted"].append(space.rules.pop(object_id))
            elif action in ("enable", "disable"):
                rule["enabled"] = action == "enable"
                results["updated"].append(rule)
        summary = {"failed": len(errors), "skipped": 0, "succeeded": len(ids) - len(errors), "total": len(ids)}
        payload = {"success": not errors, "rules_count": len(ids),
                   "attributes": {"results": copy.deepcopy(results), "summary": summary, "errors": errors}}
        if errors:
            payload.update({"status_code": 500, "message": "Bulk edit partially failed"})
            return 500, payload
        return 200, payload

    # -- exception lists ---------------------------------------------------------------------------------

    def _read_list(self, space, query, request):
        found = space.lists.get(query.get("list_id", ""))
        if found is None:
            return 404, {"status_code": 404, "message": "exception list not found"}
        return 200, found

    def _create_list(self, space, query, request):
        body = json.loads(request.body or b"{}")
        missing = [k for k in ("name", "description", "type") if k not in body]
        if missing:
            return self._reject(400, f"exception list: missing {missing}")
        if body.get("list_id") in space.lists:
            return 409, {"status_code": 409, "message": "exception list id already exists"}
        unknown = set(body) - {"list_id", "name", "description", "type", "namespace_type", "os_types", "tags", "meta",
                                 "version"}
        if unknown:
            return self._reject(400, f"exception list: unknown keys {sorted(unknown)}")
        created = {**body, "id": str(uuid.uuid4())}
        space.lists[body["list_id"]] = created
        return 200, created

    def _find_items(self, space, query, request):
        items = [i for i in space.items.values() if i["list_id"] == query.get("list_id")]
        if query.get("list_id") not in space.lists:
            return 404, {"status_code": 404, "message": "exception list not found"}
        return 200, {"data": items, "page": 1, "per_page": 100, "total": len(items)}

    def _create_item(self, space, query, request):
        body = json.loads(request.body or b"{}")
        missing = [k for k in ("list_id", "item_id", "name", "description", "type", "entries") if k not in body]
        if missing or not body.get("entries"):
            return self._reject(400, f"exception item: missing {missing or ['entries']}")
        if body["list_id"] not in space.lists:
            return 404, {"status_code": 404, "message": "exception list not found"}
        created = {**body, "id": str(uuid.uuid4())}
        space.items[body["item_id"]] = created
        return 200, created

    def _update_item(self, space, query, request):
        body = json.loads(request.body or b"{}")
        if body.get("item_id") not in space.items:
            return 404, {"status_code": 404, "message": "exception item not found"}
        space.items[body["item_id"]] = {**space.items[body["item_id"]], **body}
        return 200, space.items[body["item_id"]]


def _multipart_file(request) -> list[str] | None:
    content_type = request.headers.get("Content-Type", "")
    if "multipart/form-data" not in content_type:
        return None
    body = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            payload = part.get_payload(decode=True)
            text = payload.decode("utf-8") if isinstance(payload, bytes) else str(payload)
            return [line for line in text.splitlines() if line.strip()]
    return None


class _Adapter(BaseAdapter):
    def __init__(self, kibana: StandInKibana):
        super().__init__()
        self.kibana = kibana

    def send(self, request, **kwargs):
        status, body = self.kibana.handle(request)
        response = requests.Response()
        response.status_code = status
        if isinstance(body, RawAnswer):
            response.raw = io.BytesIO(body.encode())  # read as a socket would be, streamed or not
            response.headers["Content-Type"] = "text/html; charset=utf-8"
        else:
            response.raw = io.BytesIO(json.dumps(body).encode())
            response.headers["Content-Type"] = "application/json"
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass
