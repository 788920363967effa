"""Rate limiting, side by side in one run against one deployment (embedded emulator unless
``AWS_ENDPOINT_URL`` names a target):

- admitted vs the ideal under 16 concurrent clients, per algorithm (limit 100 per 60 s, 400 requests on
  one key, the clock frozen so the ideal is exactly 100; target: no over-admission for bucket, fixed
  window and log), with DynamoDB writes per
  decision counted by a botocore hook on the client (every ``UpdateItem`` sent, failed conditions included);
- the sliding-window counter's error against the exact log on a bursty trace (pure rules; target <= 1%);
- decision latency p50/p95 in-process vs through the deployed authorizer (HTTP);
- the inbound buffer: 1,000 requests, all accepted, the downstream's peak concurrency vs N, each once.

Run: ``.venv/bin/python benchmarks/rate_limit.py`` (writes benchmarks/results/rate_limit.json + .png).
"""

from __future__ import annotations

import json
import os
import platform
import random
import secrets
import statistics
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402
import requests  # noqa: E402

from functions.rate_limit.algorithms import MemoryLimiter  # noqa: E402
from functions.rate_limit.config import Limit, LimiterSettings  # noqa: E402
from functions.rate_limit.exceptions import Contention  # noqa: E402
from functions.rate_limit.identity import key_hash  # noqa: E402
from functions.rate_limit.limiter import RateLimiter  # noqa: E402
from localcloud.deploy import deploy  # noqa: E402
from localcloud.http import SigV4  # noqa: E402
from localcloud.session import cloud  # noqa: E402
from localcloud.target import Target, reachable_url  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
ALGORITHMS = ("token_bucket", "fixed_window", "sliding_log", "sliding_counter")
CLIENTS, REQUESTS, LIMIT = 16, 400, 100
BUFFERED, N = 1000, 2  # N: the program's RequestBufferArgs.max_concurrency
PROGRAM = ROOT / "benchmarks" / "programs" / "rate_limit"


def counting_client(counter: Counter[str]) -> Any:
    client = boto3.client("dynamodb")
    client.meta.events.register("before-call.dynamodb.*", lambda model, **_: counter.update([model.name]))
    return client


def admission(table: str) -> list[dict[str, Any]]:
    rows = []
    for algorithm in ALGORITHMS:
        calls: Counter[str] = Counter()
        # A frozen clock: no refill and no window boundary during the run, so the ideal is exactly LIMIT.
        frozen = time.time()
        limiter = RateLimiter(LimiterSettings(table=table, limits=(Limit("l", LIMIT, 60, algorithm),),
                                              namespace=f"bench-{algorithm}-{int(frozen)}"), counting_client(calls),
                              clock=lambda at=frozen: at)
        contention = Counter[str]()

        def decide(_: int, lim: RateLimiter = limiter, gave_up: Counter[str] = contention) -> bool:
            try:
                return lim.hit("hot").allowed
            except Contention:  # max_attempts conditional writes lost: a 503, nothing charged
                gave_up.update(["503"])
                return False

        started = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            admitted = sum(pool.map(decide, range(REQUESTS)))
        seconds = time.perf_counter() - started
        rows.append({"algorithm": algorithm, "ideal": LIMIT, "admitted": admitted,
                     "over_admitted": max(0, admitted - LIMIT), "decisions": REQUESTS,
                     "write_calls_per_decision": round(calls["UpdateItem"] / REQUESTS, 3),
                     "failed_writes_per_decision": round(limiter.stats["failed_writes"] / REQUESTS, 3),
                     "reads_per_decision": round(calls["GetItem"] / REQUESTS, 3),
                     "gave_up_under_contention": contention["503"],
                     "decisions_per_s": round(REQUESTS / seconds, 1)})
        print(rows[-1], flush=True)
    return rows


