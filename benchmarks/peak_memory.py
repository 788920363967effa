"""Peak resident memory of a command and every process it starts (summed over the process tree).

Run: ``.venv/bin/python benchmarks/peak_memory.py make test``. Samples /proc every 0.2 s (Linux).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


def tree_rss_bytes(root: int) -> int:
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            statm = (entry / "statm").read_text().split()
        except (OSError, IndexError):
            continue
        parents[int(entry.name)] = int(stat[1])
        rss[int(entry.name)] = int(statm[1]) * page
    total, members = 0, {root}
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in members and pid not in members:
                members.add(pid)
                changed = True
    for pid in members:
        total += rss.get(pid, 0)
    return total


def main(command: list[str]) -> int:
    started = time.monotonic()
    proc = subprocess.Popen(command)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss_bytes(proc.pid))
        time.sleep(0.2)
    print(f"exit code {proc.returncode}; wall {time.monotonic() - started:.1f}s; "
          f"peak RSS of the process tree {peak / 2**20:.0f} MiB", file=sys.stderr)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
