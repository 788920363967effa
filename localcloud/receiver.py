"""A local webhook receiver for tests, demos and benchmarks of outbound webhooks: a real HTTP server on
127.0.0.1 where each path answers from its own script (status, headers, delay) and every request is
recorded. It stops when told, or by itself after ``lifetime`` seconds.

Register ``receiver.url("/hooks/mine")`` as an endpoint (the dispatcher must allow ``127.0.0.0/8``,
and plain HTTP), script failures with ``receiver.script(path, [Reply(500), Reply(429, {"Retry-After": "3"})])``,
read what arrived with ``receiver.requests(path)`` or wait for it with ``receiver.wait_for(path, count)``.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body: str = "ok"


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class Receiver:
    """``url(path)`` to register; ``script(path, [Reply...], then=Reply())``; ``requests(path)`` to read."""

    def __init__(self, lifetime: float = 900) -> None:
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._scripts: dict[str, list[Reply]] = defaultdict(list)
        self._after: dict[str, Reply] = {}
        self._received: dict[str, list[Received]] = defaultdict(list)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                reply = receiver._record(Received(self.path, dict(self.headers.items()), body, time.time()))
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body.encode())
                except OSError:  # the dispatcher gave up waiting (a timeout test)
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self._timer = threading.Timer(lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()

    def _record(self, received: Received) -> Reply:
        with self._lock:
            self._received[received.path].append(received)
            self._arrived.notify_all()
            script = self._scripts[received.path]
            return script.pop(0) if script else self._after.get(received.path, Reply())

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, path: str, replies: list[Reply], then: Reply | None = None) -> None:
        with self._lock:
            self._scripts[path] = list(replies)
            self._after[path] = then or Reply()

    def requests(self, path: str) -> list[Received]:
        with self._lock:
            return list(self._received[path])

    def wait_for(self, paths: str | list[str], count: int, timeout: float = 30) -> list[Received]:
        """Block until each of ``paths`` received ``count`` requests (TimeoutError after ``timeout`` s);
        what they received, in order."""
        wanted = [paths] if isinstance(paths, str) else paths
        with self._arrived:
            if not self._arrived.wait_for(lambda: all(len(self._received[p]) >= count for p in wanted), timeout):
                seen = {p: len(self._received[p]) for p in wanted}
                raise TimeoutError(f"waited {timeout:g} s for {count} request(s) at each path; received {seen}")
            return [r for p in wanted for r in self._received[p]]

    def stop(self) -> None:
        self._timer.cancel()
        self.server.shutdown()
        self.server.server_close()
