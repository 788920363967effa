"""Outbound webhooks on the embedded emulator, side by side in one run against one deployment:

- throughput: 4 healthy endpoints, 150 messages sent by 8 concurrent clients: deliveries per second
  (first send to last delivery);
- isolation: 3 healthy endpoints, messages at a steady 8 per second; the healthy deliveries' latency
  (send to received) p50/p95 without, then with, a fourth endpoint that never answers within the 3 s
  request timeout, in alternating rounds (target: the slow endpoint raises the healthy p95 by at most 20%).

The receiver runs in this process on 127.0.0.1 (``localcloud.receiver``), so the run needs a target whose
functions can reach this machine's loopback: the embedded emulator.

Run: ``.venv/bin/python benchmarks/webhook_delivery.py`` (writes benchmarks/results/webhook_delivery.json + .png).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from localcloud.deploy import deploy  # noqa: E402
from localcloud.http import signed_session  # noqa: E402
from localcloud.receiver import Receiver, Reply  # noqa: E402
from localcloud.session import cloud  # noqa: E402
from localcloud.target import Target, reachable_url  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
PROGRAM = ROOT / "benchmarks" / "programs" / "webhook_delivery"
THROUGHPUT_MESSAGES, THROUGHPUT_ENDPOINTS, CLIENTS = 150, 4, 8
RATE, ROUND_MESSAGES, ROUNDS, HEALTHY = 8.0, 40, 2, 3


def percentile(values: list[float], q: float) -> float:
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 1) if len(values) > 1 else values[0]


class Bench:
    def __init__(self, base: str, region: str) -> None:
        self.base, self.http, self.receiver = base, signed_session(region), Receiver(lifetime=1800)

    def endpoint(self, event_type: str, reply: Reply | None = None) -> tuple[str, str]:
        path = f"/b/{uuid.uuid4().hex}"
        if reply:
            self.receiver.script(path, [], then=reply)
        response = self.http.post(f"{self.base}/endpoints", json={"url": self.receiver.url(path),
                                                                  "event_types": [event_type]})
        response.raise_for_status()
        return response.json()["id"], path

    def disable(self, endpoint_id: str) -> None:
        self.http.patch(f"{self.base}/endpoints/{endpoint_id}", json={"disabled": True}).raise_for_status()

    def send(self, event_type: str) -> tuple[str, float]:
        message_id, sent = f"msg_{uuid.uuid4().hex}", time.time()
        response = self.http.post(f"{self.base}/messages", json={"event_type": event_type, "payload": {"n": 1},
                                                                 "id": message_id})
        response.raise_for_status()
        return message_id, sent


def throughput(bench: Bench) -> dict[str, Any]:
    endpoints = [bench.endpoint("bench.throughput") for _ in range(THROUGHPUT_ENDPOINTS)]
    started = time.time()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(lambda _: bench.send("bench.throughput"), range(THROUGHPUT_MESSAGES)))
    accepted = time.time()
    bench.receiver.wait_for([p for _, p in endpoints], THROUGHPUT_MESSAGES, timeout=120)
    last = max(r.at for _, p in endpoints for r in bench.receiver.requests(p))
    deliveries = THROUGHPUT_MESSAGES * THROUGHPUT_ENDPOINTS
    for endpoint_id, _ in endpoints:
        bench.disable(endpoint_id)
    return {"messages": THROUGHPUT_MESSAGES, "endpoints": THROUGHPUT_ENDPOINTS, "deliveries": deliveries,
            "seconds": round(last - started, 2), "deliveries_per_second": round(deliveries / (last - started), 1),
            "messages_accepted_per_second": round(THROUGHPUT_MESSAGES / (accepted - started), 1)}


def latency_round(bench: Bench, with_slow: bool) -> list[float]:
    """Healthy deliveries' latencies (ms) for ROUND_MESSAGES sent at RATE, with or without a slow endpoint."""
    healthy = [bench.endpoint("bench.latency") for _ in range(HEALTHY)]
    slow = bench.endpoint("bench.latency", Reply(200, delay=10)) if with_slow else None
    sent: dict[str, float] = {}
    for _ in range(ROUND_MESSAGES):
        message_id, at = bench.send("bench.latency")
        sent[message_id] = at
        time.sleep(max(0.0, 1 / RATE - (time.time() - at)))
    bench.receiver.wait_for([p for _, p in healthy], ROUND_MESSAGES, timeout=120)
    for endpoint_id, _ in healthy + ([slow] if slow else []):
        bench.disable(endpoint_id)
    return [(r.at - sent[r.headers["webhook-id"]]) * 1000 for _, p in healthy for r in bench.receiver.requests(p)]


