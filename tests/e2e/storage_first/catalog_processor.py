"""The processor of the test catalog's storage-first API, with hooks so tests can make a request fail
deterministically. Never part of the library: the catalog bundles this file into its consumers
(``ProcessorCode(files=...)``) as the module ``catalog_processor``; a component's default processor
is the harmless ``functions.storage_first.processing.acknowledge``.

Test hooks (body fields): ``fail``: a message; the processor raises it on every attempt (a poison
request). ``outage`` (the handler, not a field): every request fails, as a downstream that is down;
the outage test points the consumer at it for a while, then back.
"""

from __future__ import annotations

from functions.storage_first.processing import StoredRequest


class ProcessingFailed(RuntimeError):
    """The request asked to fail (test hook)."""


def process(request: StoredRequest) -> None:
    body = request.json()
    if isinstance(body, dict) and "fail" in body:
        raise ProcessingFailed(str(body["fail"]))


def outage(request: StoredRequest) -> None:
    raise ConnectionError("the downstream service is down")
