"""Webhook ingress cost, in one run:

1. in process: verification cost per request (HMAC over the raw body + constant-time compare, and the
   whole acceptance step: signature, JSON parse, event entry) for 1 KB, 64 KB and 256 KB bodies;
2. deployed: accepted deliveries per second through the verifier endpoint, against a pass-through
   Lambda on the same bus that verifies nothing (the public generic webhook-to-EventBridge design).
   Both get the same signed 1 KB deliveries from the same number of concurrent senders, in
   alternating rounds. Target: the verifier reaches at least 0.8 of the pass-through rate.

Run: ``.venv/bin/python benchmarks/webhook.py`` (writes benchmarks/results/webhook.json + .png). It
starts its own embedded emulator, or uses ``AWS_ENDPOINT_URL`` when set.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402
import requests  # noqa: E402
from requests.adapters import HTTPAdapter  # noqa: E402
from urllib3.util.retry import Retry  # noqa: E402

from functions.webhook.delivery import Config, Request, Source, accept  # noqa: E402
from functions.webhook.schemes import github, sign, stripe, verify  # noqa: E402
from localcloud import emulator  # noqa: E402
from localcloud.deploy import deploy  # noqa: E402
from localcloud.target import Target, reachable_url  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
PROGRAM = ROOT / "benchmarks" / "programs" / "webhook"
SIZES = {"1 KB": 1024, "64 KB": 64 * 1024, "256 KB": 256_000}  # 256 KB: the largest body whose event fits
SENDERS = 8  # = the emulator's Lambda concurrency cap
DELIVERIES_PER_ROUND = 240
ROUNDS = 5


def _body(size: int) -> bytes:
    """A JSON body of exactly ``size`` bytes."""
    prefix = b'{"action": "push", "filler": "'
    return prefix + b"x" * (size - len(prefix) - 2) + b'"}'


def _per_call_us(fn, seconds: float = 0.6) -> float:
    calls, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        fn()
        calls += 1
    return (time.perf_counter() - started) / calls * 1e6


def in_process() -> dict:
    secret = b"whsec_benchmark_secret"
    results = {}
    for label, size in SIZES.items():
        body = _body(size)
        row = {}
        for scheme in (github(), stripe()):
            now = int(time.time())
            headers = {k.lower(): v for k, v in sign(scheme, secret, body, now if scheme.kind == "stripe" else None)
                       .items()}
            config = Config({"s": Source("s", scheme, "arn")}, max_body_bytes=300 * 1024)
            request = Request("s", headers, body, now)
            secrets = [("AWSCURRENT", secret)]
            row[scheme.kind] = {
                "verify_us": _per_call_us(partial(verify, scheme, secrets, headers, body, now)),
                "accept_us": _per_call_us(partial(accept, config, request, secrets, now, "sync")),
            }
        row["json_parse_us"] = _per_call_us(partial(json.loads, body))
        results[label] = row
    return results


def _session() -> requests.Session:
    retry = Retry(total=30, status_forcelist=[429], allowed_methods=None, backoff_factor=0.05, backoff_max=1,
                  respect_retry_after_header=False, raise_on_status=False)
    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=retry, pool_maxsize=SENDERS * 2))
    return session


def _round(url: str, secret: bytes, session: requests.Session) -> tuple[float, int]:
    body = _body(1024)
    deliveries = []
    for _ in range(DELIVERIES_PER_ROUND):
        headers = {**sign(github(), secret, body), "X-GitHub-Delivery": str(uuid.uuid4()),
                   "X-GitHub-Event": "push", "Content-Type": "application/json"}
        deliveries.append(headers)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=SENDERS) as pool:
        statuses = list(pool.map(lambda h: session.post(url, data=body, headers=h, timeout=60).status_code,
                                 deliveries))
    elapsed = time.perf_counter() - started
    accepted = sum(1 for s in statuses if s == 200)
    return accepted / elapsed, accepted


def deployed(endpoint: str) -> dict:
    result = deploy(PROGRAM, Target("endpoint", endpoint), stack="bench", driver="engine")
    outputs = result.outputs
    secret = boto3.client("secretsmanager", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test").get_secret_value(
        SecretId=outputs["secret_arn"])["SecretString"].encode()
    urls = {"verifier": reachable_url(outputs["verifier_url"], endpoint) + "/webhooks/github",
            "pass-through": reachable_url(outputs["passthrough_url"], endpoint) + "/passthrough/github"}
    session = _session()
    for url in urls.values():  # warm every worker of both functions
        _round(url, secret, session)
    rates: dict[str, list[float]] = {name: [] for name in urls}
    accepted: dict[str, int] = {name: 0 for name in urls}
    for _ in range(ROUNDS):
        for name, url in urls.items():
            rate, count = _round(url, secret, session)
            rates[name].append(rate)
            accepted[name] += count
    medians = {name: statistics.median(values) for name, values in rates.items()}
    return {
        "senders": SENDERS,
        "deliveries_per_round": DELIVERIES_PER_ROUND,
        "rounds": ROUNDS,
        "deliveries_per_second": {name: {"median": medians[name], "all": rates[name]} for name in rates},
        "accepted": accepted,
        "offered": DELIVERIES_PER_ROUND * ROUNDS,
        "ratio_verifier_to_passthrough": medians["verifier"] / medians["pass-through"],
        "target_ratio": 0.8,
    }


def chart(data: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    labels = list(data["in_process"])
    width = 0.25
    for offset, (key, name) in enumerate([("github", "GitHub verify"), ("stripe", "Stripe verify"),
                                          ("accept", "GitHub full check + event")]):
        values = [row["github"]["accept_us"] if key == "accept" else row[key]["verify_us"]
                  for row in data["in_process"].values()]
        positions = [i + (offset - 1) * width for i in range(len(labels))]
        left.bar(positions, values, width, label=name)
    left.set_xticks(range(len(labels)), labels)
    left.set_ylabel("µs per request (in process)")
    left.set_yscale("log")
    left.set_title("verification cost by body size")
    left.legend(fontsize=8)

    rates = data["deployed"]["deliveries_per_second"]
    names = list(rates)
    values = [rates[n]["median"] for n in names]
    right.bar(names, values, color=["#4c72b0", "#999999"])
    for i, v in enumerate(values):
        right.text(i, v, f"{v:.0f}/s", ha="center", va="bottom")
    right.set_ylabel("accepted deliveries / s (median)")
    right.set_title(f"deployed, {data['deployed']['senders']} senders: ratio "
                    f"{data['deployed']['ratio_verifier_to_passthrough']:.2f} (target ≥ 0.8)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> dict:
    data: dict = {"in_process": in_process(), "load_average_before": os.getloadavg()}
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        data["target"] = "AWS_ENDPOINT_URL"
        data["deployed"] = deployed(endpoint)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            process = emulator.start(Path(tmp) / "emulator.log", venv=ROOT / ".venv-emulator")
            try:
                data["target"] = "embedded emulator"
                data["deployed"] = deployed(process.endpoint)
            finally:
                process.stop()
    data["load_average_after"] = os.getloadavg()
    return data


if __name__ == "__main__":
    RESULTS.mkdir(parents=True, exist_ok=True)
    results = main()
    (RESULTS / "webhook.json").write_text(json.dumps(results, indent=2))
    chart(results, RESULTS / "webhook.png")
    summary = {size: {k: round(v["verify_us"], 1) for k, v in row.items() if isinstance(v, dict)}
               for size, row in results["in_process"].items()}
    print(json.dumps({"verify_us": summary,
                      "deliveries_per_second": {k: round(v["median"], 1) for k, v in
                                                results["deployed"]["deliveries_per_second"].items()},
                      "ratio": round(results["deployed"]["ratio_verifier_to_passthrough"], 3)}, indent=2))
