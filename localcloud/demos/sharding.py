"""Consistent-hashing router demo: keys routed to their shards, the plan of a resharding 4 -> 5 (what
would move, published nothing), one key's routing state."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from localcloud.demos import demo, exchange
from localcloud.target import reachable_url


@demo("sharding")
def sharding(outputs: dict[str, Any], endpoint: str | None, say: Callable[[str], None]) -> None:
    base = reachable_url(outputs["url"], endpoint)
    say("sharded queues: three messages for two keys go to each key's shard (message group = key, in order)")
    for key, n in (("tenant-a", 1), ("tenant-b", 1), ("tenant-a", 2)):
        exchange(say, "POST", base + "/messages", json.dumps({"key": key, "body": {"n": n}}))
    say("the membership, then the plan of adding shard s4 out of 10,000 sample keys (nothing is published)")
    exchange(say, "GET", base + "/membership/current")
    exchange(say, "POST", base + "/membership/plan",
             json.dumps({"to": {"shards": ["s0", "s1", "s2", "s3", "s4"]}, "sample": 10_000}))
    say("one key's routing state; a message with an empty key is refused")
    exchange(say, "GET", base + "/keys/tenant-a")
    exchange(say, "POST", base + "/messages", json.dumps({"key": "", "body": {}}))
