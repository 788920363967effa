"""The ``eventsourcing`` library's own recorder test cases, run against our persistence module on the
emulator's DynamoDB: ``AggregateRecorderTestCase``, ``ApplicationRecorderTestCase``,
``TrackingRecorderTestCase`` and ``ProcessRecorderTestCase`` from ``eventsourcing.tests.persistence``,
subclassed unchanged (each recorder on an empty namespace of the deployed table)."""

from __future__ import annotations

import pytest
from eventsourcing.tests import persistence as cases

from functions.event_store.persistence import (
    DynamoDBAggregateRecorder,
    DynamoDBApplicationRecorder,
    DynamoDBProcessRecorder,
    DynamoDBTrackingRecorder,
)


class _OnTheDeployedTable:
    @pytest.fixture(autouse=True)
    def _log(self, new_log):
        self.new_log = new_log


class TestAggregateRecorder(_OnTheDeployedTable, cases.AggregateRecorderTestCase):
    def create_recorder(self):
        return DynamoDBAggregateRecorder(self.new_log(), purpose="snapshots")


class TestApplicationRecorder(_OnTheDeployedTable, cases.ApplicationRecorderTestCase):
    def create_recorder(self):
        return DynamoDBApplicationRecorder(self.new_log())

    def test_insert_subscribe(self):
        """The library's optional subscription test: our subscription polls the log."""
        self.optional_test_insert_subscribe()


class TestTrackingRecorder(_OnTheDeployedTable, cases.TrackingRecorderTestCase):
    def create_recorder(self):
        return DynamoDBTrackingRecorder(self.new_log())


class TestProcessRecorder(_OnTheDeployedTable, cases.ProcessRecorderTestCase):
    def create_recorder(self):
        return DynamoDBProcessRecorder(self.new_log())
