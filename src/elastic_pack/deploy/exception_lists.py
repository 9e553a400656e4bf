"""The pack's exception lists in a space: what is missing or differs (for the plan) and writing it.

Lists and items are created or updated, never deleted: items analysts added to a pack list stay.
"""

from __future__ import annotations

from typing import Any

from ..kibana import KibanaClient, KibanaUnexpectedAnswer

_LIST_CREATE_FIELDS = ("list_id", "name", "description", "type", "namespace_type", "os_types", "tags")


def sync_exception_lists(client: KibanaClient, objects: list[dict], result: Any) -> dict[str, str]:
    """Create the pack's lists and items that are missing and update items that differ; never delete.
    Returns each list's object id in the space (Kibana assigns it), for the rules' references."""
    lists = [o for o in objects if "item_id" not in o]
    items = [o for o in objects if "item_id" in o]
    ids = {}
    for lst in lists:
        current = client.read_exception_list(lst["list_id"])
        if current is None:
            current = client.create_exception_list({k: lst[k] for k in _LIST_CREATE_FIELDS if k in lst})
            result.lists_created.append(lst["list_id"])
        if not isinstance(current, dict) or not isinstance(current.get("id"), str):
            raise KibanaUnexpectedAnswer(f"exception list {lst['list_id']}: Kibana's answer gives the list no id")
        ids[lst["list_id"]] = current["id"]
    remote_items = {}
    for list_id in sorted({i["list_id"] for i in items}):
        remote_items.update({i["item_id"]: i for i in client.find_exception_items(list_id)})
    for item in items:
        current = remote_items.get(item["item_id"])
        if current is None:
            client.create_exception_item(item)
            result.items_written.append(item["item_id"])
        elif current.get("entries") != item["entries"] or current.get("name") != item["name"]:
            body = {k: v for k, v in item.items() if k != "list_id"}
            client.update_exception_item(body)
            result.items_written.append(item["item_id"])
    return ids


def exception_drift(client: KibanaClient, objects: list[dict]) -> list[str]:
    """What syncing the pack's exception lists would create or update (nothing is written)."""
    changes = []
    for lst in (o for o in objects if "item_id" not in o):
        if client.read_exception_list(lst["list_id"]) is None:
            changes.append(f"create exception list {lst['list_id']}")
            changes += [f"create exception item {o['item_id']}" for o in objects if o.get("list_id") == lst["list_id"]
                        and "item_id" in o]
            continue
        remote = {i["item_id"]: i for i in client.find_exception_items(lst["list_id"])}
        for item in (o for o in objects if "item_id" in o and o["list_id"] == lst["list_id"]):
            current = remote.get(item["item_id"])
            if current is None:
                changes.append(f"create exception item {item['item_id']}")
            elif current.get("entries") != item["entries"] or current.get("name") != item["name"]:
                changes.append(f"update exception item {item['item_id']}")
    return changes
