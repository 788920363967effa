"""Fixtures on the session's one deployment: the catalog's EventStore table, a fresh namespace per use
(every store starts empty, as the library's recorder tests expect)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import boto3
import pytest

from functions.event_store.store import EventLog


@pytest.fixture(scope="module")
def events_table(catalog) -> str:
    return catalog["event_store"]["events_table_name"]


@pytest.fixture(scope="module")
def new_log(events_table) -> Callable[[], EventLog]:
    """``new_log()`` -> an empty :class:`EventLog` on the deployed table (its own namespace)."""
    client = boto3.client("dynamodb")
    return lambda: EventLog(events_table, client, namespace=f"t{uuid.uuid4().hex[:12]}/")