def measure(target: Target) -> dict[str, Any]:
    outputs = deploy(PROGRAM, target, stack="bench").outputs["hooks"]
    bench = Bench(reachable_url(outputs["url"], target.endpoint), target.region)
    data: dict[str, Any] = {"target": target.kind, "cpus": os.cpu_count(), "python": platform.python_version()}
    warm, warm_path = bench.endpoint("bench.warmup")
    for _ in range(20):  # start the workers the rounds will use
        bench.send("bench.warmup")
    bench.receiver.wait_for([warm_path], 20)
    bench.disable(warm)
    data["throughput"] = throughput(bench)
    print(data["throughput"], flush=True)
    alone: list[float] = []
    beside_slow: list[float] = []
    for _ in range(ROUNDS):  # alternating, so drift in the emulator hits both alike
        alone += latency_round(bench, with_slow=False)
        beside_slow += latency_round(bench, with_slow=True)
    data["latency_ms"] = {
        "healthy_alone": {"p50": percentile(alone, 50), "p95": percentile(alone, 95), "count": len(alone)},
        "healthy_beside_a_timing_out_endpoint": {"p50": percentile(beside_slow, 50),
                                                 "p95": percentile(beside_slow, 95), "count": len(beside_slow)},
    }
    print(data["latency_ms"], flush=True)
    ms = data["latency_ms"]
    ratio = ms["healthy_beside_a_timing_out_endpoint"]["p95"] / ms["healthy_alone"]["p95"]
    data["ratios"] = {"healthy_p95_with_slow_vs_without": round(ratio, 2)}
    data["targets"] = {"slow_endpoint_raises_healthy_p95_by_at_most_20_percent": ratio <= 1.2}
    bench.receiver.stop()
    return data


def chart(data: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (lat, tput) = plt.subplots(1, 2, figsize=(10, 4))
    ms = data["latency_ms"]
    labels = ["alone", "beside a\ntiming-out endpoint"]
    rows = [ms["healthy_alone"], ms["healthy_beside_a_timing_out_endpoint"]]
    lat.bar([f"{label}\np50" for label in labels], [r["p50"] for r in rows], color="#4c72b0")
    lat.bar([f"{label}\np95" for label in labels], [r["p95"] for r in rows], color="#dd8452")
    lat.set_title("healthy endpoints: send to received (ms)")
    tput.bar(["deliveries/s"], [data["throughput"]["deliveries_per_second"]], color="#55a868")
    tput.set_title(f"{data['throughput']['deliveries']} deliveries to {data['throughput']['endpoints']} endpoints")
    fig.suptitle(f"Outbound webhooks on the {data['target']} target "
                 f"(p95 ratio {data['ratios']['healthy_p95_with_slow_vs_without']})")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    RESULTS.mkdir(exist_ok=True)
    with cloud(RESULTS / "webhook_delivery-emulator.log") as (target, _):
        data = measure(target)
    (RESULTS / "webhook_delivery-emulator.log").unlink(missing_ok=True)
    (RESULTS / "webhook_delivery.json").write_text(json.dumps(data, indent=2) + "\n")
    chart(data, RESULTS / "webhook_delivery.png")
    print(json.dumps({"ratios": data["ratios"], "targets": data["targets"]}, indent=2))


if __name__ == "__main__":
    main()
