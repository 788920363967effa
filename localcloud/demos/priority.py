"""Priority queues demo: jobs posted at two levels, bad input refused, outcomes read back."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from localcloud.demos import demo, exchange
from localcloud.target import reachable_url


@demo("priority")
def priority(outputs: dict[str, Any], endpoint: str | None, say: Callable[[str], None]) -> None:
    for title, exported in (("SQS level queues", outputs["levels"]),
                            ("strictly ordered DynamoDB queue", outputs["dynamo"])):
        base = reachable_url(exported["url"], endpoint) + "/jobs"
        say(f"priority queues ({title}): a low and a high job, then an unknown priority (refused, nothing enqueued)")
        ids = []
        for level in ("low", "high"):
            response = exchange(say, "POST", base, json.dumps({"priority": level, "payload": {"work_ms": 20}}))
            if response.status_code == 202:
                ids.append(response.json()["id"])
        exchange(say, "POST", base, json.dumps({"priority": "urgent", "payload": {}}))
        if exported is outputs["dynamo"]:  # the level queues' worker starts at once; the table's on its schedule
            say("  (this queue's worker starts once a minute: its jobs may still be queued)")
        time.sleep(1)
        for job_id in ids:
            exchange(say, "GET", f"{base}/{job_id}")
