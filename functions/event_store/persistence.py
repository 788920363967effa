"""A persistence module for the ``eventsourcing`` package, backed by :class:`functions.event_store.store.EventLog`,
so an ``eventsourcing`` application runs on DynamoDB by configuration::

    PERSISTENCE_MODULE=functions.event_store.persistence
    EVENT_STORE_TABLE=<the EventStore component's table_name>
    EVENT_STORE_NAMESPACE=<optional key prefix>   # e.g. one per application sharing a table

Appends are atomic and version-checked (a conflicting write raises ``IntegrityError`` and writes
nothing, unlike a plain ``PutItem``), and every event gets a contiguous notification id, so
``select_notifications`` / ``subscribe`` feed projections and process applications. Snapshots
(``aggregate_recorder("snapshots")``) are one item per version, without the log.

Needs ``pip install eventsourcing`` (not a dependency of the handlers).
"""

from __future__ import annotations

from collections.abc import Sequence
from threading import Event
from typing import Any
from uuid import UUID

import boto3
from botocore.exceptions import ClientError
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    InfrastructureFactory,
    IntegrityError,
    Notification,
    ProcessRecorder,
    ProgrammingError,
    StoredEvent,
    Subscription,
    Tracking,
    TrackingRecorder,
)

from functions.event_store.exceptions import TrackingConflict, VersionConflict
from functions.event_store.store import MAX_ITEMS, EventLog, NewEvent, RecordedEvent

POLL_SECONDS = 0.2


def _new_events(stored_events: Sequence[StoredEvent]) -> list[NewEvent]:
    return [NewEvent(str(e.originator_id), e.originator_version, e.topic, e.state) for e in stored_events]


def _stored(event: RecordedEvent, originator_id: UUID | str) -> StoredEvent:
    return StoredEvent(originator_id=originator_id, originator_version=event.version, topic=event.topic,
                       state=event.state)


def _originator(stream_id: str) -> UUID | str:
    """The originator id as the library gave it: a UUID when it reads as one."""
    try:
        return UUID(stream_id)
    except ValueError:
        return stream_id


class DynamoDBAggregateRecorder(AggregateRecorder):
    """One item per (originator, version) under ``purpose``: unique versions, no notification log
    (the library uses it for snapshots). An insert is one transaction: at most 100 events."""

    def __init__(self, log: EventLog, purpose: str = "events") -> None:
        self.log = log
        self.purpose = purpose

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if not stored_events:
            return None
        keys = [(str(e.originator_id), e.originator_version) for e in stored_events]
        if len(set(keys)) != len(keys):
            raise IntegrityError("one insert holds the same originator and version twice")
        if len(stored_events) > MAX_ITEMS:
            raise ProgrammingError(f"at most {MAX_ITEMS} events per insert, not {len(stored_events)}")
        items = [{"Put": {"TableName": self.log.table, "ConditionExpression": "attribute_not_exists(pk)",
                          "Item": {**self._key(str(e.originator_id), e.originator_version),
                                   "t": {"S": e.topic}, "d": {"B": e.state}}}} for e in stored_events]
        try:
            self.log.dynamodb.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise IntegrityError("an event with the same originator and version is already stored") from None
            raise
        return None

    def select_events(self, originator_id: UUID | str, *, gt: int | None = None, lte: int | None = None,
                      desc: bool = False, limit: int | None = None) -> Sequence[StoredEvent]:
        values = {":pk": {"S": self._pk(str(originator_id))}, ":low": {"N": str(-1 if gt is None else gt)},
                  ":high": {"N": str(2**62 if lte is None else lte)}}
        found: list[StoredEvent] = []
        for item in self.log.query("pk = :pk AND sk BETWEEN :low AND :high", values, forward=not desc):
            if gt is None or int(item["sk"]["N"]) > gt:
                found.append(StoredEvent(originator_id, int(item["sk"]["N"]), item["t"]["S"], bytes(item["d"]["B"])))
                if limit is not None and len(found) == limit:
                    break
        return found

    def _pk(self, originator_id: str) -> str:
        return f"{self.log.namespace}{self.purpose}#{originator_id}"

    def _key(self, originator_id: str, version: int) -> dict[str, Any]:
        return {"pk": {"S": self._pk(originator_id)}, "sk": {"N": str(version)}}


