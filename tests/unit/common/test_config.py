"""The typed configuration hand-off: what a component writes is what a handler reads, typed, and a
mismatch fails loudly."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

import pytest

from functions.common.config import ConfigError, HandoffConfig
from functions.priority.config import PriorityConfig
from functions.scatter_gather.config import ScatterGatherConfig
from functions.sequence.config import GeneratorConfig, ItemsTarget, SequenceSettings
from functions.webhook.config import Source, WebhookConfig
from functions.webhook.schemes import github


@dataclass(frozen=True)
class Inner:
    name: str
    weight: float = 1.0


@dataclass(frozen=True, kw_only=True)
class Sample(HandoffConfig):
    VARIABLE: ClassVar[str] = "SAMPLE_CONFIG"
    table: str
    mode: Literal["a", "b"] = "a"
    limit: int = 3
    parts: tuple[Inner, ...] = ()
    by_name: dict[str, Inner] = field(default_factory=dict)
    optional: str | None = None


def test_round_trip_keeps_types():
    sample = Sample(table="t", mode="b", parts=(Inner("x", 2),), by_name={"y": Inner("y")}, optional="o")
    again = Sample.from_json(sample.to_json())
    assert again == sample
    assert isinstance(again.parts, tuple) and isinstance(again.parts[0].weight, float)


def test_the_environment_variable_is_named_once():
    text = Sample(table="t").to_json()
    assert Sample.from_environment({"SAMPLE_CONFIG": text}) == Sample(table="t")
    with pytest.raises(ConfigError, match="SAMPLE_CONFIG is not set"):
        Sample.from_environment({})


@pytest.mark.parametrize(("document", "message"), [
    ({"table": "t", "limit": "3"}, r"Sample\.limit: expected int"),
    ({"table": "t", "limit": True}, r"Sample\.limit: expected int"),
    ({"table": "t", "mode": "c"}, r"Sample\.mode: 'c' is not one of"),
    ({"table": "t", "surprise": 1}, r"unknown field\(s\) surprise"),
    ({}, r"missing 1 required keyword-only argument: 'table'"),
    ({"table": "t", "parts": [{"name": 1}]}, r"Sample\.parts\[0\]\.name: expected str"),
])
def test_a_document_that_does_not_match_is_refused_with_the_field(document, message):
    with pytest.raises(ConfigError, match=message):
        Sample.from_document(document)


@pytest.mark.parametrize("config", [
    GeneratorConfig(counters_table="c", keys_table="k", sequences=(
        SequenceSettings("inv-*", mode="gap-free", start=10**38 - 3, items=ItemsTarget("items", ("pk", "sk"))),)),
    PriorityConfig(backend="sqs", jobs_table="jobs", queue_urls={"high": "https://q/high"}),
    ScatterGatherConfig(aggregates_table="a", event_bus="b", mode="pubsub", topic_arn="arn:topic"),
    WebhookConfig(sources={"gh": Source("gh", github(), "arn:secret")}, event_bus_name="bus", deliveries_table="d"),
], ids=lambda c: type(c).__name__)
def test_every_pattern_config_round_trips(config):
    assert type(config).from_json(config.to_json()) == config


def test_each_pattern_has_its_own_variable():
    variables = [c.VARIABLE for c in (GeneratorConfig, PriorityConfig, ScatterGatherConfig, WebhookConfig)]
    assert len(set(variables)) == len(variables)
