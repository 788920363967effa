"""Helpers shared by the sequence generator's e2e tests (not fixtures: each module builds its own)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import boto3

from functions.sequence.client import SequenceClient


@dataclass(frozen=True)
class Deployed:
    """The deployed generator: its API base URL, tables and an in-process client on it."""

    url: str
    counters_table: str
    keys_table: str
    items_table: str
    config: str

    def client(self) -> SequenceClient:
        return SequenceClient(self.config, boto3.client("dynamodb"))

    def counter(self, name: str) -> int | None:
        """The stored counter value, read straight from DynamoDB."""
        item = boto3.client("dynamodb").get_item(
            TableName=self.counters_table, Key={"name": {"S": name}}, ConsistentRead=True
        ).get("Item")
        return int(item["value"]["N"]) if item else None

    def next_url(self, name: str) -> str:
        return f"{self.url}/sequences/{name}/next"


def deployed(catalog: dict[str, Any], api_url) -> Deployed:
    out = catalog["sequence"]
    return Deployed(api_url(out["url"]), out["counters_table_name"], out["keys_table_name"], out["items_table_name"],
                    out["client_config"])


def fresh(prefix: str) -> str:
    """A sequence name no other test uses (each family member has its own counter)."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"
