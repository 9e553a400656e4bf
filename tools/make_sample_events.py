"""Regenerates examples/sample-events.ndjson, the events the README's tour runs on, from the pack's scenarios.

    python tools/make_sample_events.py

An attack that fires three rules (SES enabled, then a burst of sending), a newsletter sender one send under
the SES threshold (`elastic-pack explain` shows the 100 of 101), and a proxyware container on a host.
"""

from __future__ import annotations

import json
from pathlib import Path

from elastic_pack.scenario_run import load_pack_and_scenarios

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "examples" / "sample-events.ndjson"
NEWSLETTER = "arn:aws:iam::123456789012:user/newsletter-sender"


def _renamed(document: dict, arn: str) -> dict:
    text = json.dumps(document).replace("arn:aws:iam::123456789012:user/compromised-user", arn)
    return json.loads(text.replace('"compromised-user"', '"newsletter-sender"'))


def _shifted(document: dict, hours: int) -> dict:
    """The same event `hours` later (only the day's hours change: every scenario starts at 09:00)."""
    text = json.dumps(document)
    for hour in range(9, 23 - hours + 1):
        text = text.replace(f"T{hour:02d}:", f"T@{hour + hours:02d}:")
    return json.loads(text.replace("T@", "T"))


def main() -> None:
    _, scenarios = load_pack_and_scenarios(ROOT / "content")
    by_name = {s.name: s for s in scenarios}
    documents = list(by_name["attack_ses_dangerdev"].documents())
    documents += [_shifted(_renamed(d, NEWSLETTER), 3) for d in by_name["edge_ses_exactly_100"].documents()]
    documents += [_shifted(d, 5) for d in by_name["bandwidth_proxyware_container_install"].documents()]
    documents.sort(key=lambda d: str(d.get("event", {}).get("ingested") or d.get("@timestamp")))
    OUT.write_text("".join(json.dumps(d, sort_keys=True) + "\n" for d in documents))
    print(f"wrote {len(documents)} events to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
