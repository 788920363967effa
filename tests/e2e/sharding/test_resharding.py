"""Resharding under traffic: 16 producers send ordered sequences for 200 keys (14 through the Python
client, 2 over HTTP) while the membership goes 4 -> 5 -> 4 shards. Every message of every key is
processed once and in order; only the planned keys move, to the new shard and back. Between the two
changes the producers pause once until the shards catch up, so keys move even when the workers lag."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from functions.sharding.membership import plan_moves
from tests.e2e.sharding.support import all_settled
from tests.e2e.support import wait_until

PRODUCERS, KEYS, MESSAGES, HTTP_PRODUCERS = 16, 200, 5, 2


def test_resharding_4_to_5_and_back_under_traffic_keeps_every_key_in_order_and_once(sharding, base, client, http):
    run = uuid.uuid4().hex[:6]
    keys = [f"order-{run}-{n:03d}" for n in range(KEYS)]
    before = client.membership()
    assert before.names == ("s0", "s1", "s2", "s3")
    total = KEYS * MESSAGES
    lock = threading.Lock()
    sent: Counter[str] = Counter()
    flowing = threading.Event()
    flowing.set()
    published = []

    def reshard() -> None:
        current = client.membership()
        change = {"add": "s4"} if "s4" not in current.names else {"remove": "s4"}
        answer = http.post(f"{base}/membership", json={"expected_version": current.version, **change}, timeout=30)
        assert answer.status_code == 201, answer.text
        published.append(answer.json()["membership"]["version"])

    def let_the_shards_catch_up() -> None:
        # Producers pause until every message sent so far is processed. Before the pause the planned keys'
        # old shards usually hold some of their messages (the fence keeps them there); after it, the next
        # message of each planned key finds its old shard drained and moves it to s4 while traffic resumes.
        flowing.clear()
        try:
            wait_until(lambda: all_settled(sharding["keys_table_name"], snapshot()), timeout=60, interval=1,
                       what="the shards to catch up with the producers")
        finally:
            flowing.set()

    def snapshot() -> dict[str, int]:
        with lock:
            return dict(sent)

    schedule = {total // 5: reshard, 3 * total // 5: let_the_shards_catch_up, 4 * total // 5: reshard}

    def count_and_act(key: str) -> None:
        with lock:
            sent[key] += 1
            action = schedule.get(sent.total())
        if action:
            action()

    def produce(producer: int) -> None:
        mine = keys[producer::PRODUCERS]
        for index in range(MESSAGES):  # each key's messages in order; the producer's keys interleaved
            for key in mine:
                flowing.wait()
                body = {"n": index, "work_ms": 5}
                if producer < HTTP_PRODUCERS:
                    answer = http.post(f"{base}/messages", json={"key": key, "body": body, "id": f"{key}-{index}"},
                                       timeout=30)
                    assert answer.status_code == 202, answer.text
                else:
                    client.send(key, body, message_id=f"{key}-{index}")
                count_and_act(key)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=PRODUCERS) as pool:
        list(pool.map(produce, range(PRODUCERS)))
    sending = time.monotonic() - started
    done = wait_until(lambda: all_settled(sharding["keys_table_name"], dict.fromkeys(keys, MESSAGES)), timeout=60,
                      interval=1, what="every message to be processed")
    print(f"sharding: {total} messages sent in {sending:.1f}s, all processed after {time.monotonic() - started:.1f}s")

    # Once, in order: each key's processing order is its producer's order, every message processed.
    for key in keys:
        records = done[key]
        assert [r["message_id"] for r in records] == [f"{key}-{i}" for i in range(MESSAGES)], key
        assert [r["status"] for r in records] == ["processed"] * MESSAGES, key

    # Exactly the planned keys moved, each to the new shard, and came back.
    added, removed = (client.membership(v) for v in published)
    assert (added.names, removed.names) == (("s0", "s1", "s2", "s3", "s4"), ("s0", "s1", "s2", "s3"))
    plan = plan_moves(before, added, keys)
    planned = {m.key for m in plan.moves}
    visited = {key: [r["shard"] for r in done[key]] for key in keys}
    on_new_shard = {key for key, shards in visited.items() if "s4" in shards}
    assert on_new_shard <= planned  # no key outside the plan ever reached the new shard
    assert all(set(shards) == {before.shard_for(k)} for k, shards in visited.items() if k not in planned)
    assert all(set(visited[k]) <= {before.shard_for(k), "s4"} for k in planned)
    assert on_new_shard  # keys moved under traffic (at the latest when traffic resumed after the catch-up)
    # Back where they started: once the traffic settled, the next message of every planned key goes to its
    # original shard (its last one may have been processed on s4, which kept the key while it drained).
    assert {key: client.send(key, {"n": MESSAGES}, message_id=f"{key}-{MESSAGES}").assignment.shard
            for key in planned} == {key: before.shard_for(key) for key in planned}
    wait_until(lambda: all_settled(sharding["keys_table_name"], dict.fromkeys(planned, MESSAGES + 1)), timeout=30,
               interval=1, what="the planned keys' next messages to be processed")
    print(f"sharding: {len(planned)} of {KEYS} keys planned to move ({len(planned) / KEYS:.1%}; ideal "
          f"{plan.ideal_fraction:.0%}), {len(on_new_shard)} reached s4")
    # 200 random keys: binomial noise of +-2.8% (one standard deviation), so the bound is 4.4 of them (wrong by
    # chance about once in 100,000 runs); the 1% claim is checked on 20,000 keys below and 100,000 in unit tests
    assert abs(len(planned) / KEYS - 0.2) <= 0.125

    # The fence was exercised: moving keys had messages routed under the new version held on their old shard.
    held = [r for k in planned for r in done[k] if int(r["version"]) >= added.version and r["shard"] != "s4"
            and r["shard"] == before.shard_for(k) and int(r["version"]) < removed.version]
    print(f"sharding: {len(held)} messages of moving keys held on their old shard while it drained them")


def test_the_deployed_plan_moves_within_one_percent_of_a_fifth_of_20000_keys(base, http):
    current = http.get(f"{base}/membership/current", timeout=30).json()
    names = [s["name"] for s in current["shards"]]
    proposal = {"shards": [*names, "s4"]} if "s4" not in names else {"shards": [n for n in names if n != "s4"]}
    answer = http.post(f"{base}/membership/plan", json={"to": proposal, "sample": 20_000}, timeout=60)
    assert answer.status_code == 200, answer.text
    plan = answer.json()
    assert plan["keys"] == 20_000 and plan["ideal_fraction"] == 0.2
    assert abs(plan["fraction"] - 0.2) <= 0.01, plan
    assert set(plan["routes"]) == {f"s{n}->s4" for n in range(4)}
    assert http.get(f"{base}/membership/current", timeout=30).json() == current  # a plan publishes nothing
