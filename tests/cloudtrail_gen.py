"""Generated CloudTrail for tests and benchmarks: raw S3 delivery files, and the same events in ECS form."""

from __future__ import annotations

import gzip
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

ACCOUNT = "123456789012"
START = datetime(2026, 3, 2, tzinfo=timezone.utc)


def record(when: datetime, source: str, action: str, arn: str, error: str | None = None,
           role: str | None = None, rng: random.Random | None = None) -> dict:
    rng = rng or random.Random(0)
    identity = {"type": "AssumedRole" if role else "IAMUser", "arn": arn, "accountId": ACCOUNT,
                "accessKeyId": "ASIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16)),
                "principalId": "AIDAEXAMPLE"}
    if role:
        identity["sessionContext"] = {"sessionIssuer": {"type": "Role", "arn": role, "accountId": ACCOUNT,
                                                        "principalId": "AROAEXAMPLE", "userName": role.rsplit("/", 1)[1]}}
    rec = {"eventVersion": "1.09", "userIdentity": identity,
           "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "eventSource": source, "eventName": action,
           "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.%d" % rng.randrange(1, 250),
           "userAgent": "aws-cli/2.18.17", "requestParameters": {"k": "v"}, "responseElements": None,
           "requestID": "%032x" % rng.getrandbits(128), "eventID": "%032x" % rng.getrandbits(128),
           "readOnly": action.startswith(("Get", "List", "Describe")), "eventType": "AwsApiCall",
           "managementEvent": True, "recipientAccountId": ACCOUNT, "eventCategory": "Management",
           "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                          "clientProvidedHostHeader": f"{source.split('.')[0]}.us-east-1.amazonaws.com"}}
    if error:
        rec["errorCode"], rec["errorMessage"] = error, "denied"
    return rec


def ecs(rec: dict) -> dict:
    """The ECS fields the rules read, written from the record independently of elastic_pack.cloudtrail."""
    ident = rec["userIdentity"]
    doc = {"@timestamp": rec["eventTime"], "event.dataset": "aws.cloudtrail", "event.provider": rec["eventSource"],
           "event.action": rec["eventName"], "aws.cloudtrail.user_identity.arn": ident["arn"]}
    issuer = ident.get("sessionContext", {}).get("sessionIssuer", {}).get("arn")
    if issuer:
        doc["aws.cloudtrail.user_identity.session_context.session_issuer.arn"] = issuer
    if rec.get("errorCode"):
        doc["aws.cloudtrail.error_code"] = rec["errorCode"]
    return doc


BACKGROUND = [("s3.amazonaws.com", "GetObject"), ("ec2.amazonaws.com", "DescribeInstances"),
              ("sts.amazonaws.com", "AssumeRole"), ("kms.amazonaws.com", "Decrypt"), ("iam.amazonaws.com", "GetRole"),
              ("logs.amazonaws.com", "CreateLogStream"), ("lambda.amazonaws.com", "Invoke"),
              ("dynamodb.amazonaws.com", "DescribeTable")]


def month(days: int = 30, noise: float = 1.0, seed: int = 1, background: int = 0) -> list[dict]:
    """Background sending by a few applications, a daily newsletter, and two attacks; with `background`,
    that many records an hour from other services too (most of a real trail)."""
    rng = random.Random(seed)
    records = []
    for hour in range(days * 24 if background else 0):
        base = START + timedelta(hours=hour)
        for _ in range(background):
            source, action = rng.choice(BACKGROUND)
            rec = record(base + timedelta(seconds=rng.randrange(3600)), source, action,
                         f"arn:aws:sts::{ACCOUNT}:assumed-role/svc-{rng.randrange(40)}/i-{rng.randrange(999)}",
                         role=f"arn:aws:iam::{ACCOUNT}:role/svc-{rng.randrange(40)}", rng=rng)
            rec["resources"] = [{"ARN": f"arn:aws:{source.split('.')[0]}:us-east-1:{ACCOUNT}:thing/{rng.randrange(10**6)}",
                                 "accountId": ACCOUNT, "type": "AWS::Service::Thing"}]
            records.append(rec)
    for day in range(days):
        base = START + timedelta(days=day)
        for hour in range(24):
            for app in range(5):
                for _ in range(rng.randrange(0, int(20 * noise) + 1)):
                    when = base + timedelta(hours=hour, seconds=rng.randrange(3600))
                    records.append(record(when, "ses.amazonaws.com", "SendEmail",
                                          f"arn:aws:iam::{ACCOUNT}:user/app-{app}", rng=rng))
        # the newsletter: 150 sends at 08:00 every day, a likely exception candidate
        for i in range(150):
            records.append(record(base + timedelta(hours=8, seconds=10 * i), "ses.amazonaws.com", "SendBulkEmail",
                                  f"arn:aws:sts::{ACCOUNT}:assumed-role/newsletter/run-{day}",
                                  role=f"arn:aws:iam::{ACCOUNT}:role/newsletter", rng=rng))
    attack = START + timedelta(days=min(3, days - 1), hours=3)
    records.append(record(attack, "ses.amazonaws.com", "CreateEmailIdentity", f"arn:aws:iam::{ACCOUNT}:user/stolen", rng=rng))
    for i in range(300):
        records.append(record(attack + timedelta(seconds=60 + 5 * i), "ses.amazonaws.com", "SendEmail",
                              f"arn:aws:iam::{ACCOUNT}:user/stolen", rng=rng))
    for i in range(80):
        records.append(record(attack + timedelta(hours=5, seconds=20 * i), "bedrock.amazonaws.com", "InvokeModel",
                              f"arn:aws:iam::{ACCOUNT}:user/stolen", rng=rng))
    records.sort(key=lambda r: r["eventTime"])
    return records


def write_s3_layout(records: list[dict], root: Path, minutes: int = 5, seed: int = 2) -> list[Path]:
    """Records into AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/ files of `minutes` each,
    shuffled inside each file as CloudTrail delivers them."""
    rng = random.Random(seed)
    buckets: dict[str, list[dict]] = {}
    for rec in records:
        when = datetime.strptime(rec["eventTime"], "%Y-%m-%dT%H:%M:%SZ")
        slot = when.replace(minute=when.minute - when.minute % minutes, second=0)
        buckets.setdefault(slot.strftime("%Y%m%dT%H%MZ"), []).append(rec)
    paths = []
    for stamp, recs in sorted(buckets.items()):
        rng.shuffle(recs)
        folder = root / "AWSLogs" / ACCOUNT / "CloudTrail" / "us-east-1" / stamp[:4] / stamp[4:6] / stamp[6:8]
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{ACCOUNT}_CloudTrail_us-east-1_{stamp}_{rng.getrandbits(32):08x}.json.gz"
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            json.dump({"Records": recs}, handle)
        paths.append(path)
    return paths
