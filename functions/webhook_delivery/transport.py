"""One HTTP attempt: POST the signed bytes to the endpoint, connected to the address that passed the
SSRF check, with a timeout, no redirects followed (a 3xx is a failed attempt, as Svix counts it),
and only an excerpt of the response kept."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass

from functions.webhook_delivery.addresses import IpAddress, Target

USER_AGENT = "serverless-patterns-webhooks/1"


@dataclass(frozen=True)
class Outcome:
    """What one attempt produced: ``status`` (None when no response came), response ``headers``
    (lower-cased names), an ``excerpt`` of the body, ``error`` (timeout, refused...), ``latency_ms``."""

    status: int | None
    headers: Mapping[str, str]
    excerpt: str
    error: str | None
    latency_ms: int

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, address: IpAddress, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((str(self._address), self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, address: IpAddress, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((str(self._address), self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def post(target: Target, address: IpAddress, body: bytes, headers: Mapping[str, str], timeout: float,
         excerpt_bytes: int = 1024) -> Outcome:
    """POST ``body`` to ``target`` at ``address``; never raises for network or HTTP failures."""
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = kind(target, address, timeout)
    started = time.monotonic()
    try:
        connection.request("POST", target.path, body=body, headers={
            "Content-Type": "application/json", "User-Agent": USER_AGENT, **headers})
        response = connection.getresponse()
        excerpt = response.read(excerpt_bytes).decode("utf-8", "replace")
        return Outcome(response.status, {k.lower(): v for k, v in response.getheaders()}, excerpt, None,
                       _elapsed(started))
    except TimeoutError:
        return Outcome(None, {}, "", f"no response within {timeout:g} s", _elapsed(started))
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(None, {}, "", f"{type(exc).__name__}: {exc}"[:300], _elapsed(started))
    finally:
        connection.close()


def _elapsed(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
