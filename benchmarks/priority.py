"""Benchmark: how long do high-priority jobs wait while 2,000 low-priority jobs are queued?

Two deployments of the same worker with the same total concurrency (6), measured one after the
other in one run:

- ``levels``: ``PriorityQueues`` with a high level (share 4) and a low level (share 2);
- ``single``: the baseline, one queue (share 6) taking both kinds of job in arrival order.

Each scenario first runs every level at its full share once (warm execution environments), then
enqueues 2,000 low jobs, then 40 high jobs spread over a few seconds while the
backlog is still there. A job's wait is ``started_at - enqueued_at`` from the worker's outcome
records. Reported: the high jobs' p50/p95 wait in both, their ratio, and the low jobs' throughput
in both (what the shares cost the low level). Writes ``benchmarks/results/priority.json`` and
``priority.png``.

Run: ``.venv/bin/python benchmarks/priority.py`` (starts its own emulator; or set
``AWS_ENDPOINT_URL`` to use a running one).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402

from functions.priority.client import PriorityQueueClient  # noqa: E402
from functions.priority.dynamo_queue import plain  # noqa: E402
from localcloud.deploy import deploy  # noqa: E402
from localcloud.session import cloud  # noqa: E402

LOW_JOBS = 2000
HIGH_JOBS = 40
HIGH_SPACING_S = 0.15  # high jobs arrive over ~6 s, while the low backlog is still queued
WORK_MS = 20  # simulated work per job (the example handler's ``work_ms`` hook)
RESULTS = ROOT / "benchmarks" / "results"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def scan_all(table: Any) -> list[dict[str, Any]]:
    items, kwargs = [], {"ConsistentRead": True}
    while True:
        page = table.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return [plain(i) for i in items]
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def wait_for(table: Any, ids: list[str], name: str) -> dict[str, dict[str, Any]]:
    """The records of ``ids`` once all have succeeded."""
    wanted, deadline = set(ids), time.time() + 600
    while True:
        done = {r["id"]: r for r in scan_all(table) if r["id"] in wanted and r.get("status") == "succeeded"}
        print(f"  [{name}] {len(done)}/{len(wanted)} done", flush=True)
        if len(done) == len(wanted):
            return done
        if time.time() > deadline:
            raise SystemExit(f"{name}: jobs did not finish within 10 minutes")
        time.sleep(3)


def warm_up(client: PriorityQueueClient, table: Any, shares: dict[str, int], name: str) -> None:
    """Run every level at its full share once, so both deployments are measured with warm execution
    environments (cold starts would otherwise dominate the first high-priority waits)."""
    ids = [job_id for level, share in shares.items()
           for job_id in client.submit_many(level, [{"work_ms": 300}] * (10 * share))]
    wait_for(table, ids, f"{name} warm-up")


def run_scenario(name: str, outputs: dict[str, Any], warm: bool = True) -> dict[str, Any]:
    """One measured run; ``warm=False`` measures straight after deployment, cold starts included."""
    client = PriorityQueueClient(outputs["level_queue_urls"])
    table = boto3.resource("dynamodb").Table(outputs["jobs_table_name"])
    low_level, high_level = ("low", "high") if name == "levels" else ("all", "all")
    if warm:
        warm_up(client, table, {"high": 4, "low": 2} if name == "levels" else {"all": 6}, name)
    started = time.time()
    low = client.submit_many(low_level, [{"work_ms": WORK_MS, "kind": "low"} for _ in range(LOW_JOBS)])
    high = []
    for _ in range(HIGH_JOBS):
        high.append(client.submit(high_level, {"work_ms": WORK_MS, "kind": "high"}))
        time.sleep(HIGH_SPACING_S)
    done = wait_for(table, low + high, name)
    high_waits = [done[i]["started_at"] - done[i]["enqueued_at"] for i in high]
    low_records = [done[i] for i in low]
    low_span_s = (max(r["completed_at"] for r in low_records) - min(r["started_at"] for r in low_records)) / 1000
    return {
        "high_wait_ms": {"p50": percentile(high_waits, 50), "p95": percentile(high_waits, 95),
                         "max": max(high_waits), "mean": statistics.fmean(high_waits)},
        "high_waits_ms": sorted(high_waits),
        "low_throughput_jobs_per_s": LOW_JOBS / low_span_s,
        "low_drain_s": low_span_s,
        "wall_s": time.time() - started,
    }


def chart(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scenarios = result["scenarios"]
    fig, (waits, throughput) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, label in (("levels", "priority levels (high 4 / low 2)"), ("single", "single queue (6)")):
        values = [max(v, 1) for v in scenarios[name]["high_waits_ms"]]
        waits.plot(values, [(i + 1) / len(values) for i in range(len(values))], marker=".", label=label)
    waits.set_xscale("log")
    waits.set_xlabel("high-priority job wait, ms (log)")
    waits.set_ylabel("fraction of high jobs")
    waits.set_title(f"High-priority wait behind {LOW_JOBS} low jobs\np95 ratio single/levels = "
                    f"{result['ratios']['high_p95_single_over_levels']:.0f}x")
    waits.legend(loc="lower right")
    names = ["levels", "single"]
    bars = [scenarios[n]["low_throughput_jobs_per_s"] for n in names]
    throughput.bar(["priority levels\n(low share 2 of 6)", "single queue\n(all 6)"], bars, color=["C0", "C1"])
    throughput.set_ylabel("low jobs per second")
    throughput.set_title(f"What it costs the low level: {result['ratios']['low_throughput_levels_over_single']:.2f}x "
                         "throughput")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    os.environ.setdefault("SERVERLESS_PATTERNS_BUILD_DIR", str(ROOT / ".build"))
    with cloud(ROOT / ".localcloud" / "bench-priority-emulator.log") as (target, process):
        endpoint = target.endpoint
        outputs = deploy(ROOT / "benchmarks" / "programs" / "priority", target, stack="bench").outputs
        scenarios = {}
        for name in ("single", "levels"):  # first cold (straight after deployment), then warmed up
            print(f"scenario {name}, cold: {LOW_JOBS} low jobs, then {HIGH_JOBS} high jobs", flush=True)
            scenarios[f"{name}-cold"] = run_scenario(name, outputs[name], warm=False)
        for name in ("single", "levels"):
            print(f"scenario {name}, warm: {LOW_JOBS} low jobs, then {HIGH_JOBS} high jobs", flush=True)
            scenarios[name] = run_scenario(name, outputs[name])
    levels, single = scenarios["levels"], scenarios["single"]
    levels_cold, single_cold = scenarios["levels-cold"], scenarios["single-cold"]
    result = {
        "benchmark": "priority",
        "target": "embedded MiniStack" if process else endpoint,
        "workload": {"low_jobs": LOW_JOBS, "high_jobs": HIGH_JOBS, "high_spacing_s": HIGH_SPACING_S,
                     "work_ms_per_job": WORK_MS, "batch_size": 10, "total_worker_concurrency": 6},
        "scenarios": scenarios,
        "ratios": {
            "high_p95_single_over_levels": single["high_wait_ms"]["p95"] / max(levels["high_wait_ms"]["p95"], 1),
            "high_p50_single_over_levels": single["high_wait_ms"]["p50"] / max(levels["high_wait_ms"]["p50"], 1),
            "low_throughput_levels_over_single": levels["low_throughput_jobs_per_s"]
            / single["low_throughput_jobs_per_s"],
            "cold_high_p95_single_over_levels": single_cold["high_wait_ms"]["p95"]
            / max(levels_cold["high_wait_ms"]["p95"], 1),
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "priority.json").write_text(json.dumps(result, indent=2) + "\n")
    chart(result, RESULTS / "priority.png")
    for name in ("levels", "single", "levels-cold", "single-cold"):
        s = scenarios[name]
        print(f"{name:>7}: high wait p50 {s['high_wait_ms']['p50']:.0f} ms, p95 {s['high_wait_ms']['p95']:.0f} ms; "
              f"low throughput {s['low_throughput_jobs_per_s']:.1f} jobs/s")
    print(json.dumps(result["ratios"], indent=2))


if __name__ == "__main__":
    main()
