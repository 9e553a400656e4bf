"""One CloudTrail record mapped to the ECS fields Elastic's AWS integration produces (its ingest pipeline,
for the fields the rules and guides use)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from functools import lru_cache

_CREATION = ("Create", "Put", "Add", "Register", "Import", "Run", "Start", "Attach", "Enable", "Verify")
_DELETION = ("Delete", "Remove", "Detach", "Disable", "Deregister", "Terminate", "Stop")
_CHANGE = ("Update", "Modify", "Set", "Change", "Replace", "Reset", "Associate", "Tag", "Untag")
_INFO = ("Get", "List", "Describe", "Lookup", "Search", "Check")


_IPV4 = re.compile(r"^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$")


def _ip(text: str) -> bool:
    if _IPV4.match(text):
        return True
    if ":" not in text:
        return False
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


@lru_cache(maxsize=4096)
def _event_type(action: str) -> tuple[str, ...]:
    for prefixes, kind in ((_CREATION, "creation"), (_DELETION, "deletion"), (_CHANGE, "change"), (_INFO, "info")):
        if action.startswith(prefixes):
            return (kind,)
    return ("info",)


_RECORD_FIELDS = (  # CloudTrail key -> ECS field, copied when present
    ("eventID", "event.id"), ("eventVersion", "aws.cloudtrail.event_version"),
    ("eventType", "aws.cloudtrail.event_type"), ("eventCategory", "aws.cloudtrail.event_category"),
    ("readOnly", "aws.cloudtrail.read_only"), ("requestID", "aws.cloudtrail.request_id"),
    ("recipientAccountId", "aws.cloudtrail.recipient_account_id"), ("errorCode", "aws.cloudtrail.error_code"),
    ("errorMessage", "aws.cloudtrail.error_message"), ("userAgent", "user_agent.original"),
    ("awsRegion", "cloud.region"), ("requestParameters", "aws.cloudtrail.flattened.request_parameters"),
    ("responseElements", "aws.cloudtrail.flattened.response_elements"),
)
_IDENTITY_FIELDS = (
    ("type", "aws.cloudtrail.user_identity.type"), ("arn", "aws.cloudtrail.user_identity.arn"),
    ("accessKeyId", "aws.cloudtrail.user_identity.access_key_id"),
    ("invokedBy", "aws.cloudtrail.user_identity.invoked_by"), ("principalId", "user.id"),
)
_ISSUER_FIELDS = (
    ("arn", "aws.cloudtrail.user_identity.session_context.session_issuer.arn"),
    ("type", "aws.cloudtrail.user_identity.session_context.session_issuer.type"),
    ("principalId", "aws.cloudtrail.user_identity.session_context.session_issuer.principal_id"),
    ("accountId", "aws.cloudtrail.user_identity.session_context.session_issuer.account_id"),
)


def java_string(value) -> str:
    """A JSON value as Java's toString writes it, as the integration's pipeline stores request_parameters:
    {enabled=false, name=x}."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={java_string(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(java_string(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


class EcsFields:
    """Which ECS fields to_ecs makes: all of them, or those a reader keeps (engine.reads.keeper): the
    backtest maps only what its rules read, skipping the work (and the dict entries) of the others."""

    def __init__(self, keeps: Callable[[str], bool] | None = None) -> None:
        def wanted(name: str) -> bool:
            return keeps is None or keeps(name)

        self.kind, self.provider, self.action, self.outcome, self.type, self.cloud = (wanted(n) for n in (
            "event.kind", "event.provider", "event.action", "event.outcome", "event.type", "cloud.provider"))
        self.record = tuple((key, name) for key, name in _RECORD_FIELDS if wanted(name))
        self.java = tuple((key, name) for key, name in _JAVA_FIELDS if wanted(name))
        self.identity = tuple((key, name) for key, name in _IDENTITY_FIELDS if wanted(name))
        self.issuer = tuple((key, name) for key, name in _ISSUER_FIELDS if wanted(name))
        self.account, self.user, self.category = (wanted(n) for n in ("cloud.account.id", "user.name",
                                                                      "event.category"))
        self.source = frozenset(name for name in ("source.ip", "source.address") if wanted(name))
        # the record's top-level keys these fields are made from (eventSource always: a record without it is
        # refused), for a reader that decodes only those
        keys = {"eventTime", "eventName", "eventSource", *(key for key, _ in self.record + self.java)}
        if self.outcome:
            keys.add("errorCode")
        if self.identity or self.issuer or self.account or self.user:
            keys.add("userIdentity")
        if self.account:
            keys.add("recipientAccountId")
        if self.source:
            keys.add("sourceIPAddress")
        self.keys = tuple(sorted(keys))


_JAVA_FIELDS = (("requestParameters", "aws.cloudtrail.request_parameters"),
                ("responseElements", "aws.cloudtrail.response_elements"))


def to_ecs(record: dict, fields: EcsFields | None = None) -> dict:
    """One CloudTrail record -> flat ECS document (with `fields`, only those fields). Raises ValueError
    without eventTime or eventName."""
    make = _ALL if fields is None else fields
    event_time, action, provider = record.get("eventTime"), record.get("eventName"), record.get("eventSource")
    if event_time is None:
        raise ValueError("record without eventTime")
    if not isinstance(action, str) or not isinstance(provider, str):
        raise ValueError("record without eventName or eventSource")
    if not isinstance(event_time, str):
        raise ValueError(f"eventTime is not a date string: {str(event_time)[:40]!r}")
    doc: dict[str, object] = {"@timestamp": event_time, "event.dataset": "aws.cloudtrail"}  # always (as stubs)
    if make.kind:
        doc["event.kind"] = "event"
    if make.provider:
        doc["event.provider"] = provider
    if make.action:
        doc["event.action"] = action
    if make.outcome:
        doc["event.outcome"] = "failure" if record.get("errorCode") else "success"
    if make.type:
        doc["event.type"] = list(_event_type(action))
    if make.cloud:
        doc["cloud.provider"] = "aws"
    for key, name in make.record:
        value = record.get(key)
        if value is not None and value != "":  # the integration's pipeline drops empty values
            doc[name] = value
    for key, name in make.java:
        if isinstance(record.get(key), dict):
            doc[name] = java_string(record[key])
    identity = record.get("userIdentity")
    identity = identity if isinstance(identity, dict) else {}
    for key, name in make.identity:
        value = identity.get(key)
        if value is not None and value != "":
            doc[name] = value
    context = identity.get("sessionContext")
    issuer = context.get("sessionIssuer") if isinstance(context, dict) else None
    issuer = issuer if isinstance(issuer, dict) else None
    if issuer:
        for key, name in make.issuer:
            value = issuer.get(key)
            if value is not None and value != "":
                doc[name] = value
    if make.account:
        account = record.get("recipientAccountId") or identity.get("accountId")
        if account:
            doc["cloud.account.id"] = account
    if make.user:
        user = identity.get("userName") or (issuer or {}).get("userName")
        if user:
            doc["user.name"] = user
    if make.category and not action.startswith(_INFO):
        doc["event.category"] = ["configuration"]
    source = record.get("sourceIPAddress") if make.source else None
    if source:
        name = "source.ip" if _ip(source) else "source.address"
        if name in make.source:
            doc[name] = source
    return doc


_ALL = EcsFields()
