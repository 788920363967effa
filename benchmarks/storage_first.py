"""Storage-first vs a Lambda proxy doing the same write, side by side in one run.

Two routes on one deployment take the same 1 KB JSON body into the same SQS queue and answer 202 with
the message id: ``POST /orders`` stored by API Gateway itself (the storage-first route, no Lambda) and
``POST /orders`` of a Lambda-proxy API whose function calls ``SendMessage``
(benchmarks/programs/storage_first/). Both are raced at the same time with the same number of
senders, for the same windows, so background load affects them alike: accepted requests per second
and latency percentiles (p50, p95) per round, with medians over the rounds; then one request at a time
per route (latency without contention).

Run: ``.venv/bin/python benchmarks/storage_first.py`` (writes benchmarks/results/storage_first.json +
.png). It starts its own embedded emulator, or uses ``AWS_ENDPOINT_URL`` when set.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from requests.adapters import HTTPAdapter  # noqa: E402

from localcloud.deploy import deploy  # noqa: E402
from localcloud.session import cloud  # noqa: E402
from localcloud.target import Target, reachable_url  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
PROGRAM = ROOT / "benchmarks" / "programs" / "storage_first"
SENDERS_PER_ROUTE = 4  # 4 Lambda-proxy requests in flight: under the emulator's cap of 8 executions
WARM_UP_SECONDS = 4
ROUND_SECONDS = 8
ROUNDS = 4
SEQUENTIAL = 200


def _body() -> bytes:
    prefix = b'{"sku": "' + uuid.uuid4().hex.encode() + b'", "quantity": 1, "filler": "'
    return prefix + b"x" * (1024 - len(prefix) - 2) + b'"}'


def _session() -> requests.Session:
    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=0, pool_maxsize=32))
    return session


def _post(session: requests.Session, url: str) -> tuple[int, float]:
    started = time.perf_counter()
    status = session.post(url, data=_body(), headers={"Content-Type": "application/json"}, timeout=60).status_code
    return status, (time.perf_counter() - started) * 1000


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def _race(urls: dict[str, str], session: requests.Session, seconds: float) -> dict[str, dict]:
    stop = time.monotonic() + seconds

    def send(url: str) -> list[tuple[int, float]]:
        seen = []
        while time.monotonic() < stop:
            seen.append(_post(session, url))
        return seen

    with ThreadPoolExecutor(max_workers=SENDERS_PER_ROUTE * len(urls)) as pool:
        futures = {name: [pool.submit(send, url) for _ in range(SENDERS_PER_ROUTE)] for name, url in urls.items()}
        results = {name: [x for f in fs for x in f.result()] for name, fs in futures.items()}
    return {name: {"accepted_per_second": sum(1 for s, _ in seen if s == 202) / seconds,
                   "other_statuses": sorted({s for s, _ in seen if s != 202}),
                   "p50_ms": _percentile([ms for s, ms in seen if s == 202], 0.5),
                   "p95_ms": _percentile([ms for s, ms in seen if s == 202], 0.95)}
            for name, seen in results.items()}


def deployed(endpoint: str) -> dict:
    outputs = deploy(PROGRAM, Target("endpoint", endpoint), stack="bench", driver="engine").outputs
    urls = {"storage-first (API Gateway -> SQS)": reachable_url(outputs["direct_url"], endpoint) + "/orders",
            "Lambda proxy (API Gateway -> Lambda -> SQS)": reachable_url(outputs["proxy_url"], endpoint) + "/orders"}
    session = _session()
    _race(urls, session, WARM_UP_SECONDS)
    rounds = [_race(urls, session, ROUND_SECONDS) for _ in range(ROUNDS)]
    summary = {name: {metric: statistics.median(r[name][metric] for r in rounds)
                      for metric in ("accepted_per_second", "p50_ms", "p95_ms")} for name in urls}
    one_at_a_time = {}
    for name, url in urls.items():
        latencies = [ms for status, ms in (_post(session, url) for _ in range(SEQUENTIAL)) if status == 202]
        one_at_a_time[name] = {"p50_ms": _percentile(latencies, 0.5), "p95_ms": _percentile(latencies, 0.95),
                               "accepted": len(latencies)}
    direct, proxy = urls
    return {"senders_per_route": SENDERS_PER_ROUTE, "round_seconds": ROUND_SECONDS, "rounds": rounds,
            "median": summary, "one_at_a_time": one_at_a_time,
            "throughput_ratio_direct_to_proxy":
                summary[direct]["accepted_per_second"] / summary[proxy]["accepted_per_second"]}


def chart(data: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(data["deployed"]["median"])
    labels = [n.split(" (")[0] for n in names]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.bar(labels, [data["deployed"]["median"][n]["accepted_per_second"] for n in names], color=["C2", "C0"])
    left.set_ylabel("accepted requests / s (median of rounds)")
    left.set_title(f"{data['deployed']['senders_per_route']} senders per route, raced together")
    width = 0.35
    for offset, metric in enumerate(("p50_ms", "p95_ms")):
        right.bar([i + (offset - 0.5) * width for i in range(len(names))],
                  [data["deployed"]["median"][n][metric] for n in names], width, label=metric.replace("_ms", ""))
    right.set_xticks(range(len(names)), labels)
    right.set_ylabel("latency under load, ms")
    right.legend()
    fig.suptitle(f"Storage-first vs Lambda proxy, same write ({data['target']})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> dict:
    data: dict = {"load_average_before": os.getloadavg()}
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        data["target"] = "AWS_ENDPOINT_URL"
        data["deployed"] = deployed(endpoint)
    else:
        with tempfile.TemporaryDirectory() as tmp, cloud(Path(tmp) / "emulator.log") as (target, _):
            data["target"] = "embedded emulator"
            data["deployed"] = deployed(target.endpoint)
    data["load_average_after"] = os.getloadavg()
    return data


if __name__ == "__main__":
    RESULTS.mkdir(parents=True, exist_ok=True)
    results = main()
    (RESULTS / "storage_first.json").write_text(json.dumps(results, indent=2))
    chart(results, RESULTS / "storage_first.png")
    print(json.dumps({"median": results["deployed"]["median"], "one_at_a_time": results["deployed"]["one_at_a_time"],
                      "throughput_ratio_direct_to_proxy": round(results["deployed"]["throughput_ratio_direct_to_proxy"],
                                                                2)}, indent=2))
