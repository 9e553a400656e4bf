"""Deploy benchmark: 1,000 generated rules into the in-process Kibana with a fixed latency per request.

    python benchmarks/deploy_benchmark.py [--rules 1000] [--latency-ms 20]

For a first deploy, a no-change deploy and a deploy that changes 10 rules it prints HTTP requests and
wall time for elastic-pack's bulk deploy and for a one-request-per-rule baseline run in the same process
(POST per new rule; GET per rule to compare; PUT per changed rule), and the ratio.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

from elastic_pack.build import pack_payloads
from elastic_pack.content import load_pack
from elastic_pack.deploy import apply_plan, plan_space
from elastic_pack.deploy.normalize import field_changes
from elastic_pack.kibana import KibanaClient, KibanaConfig, KibanaNotFound
from elastic_pack.testing import StandInKibana


def generated_rules(count: int) -> list[dict]:
    pack, _ = load_pack()
    template = next(p for p in pack_payloads(pack) if p["type"] == "threshold")
    return [{**template, "rule_id": str(uuid.UUID(int=i + 1)), "name": f"{template['name']} #{i:04d}"}
            for i in range(count)]


def client_for(kibana: StandInKibana) -> KibanaClient:
    return KibanaClient(KibanaConfig(url=kibana.url, api_key="bench", space="bench"), session=kibana.session())


def ours(client: KibanaClient, rules: list[dict], backups: Path) -> None:
    plan = plan_space(client, rules)
    result = apply_plan(client, plan, [], backups)
    assert result.ok, result.failed


def baseline(client: KibanaClient, rules: list[dict]) -> None:
    """What a naive deployer does: read each rule, then create or replace it on its own."""
    for rule in rules:
        try:
            current = client.read_rule(rule["rule_id"])
        except KibanaNotFound:
            client.create_rule(rule)
            continue
        if field_changes(rule, current):
            client.update_rule({**rule, "enabled": current.get("enabled", False)})


def measure(fn, client: KibanaClient) -> tuple[int, float]:
    before, start = client.requests_made, time.perf_counter()
    fn()
    return client.requests_made - before, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()
    rules = generated_rules(args.rules)
    changed = [dict(r, risk_score=r["risk_score"] - 1) if i % (len(rules) // 10 or 1) == 0 and i // (len(rules) // 10 or 1) < 10
               else r for i, r in enumerate(rules)]
    stages = [("first deploy", rules), ("no-change deploy", rules), ("10 rules changed", changed)]
    print(f"{args.rules} rules, {args.latency_ms:.0f} ms per request")
    print(f"{'stage':<18} {'elastic-pack':>22} {'one request per rule':>26} {'time ratio':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        ours_kibana = StandInKibana(api_key="bench", latency=args.latency_ms / 1000)
        base_kibana = StandInKibana(api_key="bench", latency=args.latency_ms / 1000)
        for kibana in (ours_kibana, base_kibana):
            kibana.add_space("bench")
        ours_client, base_client = client_for(ours_kibana), client_for(base_kibana)
        for stage, wanted in stages:
            n_ours, t_ours = measure(lambda: ours(ours_client, wanted, Path(tmp)), ours_client)
            n_base, t_base = measure(lambda: baseline(base_client, wanted), base_client)
            print(f"{stage:<18} {n_ours:>6} requests {t_ours:>6.2f}s {n_base:>10} requests {t_base:>6.2f}s "
                  f"{t_base / t_ours:>10.1f}x")
        assert len(ours_kibana.rules("bench")) == len(base_kibana.rules("bench")) == args.rules


if __name__ == "__main__":
    main()