def counter_error() -> dict[str, Any]:
    """The sliding counter against the exact log on one bursty trace that the limit really bites: 5 keys,
    bursts of 1 to 150 requests (limit 100 per 60 s), gaps from 1 ms to two windows."""
    rng, t, trace = random.Random(7), 1_700_000_000.0, []
    for _ in range(20_000):
        t += rng.choice([0.001, 0.01, 0.05, 0.5, 3.0, 20.0, 45.0, 90.0])
        trace += [(t, f"k{rng.randrange(5)}")] * rng.choice([1, 2, 5, 10, 40, 150])
    clock = {"now": 0.0}
    limits = {a: MemoryLimiter([Limit("l", 100, 60, a)], lambda: clock["now"])
              for a in ("sliding_log", "sliding_counter")}
    admitted: Counter[str] = Counter()
    disagreements = 0
    for now, key in trace:
        clock["now"] = now
        decisions = {algorithm: limiter.hit(key).allowed for algorithm, limiter in limits.items()}
        admitted.update(a for a, allowed in decisions.items() if allowed)
        disagreements += decisions["sliding_log"] != decisions["sliding_counter"]
    error = abs(admitted["sliding_counter"] - admitted["sliding_log"]) / admitted["sliding_log"]
    return {"requests": len(trace), "admitted_log": admitted["sliding_log"],
            "admitted_counter": admitted["sliding_counter"], "refused_by_log": len(trace) - admitted["sliding_log"],
            "relative_error": round(error, 5), "decisions_differing": round(disagreements / len(trace), 5)}


def latency(table: str, outputs: dict[str, Any], endpoint: str | None) -> dict[str, Any]:
    limiter = RateLimiter(LimiterSettings(table=table, limits=(Limit("l", 100000, 60),), namespace="bench-lat"),
                          boto3.client("dynamodb"))
    inproc = []
    for _ in range(200):
        started = time.perf_counter()
        limiter.hit("k")
        inproc.append(time.perf_counter() - started)
    api_key = secrets.token_urlsafe(16)
    boto3.client("dynamodb").put_item(TableName=outputs["limiter"]["clients_table_name"],
                                      Item={"key_hash": {"S": key_hash(api_key)}, "client": {"S": "bench"}})
    url = reachable_url(outputs["api"]["url"], endpoint) + "/limited/hello"
    session, through = requests.Session(), []
    for _ in range(200):
        started = time.perf_counter()
        assert session.get(url, headers={"x-api-key": api_key}, timeout=30).status_code == 200
        through.append(time.perf_counter() - started)

    def pct(values: list[float], q: int) -> float:
        return round(statistics.quantiles(values, n=100)[q - 1] * 1000, 2)

    return {"in_process_ms": {"p50": pct(inproc, 50), "p95": pct(inproc, 95)},
            "through_authorizer_ms": {"p50": pct(through, 50), "p95": pct(through, 95)},
            "note": "through the authorizer: the whole HTTP request (authorizer + backend Lambda)"}


def buffer(outputs: dict[str, Any], endpoint: str | None, region: str) -> dict[str, Any]:
    url = reachable_url(outputs["buffer"]["url"], endpoint) + "/requests"
    session = requests.Session()
    session.auth = SigV4(region)
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=8))

    def send(i: int) -> int:
        for _ in range(100):
            status = session.post(url, json={"payload": {"n": i}}, timeout=60).status_code
            if status not in (429, 502, 504):
                return status
            time.sleep(0.1)
        return status

    started = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        statuses = Counter(pool.map(send, range(BUFFERED)))
    accepted_s = time.perf_counter() - started
    table = boto3.resource("dynamodb").Table(outputs["buffer"]["status_table_name"])
    deadline = time.monotonic() + 600
    done = 0
    while time.monotonic() < deadline:
        done = table.scan(Select="COUNT", FilterExpression="#s = :d", ExpressionAttributeNames={"#s": "status"},
                          ExpressionAttributeValues={":d": "done"}, ConsistentRead=True)["Count"]
        if done >= BUFFERED:
            break
        time.sleep(1)
    drained_s = time.perf_counter() - started
    obs = boto3.resource("dynamodb").Table(outputs["observations"])
    items = obs.scan(ConsistentRead=True)["Items"]
    calls = [int(i["n"]) for i in items if i["id"].startswith("calls#")]
    peak = next(int(i["n"]) for i in items if i["id"] == "peak")
    return {"requests": BUFFERED, "accepted_202": statuses[202], "done": done, "max_concurrency": N,
            "observed_peak_concurrency": peak, "processed_once": calls.count(1),
            "processed_twice_or_more": sum(c > 1 for c in calls), "seconds_to_accept": round(accepted_s, 1),
            "seconds_to_drain": round(drained_s, 1)}


