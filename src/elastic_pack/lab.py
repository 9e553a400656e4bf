"""A lab on a real cluster: scenario events written into Elasticsearch, shifted to now, so a user can watch
the rules fire (and the integration tests can compare the stack with the local engine)."""

from __future__ import annotations

import math
import os
from datetime import datetime, timedelta, timezone

from .content.scenarios import Scenario, shift

DATA_STREAM = "logs-{dataset}-{namespace}"


def stream_for(document: dict, namespace: str) -> str:
    """The data stream an integration would write this event to (CloudTrail unless it says otherwise)."""
    return DATA_STREAM.format(dataset=document.get("event.dataset", "aws.cloudtrail"), namespace=namespace)


def schedule_for(rule, first: float, last: float) -> tuple[float, int]:
    """The local engine's runs for one rule over [first, last]: (last run time, number of runs)."""
    interval = rule.spec.interval
    runs = max(1, math.ceil((last - first) / interval - 1e-9)) + 1
    return first + (runs - 1) * interval, runs


def preview_request(payload: dict, rule, first: float, last: float) -> dict:
    """The body of Kibana's rule preview API that runs a built rule over [first, last] on the local engine's
    schedule: as many runs as the range needs, the last one at `timeframeEnd`."""
    last_run, runs = schedule_for(rule, first, last)
    body = {k: v for k, v in payload.items() if k not in ("exceptions_list", "version", "required_fields")}
    end = datetime.fromtimestamp(last_run, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {**body, "invocationCount": runs, "timeframeEnd": end}


def shifted_documents(scenario: Scenario, rules, now: datetime | None = None) -> list[dict]:
    """The scenario's events moved so that every rule's last scheduled run lies a minute before now."""
    now = now or datetime.now(timezone.utc)
    docs = scenario.documents()
    stamps = [datetime.fromisoformat(d["@timestamp"].replace("Z", "+00:00")).timestamp() for d in docs]
    first, last = min(stamps), max(stamps)
    latest_run = max(schedule_for(rule, first, last)[0] for rule in rules)
    delta = timedelta(seconds=(now.timestamp() - 60) - latest_run)
    # whole milliseconds keep @timestamp exact in Elasticsearch
    delta = timedelta(milliseconds=math.floor(delta.total_seconds() * 1000))
    return shift(docs, delta)


def elasticsearch_client(url: str | None = None):
    try:
        from elasticsearch import Elasticsearch
    except ImportError:
        raise RuntimeError("seed needs the Elasticsearch client: pip install 'elastic-pack[lab]'") from None

    url = url or os.environ.get("ELASTICSEARCH_URL")
    if not url:
        raise ValueError("no Elasticsearch URL: pass --es-url or set ELASTICSEARCH_URL")
    api_key = os.environ.get("ELASTIC_API_KEY")
    if api_key:
        return Elasticsearch(url, api_key=api_key)
    user, password = os.environ.get("ELASTIC_USERNAME"), os.environ.get("ELASTIC_PASSWORD", "")
    return Elasticsearch(url, basic_auth=(user, password) if user else None)


def seed(es, documents: list[dict], namespace: str = "default") -> tuple[str, int]:
    """Write the documents into their data streams in that namespace; returns (streams, count)."""
    from elasticsearch.helpers import bulk

    actions = [{"_op_type": "create", "_index": stream_for(doc, namespace), "_source": doc} for doc in documents]
    count, _ = bulk(es, actions, refresh="wait_for")
    return ", ".join(sorted({str(a["_index"]) for a in actions})), count
