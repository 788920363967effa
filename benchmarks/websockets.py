"""WebSocket broadcast, side by side in one run against one deployment (embedded emulator unless
``AWS_ENDPOINT_URL`` names a target): the sharded fan-out vs a single-function loop.

For 10, 100 and 500 connected clients on one topic, ``REPEATS`` publishes each: the latency from the
publish (a client's frame sent) to the last client's receipt, p50 and p95, and deliveries per second
(clients / that latency). Every publish must reach every client exactly once (checked).

Run: ``.venv/bin/python benchmarks/websockets.py`` (writes benchmarks/results/websockets.json + .png).
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# this file's folder comes first on sys.path when it runs as a script: it would shadow the `websockets` package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from localcloud.deploy import deploy  # noqa: E402
from localcloud.session import cloud  # noqa: E402
from localcloud.target import Target, reachable_url  # noqa: E402
from tests.e2e.websockets.support import (  # noqa: E402
    close_all,
    connect_secret,
    open_clients,
    run,
    topic_name,
    wait_for_messages,
)

RESULTS = ROOT / "benchmarks" / "results"
PROGRAM = ROOT / "benchmarks" / "programs" / "websockets"
SIZES = (10, 100, 500)
REPEATS = int(os.environ.get("WEBSOCKETS_BENCH_REPEATS", "5"))
VARIANTS = ("sharded", "loop")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def broadcast_latencies(url: str, secret: bytes, size: int) -> list[float]:
    topic = topic_name(f"bench{size}")
    clients = await open_clients(url, secret, size, f"b{size}", topics=[topic])
    try:
        latencies = []
        for repeat in range(1, REPEATS + 1):
            started = time.monotonic()
            await clients[0].socket.send(json.dumps({"action": "publish", "topic": topic, "data": repeat}))
            await wait_for_messages(clients, topic, repeat, timeout=300)
            latencies.append(time.monotonic() - started)
        await asyncio.sleep(1)
        assert all([m["data"] for m in c.messages(topic)] == list(range(1, REPEATS + 1)) for c in clients)
        return latencies
    finally:
        await close_all(clients)


def measure(target: Target) -> dict[str, Any]:
    outputs = deploy(PROGRAM, target, stack="bench").outputs
    data: dict[str, Any] = {"target": target.kind, "cpus": os.cpu_count(), "python": platform.python_version(),
                            "repeats": REPEATS, "rows": []}
    for size in SIZES:
        for variant in VARIANTS:
            exported = outputs[variant]
            latencies = run(broadcast_latencies(reachable_url(exported["websocket_api_url"], target.endpoint),
                                                connect_secret(exported["token_secret_arn"]), size))
            p50, p95 = statistics.median(latencies), percentile(latencies, 0.95)
            row = {"variant": variant, "connections": size, "p50_seconds": round(p50, 3),
                   "p95_seconds": round(p95, 3), "deliveries_per_second": round(size / p50, 1),
                   "latencies": [round(v, 3) for v in latencies]}
            print(json.dumps(row))
            data["rows"].append(row)
    return data


def chart(data: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (latency, rate) = plt.subplots(1, 2, figsize=(11, 4))
    for variant, color in zip(VARIANTS, ("C0", "C1"), strict=True):
        rows = [r for r in data["rows"] if r["variant"] == variant]
        sizes = [r["connections"] for r in rows]
        latency.plot(sizes, [r["p50_seconds"] for r in rows], marker="o", color=color, label=f"{variant} p50")
        latency.plot(sizes, [r["p95_seconds"] for r in rows], marker="x", linestyle="--", color=color,
                     label=f"{variant} p95")
        rate.plot(sizes, [r["deliveries_per_second"] for r in rows], marker="o", color=color, label=variant)
    latency.set(xlabel="connections on the topic", ylabel="publish -> last client received (s)",
                title="broadcast latency")
    rate.set(xlabel="connections on the topic", ylabel="deliveries / s (at p50)", title="throughput")
    for axis in (latency, rate):
        axis.set_xscale("log")
        axis.legend()
    fig.suptitle(f"WebSocket broadcast: sharded fan-out vs one looping function ({data['target']}, "
                 f"{data['cpus']} CPUs)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    RESULTS.mkdir(exist_ok=True)
    with cloud(RESULTS / "websockets-emulator.log") as (target, _):
        data = measure(target)
    (RESULTS / "websockets-emulator.log").unlink(missing_ok=True)
    (RESULTS / "websockets.json").write_text(json.dumps(data, indent=2) + "\n")
    chart(data, RESULTS / "websockets.png")


if __name__ == "__main__":
    main()