class DynamoDBApplicationRecorder(ApplicationRecorder):
    """Events in versioned streams plus the gap-free notification log: :meth:`EventLog.append`."""

    def __init__(self, log: EventLog) -> None:
        self.log = log

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        return self._append(stored_events, None)

    def _append(self, stored_events: Sequence[StoredEvent], tracking: Tracking | None) -> list[int]:
        try:
            return self.log.append(_new_events(stored_events), tracking=(
                None if tracking is None else (tracking.application_name, tracking.notification_id)))
        except (VersionConflict, TrackingConflict) as conflict:
            raise IntegrityError(str(conflict)) from None
        except ValueError as error:
            raise ProgrammingError(str(error)) from None

    def select_events(self, originator_id: UUID | str, *, gt: int | None = None, lte: int | None = None,
                      desc: bool = False, limit: int | None = None) -> Sequence[StoredEvent]:
        return [_stored(e, originator_id)
                for e in self.log.stream(str(originator_id), after=gt, up_to=lte, backwards=desc, limit=limit)]

    def select_notifications(self, start: int | None, limit: int, stop: int | None = None,
                             topics: Sequence[str] = (), *, inclusive_of_start: bool = True) -> Sequence[Notification]:
        return [Notification(id=e.position, originator_id=_originator(e.stream_id), originator_version=e.version,
                             topic=e.topic, state=e.state)
                for e in self.log.notifications(start, limit, stop, topics, inclusive=inclusive_of_start)]

    def max_notification_id(self) -> int | None:
        return self.log.last_position()

    def subscribe(self, gt: int | None = None, topics: Sequence[str] = ()) -> Subscription[ApplicationRecorder]:
        return PollingSubscription(self, gt=gt, topics=topics)


class PollingSubscription(Subscription[ApplicationRecorder]):
    """Notifications after ``gt`` as they are recorded, polling the log (DynamoDB has no LISTEN/NOTIFY;
    a deployed consumer uses the table's stream instead)."""

    def __init__(self, recorder: ApplicationRecorder, gt: int | None = None, topics: Sequence[str] = ()) -> None:
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._buffer: list[Notification] = []
        self._stopped = Event()

    def stop(self) -> None:
        super().stop()
        self._stopped.set()

    def __next__(self) -> Notification:
        while not self._buffer:
            if self._has_been_stopped:
                raise StopIteration
            after = self._last_notification_id
            self._buffer = list(self._recorder.select_notifications(
                after or 0, 500, topics=self._topics, inclusive_of_start=False))
            if not self._buffer:
                self._stopped.wait(POLL_SECONDS)
        if self._has_been_stopped:
            raise StopIteration
        notification = self._buffer.pop(0)
        self._last_notification_id = notification.id
        return notification


class DynamoDBTrackingRecorder(TrackingRecorder):
    """A consumer's position per upstream application, only ever moving up (a conditional update)."""

    def __init__(self, log: EventLog) -> None:
        self.log = log

    def insert_tracking(self, tracking: Tracking) -> None:
        try:
            self.log.track(tracking.application_name, tracking.notification_id)
        except TrackingConflict as conflict:
            raise IntegrityError(str(conflict)) from None

    def max_tracking_id(self, application_name: str) -> int | None:
        return self.log.tracked(application_name)


class DynamoDBProcessRecorder(DynamoDBTrackingRecorder, DynamoDBApplicationRecorder, ProcessRecorder):
    """Events and the tracking record of the notification they answer, in one transaction."""

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        tracking = kwargs.get("tracking")
        if not stored_events and tracking is not None:
            self.insert_tracking(tracking)
            return []
        return self._append(stored_events, tracking)


class Factory(InfrastructureFactory[TrackingRecorder]):
    """``PERSISTENCE_MODULE=functions.event_store.persistence``: recorders on ``EVENT_STORE_TABLE``."""

    TABLE = "EVENT_STORE_TABLE"
    NAMESPACE = "EVENT_STORE_NAMESPACE"

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        table = self.env.get(self.TABLE)
        if not table:
            raise OSError(f"{self.TABLE} is not set: name the EventStore component's table_name")
        self.log = EventLog(table, boto3.client("dynamodb"), namespace=self.env.get(self.NAMESPACE) or "")

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        return DynamoDBAggregateRecorder(self.log, purpose)

    def application_recorder(self) -> ApplicationRecorder:
        return DynamoDBApplicationRecorder(self.log)

    def tracking_recorder(self, tracking_recorder_class: type[TrackingRecorder] | None = None) -> TrackingRecorder:
        return (tracking_recorder_class or DynamoDBTrackingRecorder)(self.log)  # type: ignore[call-arg]

    def process_recorder(self) -> ProcessRecorder:
        return DynamoDBProcessRecorder(self.log)

