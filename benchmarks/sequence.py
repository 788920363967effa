"""Sequence generator modes side by side: ids/s and DynamoDB writes per id for atomic, gap-free and
block (N=100) at 1, 4 and 16 concurrent in-process clients, in one run against one deployment.

Run: ``.venv/bin/python benchmarks/sequence.py`` (writes benchmarks/results/sequence.json + .png).
Starts its own embedded emulator and deploys a SequenceGenerator with the local engine, unless
``AWS_ENDPOINT_URL`` names a target. Writes are counted, not estimated: a botocore hook on each
client's DynamoDB client records every write call it sends (and the items a transaction writes).
Throughput on the emulator says how the modes compare, not what AWS sustains (see the docs page).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402

from functions.sequence.client import SequenceClient  # noqa: E402
from functions.sequence.exceptions import Contention  # noqa: E402
from localcloud.deploy import deploy  # noqa: E402
from localcloud.session import cloud  # noqa: E402
from localcloud.target import Target  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
MODES = ("atomic", "gap-free", "block")
CONCURRENCY = (1, 4, 16)
BLOCK_SIZE = 100
IDS_PER_CELL = {"atomic": 1600, "gap-free": 800, "block": 16000}  # multiples of 16 x BLOCK_SIZE for block
WRITES = ("UpdateItem", "PutItem", "TransactWriteItems")

PROGRAM = f"""
import pulumi
from components.sequence import SequenceGenerator, SequenceGeneratorArgs, SequenceSpec

