"""Webhook ingress cost, in one run:

1. in process: verification cost per request (HMAC over the raw body + constant-time compare, and the
   whole acceptance step: signature, JSON parse, event entry) for 1 KB, 64 KB and 256 KB bodies;
2. deployed: accepted deliveries per second through the verifier endpoint, against a pass-through
   Lambda on the same bus that verifies nothing (the public generic webhook-to-EventBridge design).
   A third endpoint runs the same verifier with replay protection switched off
   (POWERTOOLS_IDEMPOTENCY_DISABLED) to separate the cost of verifying from the cost of the two
   DynamoDB writes that de-duplicate. All three get signed 1 KB deliveries from 2 concurrent senders
   each, at the same time and for the same window, so background load on the machine affects them
   alike; ratios are medians over the rounds. Target: the verifier reaches at least 0.8 of the
   pass-through rate. The same race is repeated for the verifier and the pass-through alone at the
   emulator's Lambda cap (4 senders each, 8 in flight), where the machine's CPU is the limit;
3. deployed, one delivery at a time per endpoint: latency without contention and, on the embedded
   emulator, the CPU one delivery costs in the emulator process (API Gateway, DynamoDB, EventBridge)
   and in its Lambda workers. On this emulator every AWS call is served by the same machine as the
   handlers, so CPU per delivery is what bounds throughput once the machine is busy.

Run: ``.venv/bin/python benchmarks/webhook.py`` (writes benchmarks/results/webhook.json + .png). It
starts its own embedded emulator, or uses ``AWS_ENDPOINT_URL`` when set (then without the CPU split).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402
import requests  # noqa: E402
from requests.adapters import HTTPAdapter  # noqa: E402

from functions.webhook.config import Source, WebhookConfig  # noqa: E402
from functions.webhook.delivery import Request, accept  # noqa: E402
from functions.webhook.schemes import github, sign, stripe, verify  # noqa: E402
from localcloud.deploy import deploy  # noqa: E402
from localcloud.session import cloud  # noqa: E402
from localcloud.target import Target, reachable_url  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
PROGRAM = ROOT / "benchmarks" / "programs" / "webhook"
SIZES = {"1 KB": 1024, "64 KB": 64 * 1024, "256 KB": 256_000}  # 256 KB: the largest body whose event fits
SENDERS_PER_ENDPOINT = 2  # 6 in flight, under the emulator's cap of 8 concurrent Lambda executions
SATURATING_SENDERS = 4  # verifier and pass-through only: 8 in flight, the emulator's Lambda cap
SEQUENTIAL_DELIVERIES = 300
WARM_UP_SECONDS = 4
ROUND_SECONDS = 10
ROUNDS = 5


def _body(size: int) -> bytes:
    """A JSON body of exactly ``size`` bytes, unique (a delivery is also recognised by its signed body, so
    a repeated body would be a replay, not a new delivery)."""
    prefix = b'{"action": "push", "id": "' + uuid.uuid4().hex.encode() + b'", "filler": "'
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
            config = WebhookConfig(sources={"s": Source("s", scheme, "arn")}, max_body_bytes=300 * 1024,
                                   event_bus_name="bus", deliveries_table="deliveries")
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
    """No retries: with no more senders than the emulator's concurrency cap nothing should be throttled,
    and any 429 is counted in the results rather than hidden."""
    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=0, pool_maxsize=16))
    return session


def _signed(secret: bytes, body: bytes) -> dict[str, str]:
    return {**sign(github(), secret, body), "X-GitHub-Delivery": str(uuid.uuid4()), "X-GitHub-Event": "push",
            "Content-Type": "application/json"}


def _race(urls: dict[str, str], secret: bytes, session: requests.Session, seconds: float,
          senders: int = SENDERS_PER_ENDPOINT) -> dict[str, Counter]:
    """Every endpoint at once, ``senders`` senders each, for the same window, so the machine's load is
    the same for all. Returns the status codes each endpoint answered in the window."""
    stop = time.monotonic() + seconds

    def send(url: str) -> Counter:
        statuses: Counter = Counter()
        while time.monotonic() < stop:
            body = _body(1024)
            statuses[session.post(url, data=body, headers=_signed(secret, body), timeout=60).status_code] += 1
        return statuses

    with ThreadPoolExecutor(max_workers=senders * len(urls)) as pool:
        futures = {name: [pool.submit(send, url) for _ in range(senders)] for name, url in urls.items()}
        return {name: sum((f.result() for f in fs), Counter()) for name, fs in futures.items()}


def _rounds(urls: dict[str, str], secret: bytes, session: requests.Session, senders: int) -> dict:
    """A warm-up race (starts every worker the senders need), then ROUNDS races; rates and ratios to the
    pass-through per round, with their medians."""
    _race(urls, secret, session, WARM_UP_SECONDS, senders)
    rounds = [_race(urls, secret, session, ROUND_SECONDS, senders) for _ in range(ROUNDS)]
    rates = {name: [r[name][200] / ROUND_SECONDS for r in rounds] for name in urls}
    ratios = {name: [r[name][200] / r["pass-through"][200] for r in rounds] for name in urls if name != "pass-through"}
    return {
        "senders_per_endpoint": senders,
        "statuses": {name: dict(sum((r[name] for r in rounds), Counter())) for name in urls},
        "deliveries_per_second": {name: {"median": statistics.median(v), "all": v} for name, v in rates.items()},
        "ratio_to_passthrough": {name: {"median": statistics.median(v), "all": v} for name, v in ratios.items()},
    }


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _emulator_cpu(pid: int) -> tuple[float, float]:
    """CPU seconds used so far by the emulator process and by its children (the Lambda workers)."""
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(c) for c in (task / "children").read_text().split()]
    workers = 0.0
    for child in children:
        try:
            workers += _cpu_seconds(child)
        except OSError:  # a worker that ended meanwhile
            pass
    return _cpu_seconds(pid), workers


def cost_per_delivery(urls: dict[str, str], secret: bytes, session: requests.Session,
                      emulator_pid: int | None) -> dict:
    """One delivery at a time per endpoint (every worker warm): median latency without contention and,
    when the emulator is ours, the CPU per delivery in the emulator process and in the Lambda workers."""
    results = {}
    for name, url in urls.items():
        latencies = []
        before = _emulator_cpu(emulator_pid) if emulator_pid else None
        for _ in range(SEQUENTIAL_DELIVERIES):
            body = _body(1024)
            started = time.perf_counter()
            status = session.post(url, data=body, headers=_signed(secret, body), timeout=60).status_code
            latencies.append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise RuntimeError(f"{name} answered {status} to a valid delivery")
        results[name] = {"latency_ms": statistics.median(latencies)}
        if before:
            after = _emulator_cpu(emulator_pid)
            results[name]["emulator_cpu_ms"] = (after[0] - before[0]) / SEQUENTIAL_DELIVERIES * 1000
            results[name]["lambda_cpu_ms"] = (after[1] - before[1]) / SEQUENTIAL_DELIVERIES * 1000
    return results


def replay_latency(url: str, secret: bytes, session: requests.Session) -> float:
    """Median latency of re-posting one captured delivery (answered ``duplicate``, nothing published)."""
    body = _body(1024)
    headers = _signed(secret, body)
    session.post(url, data=body, headers=headers, timeout=60)
    latencies = []
    for _ in range(SEQUENTIAL_DELIVERIES):
        started = time.perf_counter()
        response = session.post(url, data=body, headers={**headers, "X-GitHub-Delivery": str(uuid.uuid4())},
                                timeout=60)
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200 or response.json()["status"] != "duplicate":
            raise RuntimeError(f"a replay was answered {response.status_code} {response.text}")
    return statistics.median(latencies)


def deployed(endpoint: str, emulator_pid: int | None = None) -> dict:
    result = deploy(PROGRAM, Target("endpoint", endpoint), stack="bench", driver="engine")
    outputs = result.outputs
    secret = boto3.client("secretsmanager", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test").get_secret_value(
        SecretId=outputs["secret_arn"])["SecretString"].encode()
    lam = boto3.client("lambda", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                       aws_secret_access_key="test")
    variables = lam.get_function_configuration(FunctionName=outputs["unprotected_function"])["Environment"]
    lam.update_function_configuration(FunctionName=outputs["unprotected_function"], Environment={
        "Variables": {**variables["Variables"], "POWERTOOLS_IDEMPOTENCY_DISABLED": "true"}})
    urls = {"verifier": reachable_url(outputs["verifier_url"], endpoint) + "/webhooks/github",
            "verifier without replay protection": reachable_url(outputs["unprotected_url"], endpoint)
            + "/webhooks/github",
            "pass-through": reachable_url(outputs["passthrough_url"], endpoint) + "/passthrough/github"}
    session = _session()
    race = _rounds(urls, secret, session, SENDERS_PER_ENDPOINT)
    saturated = _rounds({name: urls[name] for name in ("verifier", "pass-through")}, secret, session,
                        SATURATING_SENDERS)
    return {
        **race,
        "round_seconds": ROUND_SECONDS,
        "rounds": ROUNDS,
        "ratio_verifier_to_passthrough": race["ratio_to_passthrough"]["verifier"]["median"],
        "ratio_without_replay_protection":
            race["ratio_to_passthrough"]["verifier without replay protection"]["median"],
        "at_lambda_cap": saturated,
        "one_at_a_time": cost_per_delivery(urls, secret, session, emulator_pid),
        "replayed_latency_ms": replay_latency(urls["verifier"], secret, session),
        "target_ratio": 0.8,
    }


def chart(data: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(15, 4.2))
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

    deployed_data = data["deployed"]
    names = list(deployed_data["deliveries_per_second"])
    labels = [n.replace(" without ", "\n(no ").replace(" protection", " protection)") for n in names]
    colors = {"verifier": "#4c72b0", "verifier without replay protection": "#8fb0d8", "pass-through": "#999999"}
    for offset, race in ((-0.2, deployed_data), (0.2, deployed_data["at_lambda_cap"])):
        rates = race["deliveries_per_second"]
        for i, name in enumerate(names):
            if name in rates:
                value = rates[name]["median"]
                middle.bar(i + offset, value, 0.38, color=colors[name], hatch="//" if offset > 0 else None,
                           edgecolor="white")
                middle.text(i + offset, value, f"{value:.0f}", ha="center", va="bottom", fontsize=8)
    middle.set_xticks(range(len(names)), labels, fontsize=8)
    middle.set_ylabel("accepted deliveries / s (median)")
    middle.set_title(f"deployed, all at once; ratio {deployed_data['ratio_verifier_to_passthrough']:.2f} "
                     f"with {deployed_data['senders_per_endpoint']} senders each (plain),\n"
                     f"{deployed_data['at_lambda_cap']['ratio_to_passthrough']['verifier']['median']:.2f} with "
                     f"{deployed_data['at_lambda_cap']['senders_per_endpoint']} each (hatched); target ≥ 0.8",
                     fontsize=9)

    single = deployed_data["one_at_a_time"]
    if all("emulator_cpu_ms" in row for row in single.values()):
        emulator_cpu = [single[n]["emulator_cpu_ms"] for n in names]
        lambda_cpu = [single[n]["lambda_cpu_ms"] for n in names]
        right.bar(labels, emulator_cpu, color="#dd8452", label="emulator (API, DynamoDB, EventBridge)")
        right.bar(labels, lambda_cpu, bottom=emulator_cpu, color="#55a868", label="Lambda worker")
        for i, name in enumerate(names):
            right.text(i, emulator_cpu[i] + lambda_cpu[i], f"{single[name]['latency_ms']:.1f} ms\nlatency",
                       ha="center", va="bottom", fontsize=8)
        right.set_ylabel("CPU ms per delivery (one at a time)")
        right.set_title("where a delivery's CPU goes", fontsize=9)
        right.tick_params(axis="x", labelsize=8)
        right.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> dict:
    data: dict = {"in_process": in_process(), "load_average_before": os.getloadavg()}
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        data["target"] = "AWS_ENDPOINT_URL"
        data["deployed"] = deployed(endpoint)
    else:
        with tempfile.TemporaryDirectory() as tmp, cloud(Path(tmp) / "emulator.log") as (
            target, process
        ):
            data["target"] = "embedded emulator"
            data["deployed"] = deployed(target.endpoint, process.pid)
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
                      "ratio": round(results["deployed"]["ratio_verifier_to_passthrough"], 3),
                      "ratio_without_replay_protection":
                          round(results["deployed"]["ratio_without_replay_protection"], 3),
                      "ratio_at_lambda_cap":
                          round(results["deployed"]["at_lambda_cap"]["ratio_to_passthrough"]["verifier"]["median"], 3),
                      "one_at_a_time": {k: {m: round(x, 2) for m, x in v.items()} for k, v in
                                        results["deployed"]["one_at_a_time"].items()}}, indent=2))
