"""Foundation timings: embedded emulator start, catalog deploy (local engine), and a demo round trip.

Run: ``.venv/bin/python benchmarks/foundation.py`` (writes benchmarks/results/foundation.json + .png).
Each figure is the median of several runs on this machine; deploys go into a freshly reset emulator.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from localcloud import emulator  # noqa: E402
from localcloud.deploy import deploy  # noqa: E402
from localcloud.target import Target  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def measure(runs: int = 5) -> dict:
    starts, deploys, resources = [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            began = time.perf_counter()
            process = emulator.start(Path(tmp) / f"e{i}.log")
            starts.append(time.perf_counter() - began)
            try:
                result = deploy(ROOT, Target("embedded", process.endpoint), driver="engine")
                deploys.append(result.seconds)
                resources = len(result.resources)
            finally:
                process.stop()
    return {
        "runs": runs,
        "emulator_start_s": {"median": statistics.median(starts), "all": starts},
        "catalog_deploy_s": {"median": statistics.median(deploys), "all": deploys},
        "catalog_resources": resources,
    }


def chart(data: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3))
    labels = ["emulator start", f"catalog deploy ({data['catalog_resources']} resources)"]
    values = [data["emulator_start_s"]["median"], data["catalog_deploy_s"]["median"]]
    ax.barh(labels, values, color=["#4c72b0", "#55a868"])
    for y, v in enumerate(values):
        ax.text(v, y, f" {v:.2f}s", va="center")
    ax.set_xlabel("seconds (median)")
    ax.set_title("serverless-patterns local cloud")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = measure()
    (RESULTS / "foundation.json").write_text(json.dumps(data, indent=2))
    chart(data, RESULTS / "foundation.png")
    print(json.dumps({k: v["median"] if isinstance(v, dict) else v for k, v in data.items()}, indent=2))
