"""Engine benchmark: N generated CloudTrail-like events through the whole pack on the local engine,
against the eql package's own PythonEngine running the pack's EQL sequence rule on the same events.

    python benchmarks/engine_benchmark.py [--events 1000000]

Prints events per second for both (net of the time spent generating events, measured separately), the
ratio, peak memory (RSS) and the engine's rule state at the end. Goal: ratio >= 10 with bounded memory.
"""

from __future__ import annotations

import argparse
import random
import resource
import time

import eql
from eql.parser import allow_runs, elasticsearch_syntax, ignore_missing_fields

from elastic_pack.content import load_pack
from elastic_pack.engine import compile_rule, run_rules
from elastic_pack.engine.events import Event

ACTIONS = [("ses.amazonaws.com", "SendEmail"), ("sns.amazonaws.com", "Publish"),
           ("bedrock.amazonaws.com", "InvokeModel"), ("s3.amazonaws.com", "GetObject"),
           ("ec2.amazonaws.com", "DescribeInstances"), ("sts.amazonaws.com", "AssumeRole"),
           ("ses.amazonaws.com", "CreateEmailIdentity"), ("sns.amazonaws.com", "CreateTopic")]
WEIGHTS = [6, 6, 4, 40, 30, 12, 1, 1]


def flat_events(count: int, seed: int = 7):
    """About 3,000 identities over ~11 days; every 100,000 events one of them enables SES and sends 150
    emails in 150 seconds, so every run of the benchmark raises alerts too."""
    rng = random.Random(seed)
    t = 1767603600.0
    burst_left = 0
    for index in range(count):
        t += rng.expovariate(1.0)
        if index % 100_000 == 50_000:
            burst_left, attacker = 151, f"arn:aws:iam::123456789012:user/attacker{index}"
        if burst_left:
            action = "CreateEmailIdentity" if burst_left == 151 else "SendEmail"
            burst_left -= 1
            fields = {"@timestamp": t, "event.dataset": "aws.cloudtrail", "event.provider": "ses.amazonaws.com",
                      "event.action": action, "aws.cloudtrail.user_identity.arn": attacker}
            yield Event(fields, t, t)
            continue
        provider, action = rng.choices(ACTIONS, WEIGHTS)[0]
        fields = {
            "@timestamp": t,
            "event.dataset": "aws.cloudtrail",
            "event.provider": provider,
            "event.action": action,
            "aws.cloudtrail.user_identity.arn": f"arn:aws:iam::123456789012:user/u{rng.randrange(3000)}",
            "source.ip": "203.0.113.10",
        }
        if rng.random() < 0.05:
            fields["aws.cloudtrail.error_code"] = "AccessDenied"
        yield Event(fields, t, t)


def nested(fields: dict) -> dict:
    out: dict = {}
    for key, value in fields.items():
        node = out
        *parents, leaf = key.split(".") if key != "@timestamp" else [key]
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def python_engine_events(count: int):
    for event in flat_events(count):
        # the PythonEngine counts time in 100-ns units (Windows FILETIME); maxspan is compared in those
        yield eql.Event("any", int(event.timestamp * 10_000_000), nested(event.fields))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    n = args.events
    pack, _ = load_pack()
    sequence_rule = next(r for r in pack.rules if r.metadata.get("seed_branch") == "A")

    gen_flat = timed(lambda: sum(1 for _ in flat_events(n)))
    rules = [compile_rule(r) for r in pack.rules]
    alerts = []
    ours_total = timed(lambda: alerts.extend(run_rules(rules, flat_events(n))))
    ours_rss = peak_rss_mb()
    state = sum(r.state_size() for r in rules)

    gen_nested = timed(lambda: sum(1 for _ in python_engine_events(n)))
    with elasticsearch_syntax, allow_runs, ignore_missing_fields:
        tree = eql.parse_query(sequence_rule.query)
    engine = eql.PythonEngine()
    engine.add_query(tree)
    hits = []
    engine.add_output_hook(hits.append)
    baseline_total = timed(lambda: engine.stream_events(python_engine_events(n)))

    ours_net = max(ours_total - gen_flat, 1e-9)
    base_net = max(baseline_total - gen_nested, 1e-9)
    print(f"events: {n:,}")
    print(f"local engine, whole pack ({len(rules)} rules): {n / ours_net:,.0f} events/s net "
          f"({ours_total:.1f}s total, {gen_flat:.1f}s generating), {len(alerts)} alerts")
    print(f"eql PythonEngine, sequence rule only: {n / base_net:,.0f} events/s net "
          f"({baseline_total:.1f}s total, {gen_nested:.1f}s generating), {len(hits)} outputs")
    print(f"ratio (local engine / PythonEngine throughput): {base_net / ours_net:.1f}x")
    print(f"peak RSS after the local engine: {ours_rss:.0f} MB; rule state at the end: {state} entries")


if __name__ == "__main__":
    main()