def chart(data: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (admit, writes, lat) = plt.subplots(1, 3, figsize=(14, 4))
    rows = data["admission"]
    names = [r["algorithm"].replace("_", "\n") for r in rows]
    admit.bar(names, [r["admitted"] for r in rows], color="#4c72b0")
    admit.axhline(LIMIT, color="black", linestyle="--", label=f"ideal ({LIMIT})")
    admit.set_title(f"admitted of {REQUESTS}, {CLIENTS} clients")
    admit.legend()
    writes.bar(names, [r["write_calls_per_decision"] for r in rows], color="#dd8452")
    writes.set_title("DynamoDB write calls per decision (counted)")
    ms = data["latency"]
    lat.bar(["in-process\np50", "in-process\np95", "authorizer\np50", "authorizer\np95"],
            [ms["in_process_ms"]["p50"], ms["in_process_ms"]["p95"], ms["through_authorizer_ms"]["p50"],
             ms["through_authorizer_ms"]["p95"]], color="#55a868")
    lat.set_title("decision latency (ms)")
    fig.suptitle(f"Rate limiting on the {data['target']} target; counter error vs log "
                 f"{data['counter_error']['relative_error']:.3%}")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def measure(target: Target) -> dict[str, Any]:
    outputs = deploy(PROGRAM, target, stack="bench").outputs
    table = outputs["limiter"]["state_table_name"]
    data: dict[str, Any] = {"target": target.kind, "cpus": os.cpu_count(), "python": platform.python_version()}
    data["admission"] = admission(table)
    data["counter_error"] = counter_error()
    print(data["counter_error"], flush=True)
    data["latency"] = latency(table, outputs, target.endpoint)
    print(data["latency"], flush=True)
    data["buffer"] = buffer(outputs, target.endpoint, target.region)
    print(data["buffer"], flush=True)
    by = {r["algorithm"]: r for r in data["admission"]}
    data["ratios"] = {
        "through_authorizer_vs_in_process_p50": round(data["latency"]["through_authorizer_ms"]["p50"]
                                                      / data["latency"]["in_process_ms"]["p50"], 1),
        "log_vs_bucket_writes_per_decision": round(by["sliding_log"]["write_calls_per_decision"]
                                                   / by["token_bucket"]["write_calls_per_decision"], 2),
        "buffer_peak_vs_cap": round(data["buffer"]["observed_peak_concurrency"] / N, 2),
    }
    data["targets"] = {
        "no_over_admission_bucket_fixed_log": all(by[a]["over_admitted"] == 0 for a in ALGORITHMS[:3]),
        "counter_error_at_most_1_percent": data["counter_error"]["relative_error"] <= 0.01,
        "buffer_never_above_cap": data["buffer"]["observed_peak_concurrency"] <= N,
        "buffer_each_processed_once": data["buffer"]["processed_once"] == BUFFERED,
    }
    return data


def main() -> None:
    RESULTS.mkdir(exist_ok=True)
    with cloud(RESULTS / "rate_limit-emulator.log") as (target, _):
        data = measure(target)
    (RESULTS / "rate_limit-emulator.log").unlink(missing_ok=True)
    (RESULTS / "rate_limit.json").write_text(json.dumps(data, indent=2) + "\n")
    chart(data, RESULTS / "rate_limit.png")
    print(json.dumps({"ratios": data["ratios"], "targets": data["targets"]}, indent=2))


if __name__ == "__main__":
    main()
