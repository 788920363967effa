"""The registry of resource creators and the :class:`Cloud` they share.

Each creator takes the :class:`Cloud` (clients, account, region, autonaming), the resource's
logical name and its normalised inputs (camelCase, as the SDK sends them), and returns
``(physical_id, outputs)``. Outputs start from the inputs, like the provider's state does.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

Creator = Callable[["Cloud", str, dict], tuple[str, dict]]
CREATORS: dict[str, Creator] = {}

def creates(type_token: str) -> Callable[[Creator], Creator]:
    def register(fn: Creator) -> Creator:
        CREATORS[type_token] = fn
        return fn

    return register


class Cloud:
    """boto3 clients for one endpoint, shared by the engine's registration threads."""

    def __init__(self, endpoint: str, region: str = "us-east-1") -> None:
        self.endpoint = endpoint.rstrip("/")
        self.region = region
        self._session = boto3.session.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name=region
        )
        self._config = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5)
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._account: str | None = None

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._session.client(
                    service, endpoint_url=self.endpoint, config=self._config
                )
            return self._clients[service]

    @property
    def account(self) -> str:
        if self._account is None:
            self._account = self.client("sts").get_caller_identity()["Account"]
        return self._account

    @staticmethod
    def autoname(name: str, max_len: int = 64, suffix: str = "") -> str:
        """Logical name + '-' + 7 random hex characters, like the provider's autonaming."""
        random_part = "-" + secrets.token_hex(4)[:7]
        return name[: max_len - len(random_part) - len(suffix)] + random_part + suffix

    def execute_api_url(self, api_id: str, stage: str) -> str:
        return f"{self.endpoint}/_aws/execute-api/{api_id}/{stage}"


def tags(inputs: dict) -> dict[str, str]:
    return dict(inputs.get("tags") or {})