generator = SequenceGenerator("bench", SequenceGeneratorArgs(sequences=[
    SequenceSpec("atomic-*"), SequenceSpec("gap-free-*", mode="gap-free"),
    SequenceSpec("block-*", mode="block", block_size={BLOCK_SIZE}),
]))
pulumi.export("sequence", generator.outputs)
"""


class CountingClient:
    """A SequenceClient whose DynamoDB client records each call it sends (by operation)."""

    def __init__(self, config: str) -> None:
        self.calls: Counter[str] = Counter()
        self.item_writes = 0
        self.cancelled = 0
        dynamodb = boto3.client("dynamodb")
        dynamodb.meta.events.register("provide-client-params.dynamodb", self._before)
        dynamodb.meta.events.register("after-call.dynamodb.TransactWriteItems", self._after_transaction)
        self.client = SequenceClient(config, dynamodb)

    def _before(self, model: Any, params: dict, **_: Any) -> None:
        """Each API call the client makes, with the arguments it was given."""
        self.calls[model.name] += 1
        if model.name == "TransactWriteItems":
            self.item_writes += len(params["TransactItems"])
        elif model.name in WRITES:
            self.item_writes += 1

    def _after_transaction(self, parsed: dict, **_: Any) -> None:
        if "Error" in parsed:
            self.cancelled += 1


def run_cell(config: str, mode: str, clients: int, cell: int) -> dict[str, Any]:
    """``clients`` threads, each with its own client, take IDS_PER_CELL[mode] ids between them."""
    name = f"{mode}-{cell}"
    per_client = IDS_PER_CELL[mode] // clients
    workers = [CountingClient(config) for _ in range(clients)]
    issued: list[list[int]] = [[] for _ in range(clients)]
    failed = [0] * clients
    errors: list[BaseException] = []
    start = threading.Barrier(clients + 1)

    def work(index: int) -> None:
        try:
            take(index)
        except BaseException as exc:  # surfaced below: a benchmark that hides errors measures nothing
            errors.append(exc)

    def take(index: int) -> None:
        client, ids = workers[index].client, issued[index]
        allocator = client.allocator(name) if mode == "block" else None
        start.wait()
        for k in range(per_client):
            try:
                if allocator is not None:
                    ids.append(allocator.next())
                elif mode == "gap-free":
                    ids.append(client.next(name, item={"pk": f"{name}-{index}-{k}"}).first)
                else:
                    ids.append(client.next(name).first)
            except Contention:
                failed[index] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    if errors:
        raise RuntimeError(f"{mode} x{clients}: a client failed") from errors[0]

    everything = [i for ids in issued for i in ids]
    assert len(set(everything)) == len(everything), f"{mode}: duplicate ids"
    if mode == "gap-free":
        assert sorted(everything) == list(range(1, len(everything) + 1)), "gap-free: gaps"
    calls = sum((w.calls for w in workers), Counter())
    ids = len(everything)
    write_calls = sum(calls[op] for op in WRITES)
    return {
        "mode": mode, "clients": clients, "ids": ids, "failed_contention": sum(failed),
        "seconds": round(seconds, 4), "ids_per_s": round(ids / seconds, 1),
        "write_calls": write_calls, "write_calls_per_id": round(write_calls / ids, 5),
        "item_writes_per_id": round(sum(w.item_writes for w in workers) / ids, 5),
        "reads_per_id": round(calls["GetItem"] / ids, 5),
        "cancelled_transactions_per_id": round(sum(w.cancelled for w in workers) / ids, 5),
    }


def measure(target: Target) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as program:
        (Path(program) / "Pulumi.yaml").write_text("name: sequence-benchmark\nruntime: python\n")
        (Path(program) / "__main__.py").write_text(PROGRAM)
        config = deploy(Path(program), target, stack="bench").outputs["sequence"]["client_config"]
    cells = [run_cell(config, mode, clients, cell)
             for cell, (clients, mode) in enumerate((c, m) for c in CONCURRENCY for m in MODES)]
    by = {(c["mode"], c["clients"]): c for c in cells}
    ratios = {
        f"{clients}_clients": {
            "block_vs_atomic_ids_per_s": round(
                by["block", clients]["ids_per_s"] / by["atomic", clients]["ids_per_s"], 1),
            "gap_free_vs_atomic_ids_per_s": round(
                by["gap-free", clients]["ids_per_s"] / by["atomic", clients]["ids_per_s"], 3),
            "block_vs_atomic_write_calls_per_id": round(
                by["block", clients]["write_calls_per_id"] / by["atomic", clients]["write_calls_per_id"], 4),
            "gap_free_vs_atomic_item_writes_per_id": round(
                by["gap-free", clients]["item_writes_per_id"] / by["atomic", clients]["item_writes_per_id"], 3),
        }
        for clients in CONCURRENCY
    }
    targets = {
        "block_write_calls_per_id_at_most_0.01": all(by["block", c]["write_calls_per_id"] <= 0.01 for c in CONCURRENCY),
        "atomic_write_calls_per_id_exactly_1": all(by["atomic", c]["write_calls_per_id"] == 1 for c in CONCURRENCY),
    }
    return {
        "target": target.kind, "cpus": os.cpu_count(), "python": platform.python_version(),
        "block_size": BLOCK_SIZE, "ids_per_cell": IDS_PER_CELL, "cells": cells, "ratios": ratios, "targets": targets,
    }


def chart(data: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (speed, writes) = plt.subplots(1, 2, figsize=(11, 4))
    width = 0.25
    colours = {"atomic": "#4c72b0", "gap-free": "#dd8452", "block": "#55a868"}
    for offset, mode in enumerate(MODES):
        cells = [c for c in data["cells"] if c["mode"] == mode]
        xs = [i + (offset - 1) * width for i in range(len(cells))]
        speed.bar(xs, [c["ids_per_s"] for c in cells], width, label=mode, color=colours[mode])
        writes.bar(xs, [c["write_calls_per_id"] for c in cells], width, label=mode, color=colours[mode])
        for x, c in zip(xs, cells, strict=True):
            writes.text(x, c["write_calls_per_id"], f"{c['write_calls_per_id']:.3g}", ha="center", va="bottom",
                        fontsize=7)
    for ax, title in ((speed, "ids per second (log)"), (writes, "DynamoDB write calls per id (log)")):
        ax.set_xticks(range(len(CONCURRENCY)), [f"{c} client{'s' if c > 1 else ''}" for c in CONCURRENCY])
        ax.set_yscale("log")
        ax.set_title(title)
    speed.legend(*speed.get_legend_handles_labels(), loc="lower center", bbox_to_anchor=(1.1, -0.3), ncols=3)
    fig.suptitle(f"Sequence generator modes on the {data['target']} target (block N={data['block_size']})")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    with cloud(RESULTS / "sequence-emulator.log") as (target, _):
        data = measure(target)
    (RESULTS / "sequence-emulator.log").unlink(missing_ok=True)
    (RESULTS / "sequence.json").write_text(json.dumps(data, indent=2) + "\n")
    chart(data, RESULTS / "sequence.png")
    for cell in data["cells"]:
        print(f"{cell['mode']:>8} x{cell['clients']:<2} {cell['ids_per_s']:>10.1f} ids/s  "
              f"{cell['write_calls_per_id']:.4f} write calls/id  {cell['item_writes_per_id']:.4f} item writes/id  "
              f"{cell['cancelled_transactions_per_id']:.3f} cancelled/id  failed={cell['failed_contention']}")
    print(json.dumps({"ratios": data["ratios"], "targets": data["targets"]}, indent=2))


if __name__ == "__main__":
    RESULTS.mkdir(parents=True, exist_ok=True)
    main()
