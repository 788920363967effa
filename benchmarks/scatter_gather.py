"""Scatter-gather latency: request to completed aggregate for 1, 5, 10 and 20 providers of equal delay,
both variants, in one run. The claim: latency follows the slowest provider, not the number of providers
(20 providers within 1.5x the latency of 1).

On the embedded emulator the account runs at most ``LAMBDA_ACCOUNT_CONCURRENCY`` Lambdas at once (8 in
the tests), so 20 one-second providers cannot all run together there; the run therefore measures at the
test suite's cap and at a cap above the provider count (as an AWS account's 1000 is), and reports both.
With ``AWS_ENDPOINT_URL`` set it measures that endpoint once instead.

Run: ``.venv/bin/python benchmarks/scatter_gather.py`` -> benchmarks/results/scatter_gather.{json,png}
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

from localcloud.deploy import deploy  # noqa: E402
from localcloud.http import signed_session  # noqa: E402
from localcloud.session import cloud  # noqa: E402
from localcloud.target import Target, reachable_url  # noqa: E402

PROGRAM = ROOT / "benchmarks" / "programs" / "scatter_gather"
RESULTS = ROOT / "benchmarks" / "results"
PROVIDER_COUNTS = (1, 5, 10, 20)
REPETITIONS = 3
CAPS = (8, 32)  # the test suite's Lambda concurrency cap, and one above the provider count
TARGET_RATIO = 1.5

http = signed_session()  # SigV4 for the IamAuth routes; a throttled call (429) never ran: retried


def latency(url: str, providers: int) -> dict[str, Any]:
    """Seconds from sending the request to the aggregate's completion (server clock, same host)."""
    sent = time.time()
    response = http.post(f"{url}/quotes", json={"amount": 1000 * providers, "term": 12}, timeout=60)
    response.raise_for_status()
    correlation_id = response.json()["correlationId"]
    while True:
        view = http.get(f"{url}/quotes/{correlation_id}", timeout=60).json()
        if view["status"] == "complete":
            break
        if time.time() - sent > 60:
            raise RuntimeError(f"{correlation_id} did not complete")
        time.sleep(0.05)
    result = view["result"]
    return {"seconds": round(view["completedAt"] - sent, 3), "completedBy": result["completedBy"],
            "replies": result["replyCount"], "expected": result["expected"]}


def measure(endpoint: str | None, outputs: dict[str, Any]) -> dict[str, Any]:
    runs: dict[str, Any] = {}
    for variant, broker in outputs["brokers"].items():
        url = reachable_url(broker["url"], endpoint)
        latency(url, max(PROVIDER_COUNTS))  # warm every provider once; not measured
        samples = {n: [latency(url, n) for _ in range(REPETITIONS)] for n in PROVIDER_COUNTS}
        medians = {n: statistics.median(s["seconds"] for s in samples[n]) for n in PROVIDER_COUNTS}
        runs[variant] = {
            "samples": {str(n): s for n, s in samples.items()},
            "median_seconds": {str(n): m for n, m in medians.items()},
            "ratio_to_one_provider": {str(n): round(medians[n] / medians[1], 2) for n in PROVIDER_COUNTS},
            "all_complete_by_replies": all(s["completedBy"] == "all-replied" and s["replies"] == s["expected"]
                                           for ss in samples.values() for s in ss),
        }
        runs[variant]["meets_target"] = runs[variant]["ratio_to_one_provider"]["20"] <= TARGET_RATIO
        print(f"  {variant}: medians {runs[variant]['median_seconds']} ratios {runs[variant]['ratio_to_one_provider']}")
    return runs


def run_embedded(cap: int) -> dict[str, Any]:
    log = ROOT / ".localcloud" / f"bench-scatter-{cap}.log"
    with cloud(log, lambda_concurrency=cap) as (target, _):
        outputs = deploy(PROGRAM, target, stack="bench", driver="engine").outputs
        return measure(target.endpoint, outputs)


def chart(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for setting, runs in report["settings"].items():
        for variant, run in runs.items():
            ys = [run["median_seconds"][str(n)] for n in PROVIDER_COUNTS]
            ax.plot(PROVIDER_COUNTS, ys, marker="o", label=f"{variant}, {setting}")
    delay = report["provider_delay_seconds"]
    ax.axhline(delay, color="grey", linestyle=":", label=f"one provider's delay ({delay}s)")
    ax.set_xlabel("providers asked (equal delay)")
    ax.set_ylabel("request to completed aggregate, median (s)")
    ax.set_title("Scatter-gather latency follows the slowest provider when providers run concurrently")
    ax.set_xticks(PROVIDER_COUNTS)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> int:
    started = time.monotonic()
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    settings: dict[str, Any] = {}
    if endpoint:
        outputs = deploy(PROGRAM, Target("endpoint", endpoint), stack="bench").outputs
        settings["endpoint"] = measure(endpoint, outputs)
    else:
        for cap in CAPS:
            print(f"embedded emulator, Lambda concurrency cap {cap}")
            settings[f"Lambda concurrency cap {cap}"] = run_embedded(cap)
    report = {
        "benchmark": "scatter-gather: request to completed aggregate vs number of providers of equal delay",
        "target": f"20 providers within {TARGET_RATIO}x the latency of 1",
        "provider_counts": list(PROVIDER_COUNTS),
        "repetitions": REPETITIONS,
        "provider_delay_seconds": 1,
        "settings": settings,
        "seconds_total": round(time.monotonic() - started, 1),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scatter_gather.json").write_text(json.dumps(report, indent=2) + "\n")
    chart(report, RESULTS / "scatter_gather.png")
    print(f"wrote {RESULTS / 'scatter_gather.json'} and .png in {report['seconds_total']}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
