"""Block (hi/lo) mode: in-process allocators lease ids in blocks with one table write per block; no
id is issued twice across concurrent clients, and the only gaps are unused block tails."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from functions.sequence.client import SequenceClient
from tests.e2e.sequence.support import Deployed, deployed, fresh


@pytest.fixture(scope="module")
def seq(catalog, api_url) -> Deployed:
    return deployed(catalog, api_url)


def _counting_client(seq: Deployed) -> tuple[SequenceClient, list[str]]:
    """A client of its own (its own connection pool), recording every DynamoDB write it sends."""
    writes: list[str] = []
    dynamodb = boto3.client("dynamodb")
    for operation in ("UpdateItem", "PutItem", "TransactWriteItems"):
        dynamodb.meta.events.register(f"before-call.dynamodb.{operation}",
                                      lambda model, **_: writes.append(model.name))
    return SequenceClient(seq.config, dynamodb), writes


@pytest.mark.parametrize(("block_size", "per_client"), [(100, 500), (64, 500)])
def test_four_concurrent_clients_take_2000_ids_without_duplicates(seq, block_size, per_client):
    name = fresh("order-")
    clients = [_counting_client(seq) for _ in range(4)]

    def take(index: int) -> list[int]:
        allocator = clients[index][0].allocator(name, block_size)
        return [allocator.next() for _ in range(per_client)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        per_client_ids = list(pool.map(take, range(4)))

    everything = [i for ids in per_client_ids for i in ids]
    assert len(everything) == 2000 and len(set(everything)) == 2000
    blocks_each = -(-per_client // block_size)
    assert seq.counter(name) == 4 * blocks_each * block_size  # leased, including unused tails
    assert sum(len(writes) for _, writes in clients) == 4 * blocks_each  # one write per block
    for ids in per_client_ids:
        assert ids == sorted(ids)
        runs = [ids[i:i + block_size] for i in range(0, len(ids), block_size)]
        assert all(run == list(range(run[0], run[0] + len(run))) for run in runs)  # whole blocks, in order
        assert all((run[0] - 1) % block_size == 0 for run in runs)  # each starts a leased block


def test_block_sequence_over_http_leases_a_block_per_request(seq, http):
    name = fresh("order-")
    lease = http.post(seq.next_url(name), timeout=30).json()
    smaller = http.post(seq.next_url(name), json={"count": 10}, timeout=30).json()
    assert (lease["first"], lease["last"], lease["count"]) == (1, 100, 100)
    assert (smaller["first"], smaller["last"]) == (101, 110)
    assert seq.counter(name) == 110
