"""Consistent-hashing algorithms side by side with ``uhashring``, in one run on 100,000 keys and 10
shards: keys moved when an 11th shard joins and leaves (vs the ideal 1/11), load balance (max/mean and
standard deviation of keys per shard) and lookup time per key (medians of interleaved rounds).

Run: ``.venv/bin/python benchmarks/sharding.py`` (writes benchmarks/results/sharding.json + .png).
Pure Python, no emulator: placement is the part of the pattern whose cost is per message.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from uhashring import HashRing as UHashRing  # noqa: E402

from functions.sharding.placement import make_placement, spread  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
KEYS = [f"tenant-{n}" for n in range(100_000)]
SHARDS = [f"s{n}" for n in range(10)]
ROUNDS = 5
LOAD_FACTOR = 1.25
OURS = ("ring", "ketama", "jump", "rendezvous", "bounded")


class UhashringPlacement:
    """uhashring behind the same two calls the benchmark makes."""

    def __init__(self, shards: list[str], ketama: bool) -> None:
        self.ring = UHashRing(nodes=list(shards), hash_fn="ketama") if ketama else UHashRing(nodes=list(shards))
        self.shard_for = self.ring.get_node

    def assign(self, keys: list[str]) -> dict[str, str]:
        return {k: self.shard_for(k) for k in keys}


def placement(name: str, shards: list[str]) -> Any:
    if name.startswith("uhashring"):
        return UhashringPlacement(shards, ketama=name == "uhashring-ketama")
    return make_placement(name, shards, load_factor=LOAD_FACTOR)


NAMES = (*OURS, "uhashring", "uhashring-ketama")


def movement(name: str) -> dict[str, float]:
    ten, eleven = placement(name, SHARDS).assign(KEYS), placement(name, [*SHARDS, "s10"]).assign(KEYS)
    added = sum(ten[k] != eleven[k] for k in KEYS) / len(KEYS)
    to_new = sum(eleven[k] == "s10" for k in KEYS if ten[k] != eleven[k]) / max(1, sum(ten[k] != eleven[k]
                                                                                     for k in KEYS))
    # Removing s10 again gives back the 10-shard placement exactly (placement is a function of the
    # membership), so the same keys move back: moved on remove = moved on add.
    return {"moved_on_add": round(added, 5), "moved_on_remove": round(added, 5),
            "moved_to_new_shard_share": round(to_new, 5), "ideal": round(1 / 11, 5),
            "off_ideal_points": round(abs(added - 1 / 11) * 100, 3)}


def balance(name: str) -> dict[str, float]:
    found = _counts(placement(name, SHARDS).assign(KEYS))
    counts = [found.get(s, 0) for s in SHARDS]
    ratio, deviation = spread(counts)
    return {"max_over_mean": round(ratio, 4), "std": round(deviation, 1), "min": min(counts), "max": max(counts)}


def _counts(assignment: dict[str, str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for shard in assignment.values():
        found[shard] = found.get(shard, 0) + 1
    return found


def lookups() -> dict[str, float]:
    """Microseconds per lookup, each the median of ROUNDS rounds; algorithms interleaved per round."""
    samples: dict[str, list[float]] = {n: [] for n in NAMES if n != "bounded"}
    built = {n: placement(n, SHARDS) for n in samples}
    for _ in range(ROUNDS):
        for name, p in built.items():
            lookup = p.shard_for
            began = time.perf_counter()
            for key in KEYS:
                lookup(key)
            samples[name].append((time.perf_counter() - began) / len(KEYS) * 1e6)
    return {name: round(statistics.median(values), 3) for name, values in samples.items()}


def measure() -> dict[str, Any]:
    moves = {n: movement(n) for n in NAMES}
    balances = {n: balance(n) for n in NAMES}
    micros = lookups()
    baseline = micros["uhashring"]
    ratios = {n: round(v / baseline, 3) for n, v in micros.items()}
    targets = {
        "moved_within_1pct_of_ideal": {n: m["off_ideal_points"] <= 1 for n, m in moves.items()},
        "bounded_max_over_mean_at_most_c": balances["bounded"]["max_over_mean"] <= LOAD_FACTOR,
        "lookup_no_slower_than_uhashring": {n: r <= 1.0 for n, r in ratios.items()},
    }
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "keys": len(KEYS), "shards": len(SHARDS),
            "load_factor": LOAD_FACTOR, "movement": moves, "balance": balances, "lookup_us": micros,
            "lookup_vs_uhashring": ratios, "targets": targets}


def chart(data: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(NAMES)
    fig, (move, load, speed) = plt.subplots(1, 3, figsize=(15, 4.2))
    colours = ["#4c72b0" if n in OURS else "#c44e52" for n in names]
    move.bar(names, [data["movement"][n]["moved_on_add"] for n in names], color=colours)
    move.axhline(1 / 11, color="black", linestyle="--", label="ideal 1/11")
    move.set_title("share of keys moved, 10 -> 11 shards")
    move.legend()
    load.bar(names, [data["balance"][n]["max_over_mean"] for n in names], color=colours)
    load.axhline(LOAD_FACTOR, color="black", linestyle=":", label=f"c = {LOAD_FACTOR}")
    load.set_ylim(0.95, max(1.3, max(data["balance"][n]["max_over_mean"] for n in names) + 0.05))
    load.set_title("max / mean keys per shard (100,000 keys)")
    load.legend()
    timed = [n for n in names if n in data["lookup_us"]]
    speed.bar(timed, [data["lookup_us"][n] for n in timed], color=[c for n, c in zip(names, colours, strict=True)
                                                                    if n in timed])
    speed.set_title("lookup, microseconds per key")
    for ax in (move, load, speed):
        ax.tick_params(axis="x", rotation=40)
    fig.suptitle("Consistent hashing: this library (blue) and uhashring (red)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    data = measure()
    (RESULTS / "sharding.json").write_text(json.dumps(data, indent=2) + "\n")
    chart(data, RESULTS / "sharding.png")
    for name in NAMES:
        print(f"{name:>17}  moved {data['movement'][name]['moved_on_add']:.4f} (ideal {1 / 11:.4f})  "
              f"max/mean {data['balance'][name]['max_over_mean']:.3f}  std {data['balance'][name]['std']:>7.1f}  "
              f"lookup {data['lookup_us'].get(name, float('nan')):.2f} us "
              f"({data['lookup_vs_uhashring'].get(name, float('nan')):.2f}x uhashring)")
    print(json.dumps(data["targets"], indent=2))


if __name__ == "__main__":
    RESULTS.mkdir(parents=True, exist_ok=True)
    main()
