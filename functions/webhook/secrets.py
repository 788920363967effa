"""Signing secrets, read from Secrets Manager or an SSM SecureString and cached briefly.

Rotation: every secret that is currently valid is returned, and a signature made with any of them
is accepted.

- Secrets Manager: the ``AWSCURRENT`` and (when there is one) the ``AWSPREVIOUS`` version. Storing a
  new value with ``PutSecretValue`` makes it current and the old one previous, so both are accepted
  until the next rotation.
- SSM SecureString: one secret per line; during a rotation store ``"<new>\\n<old>"``.

Powertools' parameter cache is keyed by name only (not by version stage), so this small cache
keeps both stages apart. A signature that matches no cached secret may refresh the entry, at most
once per ``refresh_seconds``, so a new secret is recognised quickly without letting bad requests
hammer the secret store.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

Secrets = list[tuple[str, bytes]]


def parse_ssm_value(value: str) -> Secrets:
    """One secret per non-empty line, labelled ``line 1``, ``line 2``, ..."""
    lines = [line.strip() for line in value.splitlines() if line.strip()]
    return [(f"line {i}", line.encode("utf-8")) for i, line in enumerate(lines, 1)]


def parameter_name(arn: str) -> str:
    """An SSM parameter's name from its ARN (``...:parameter/a/b`` -> ``/a/b``, ``...:parameter/a`` -> ``a``).
    GetParameter takes either, but an IAM policy on the parameter's ARN is matched reliably by the name
    everywhere (an emulator may read an ARN passed as the name as another resource)."""
    path = arn.split(":parameter", 1)[1]
    return path if path.count("/") > 1 else path.lstrip("/")


def fetch(reference: str, secretsmanager: Any = None, ssm: Any = None) -> Secrets:
    """Every valid secret behind ``reference`` (a Secrets Manager secret ARN or an SSM parameter ARN)."""
    import boto3

    if reference.startswith("arn:") and reference.split(":")[2] == "ssm":
        ssm = ssm or boto3.client("ssm")
        value = ssm.get_parameter(Name=parameter_name(reference), WithDecryption=True)["Parameter"]["Value"]
        return parse_ssm_value(value)
    secretsmanager = secretsmanager or boto3.client("secretsmanager")
    found: Secrets = []
    for stage in ("AWSCURRENT", "AWSPREVIOUS"):
        try:
            value = secretsmanager.get_secret_value(SecretId=reference, VersionStage=stage)
        except secretsmanager.exceptions.ResourceNotFoundException:
            if stage == "AWSCURRENT":
                raise
            continue
        if value.get("SecretString"):
            found.append((stage, value["SecretString"].encode("utf-8")))
    return found


class SecretCache:
    """``get(reference)`` from memory for ``ttl_seconds``; ``refresh(reference)`` after a mismatch."""

    def __init__(
        self,
        load: Callable[[str], Secrets] = fetch,
        ttl_seconds: float = 60,
        refresh_seconds: float = 5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._ttl = ttl_seconds
        self._refresh = refresh_seconds
        self._clock = clock
        self._entries: dict[str, tuple[float, Secrets]] = {}
        self._lock = threading.Lock()

    def get(self, reference: str) -> Secrets:
        with self._lock:
            cached = self._entries.get(reference)
        if cached and self._clock() - cached[0] < self._ttl:
            return cached[1]
        return self._store(reference)

    def refresh(self, reference: str) -> Secrets | None:
        """Reload if the entry is older than ``refresh_seconds``; ``None`` when it is too recent."""
        with self._lock:
            cached = self._entries.get(reference)
        if cached and self._clock() - cached[0] < self._refresh:
            return None
        return self._store(reference)

    def _store(self, reference: str) -> Secrets:
        secrets = self._load(reference)
        with self._lock:
            self._entries[reference] = (self._clock(), secrets)
        return secrets
