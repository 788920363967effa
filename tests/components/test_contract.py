"""The catalog's one shape, pinned: type tokens that never move with a file, output names that follow
one rule and are exported as the components build them, and Args that refuse nonsense by name."""

from __future__ import annotations

import importlib
import pkgutil
import runpy
from pathlib import Path
from typing import Any

import pytest

import components
from components.core import PatternComponent, check_output_names
from tests.components.harness import run_under_mocks

ROOT = Path(__file__).resolve().parents[2]

# A changed token replaces every child resource of a deployed stack (tables included): never edit
# one of these; a new class adds a line.
TYPE_TOKENS = {
    "PythonFunction": "serverless-patterns:core:PythonFunction",
    "RestApi": "serverless-patterns:core:RestApi",
    "WebSocketApi": "serverless-patterns:core:WebSocketApi",
    "AtomicCounter": "serverless-patterns:counter:AtomicCounter",
    "SequenceGenerator": "serverless-patterns:sequence:SequenceGenerator",
    "PriorityQueues": "serverless-patterns:priority:PriorityQueues",
    "DynamoPriorityQueue": "serverless-patterns:priority:DynamoPriorityQueue",
    "PubSubScatterGather": "serverless-patterns:scatter_gather:PubSubScatterGather",
    "RecipientListScatterGather": "serverless-patterns:scatter_gather:RecipientListScatterGather",
    "QuoteProvider": "serverless-patterns:scatter_gather:QuoteProvider",
    "WebhookIngress": "serverless-patterns:webhook:WebhookIngress",
    "WebhookSubscription": "serverless-patterns:webhook:WebhookSubscription",
    "RateLimiter": "serverless-patterns:rate_limit:RateLimiter",
    "RequestBuffer": "serverless-patterns:rate_limit:RequestBuffer",
    "ShardedQueue": "serverless-patterns:sharding:ShardedQueue",
    "EventStore": "serverless-patterns:event_store:EventStore",
    "BankAccounts": "serverless-patterns:event_store:BankAccounts",
    "WebhookDispatcher": "serverless-patterns:webhook_delivery:WebhookDispatcher",
    "StorageFirstApi": "serverless-patterns:storage_first:StorageFirstApi",
    "WebSocketBroadcast": "serverless-patterns:websockets:WebSocketBroadcast",
}


def _all_component_classes() -> dict[str, type[PatternComponent]]:
    for module in pkgutil.walk_packages(components.__path__, "components."):
        importlib.import_module(module.name)
    found: dict[str, type[PatternComponent]] = {}
    pending = list(PatternComponent.__subclasses__())
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if "TYPE" in cls.__dict__:
            found[cls.__name__] = cls
    return found


def test_every_component_has_its_pinned_type_token():
    classes = _all_component_classes()
    assert {name: cls.TYPE for name, cls in classes.items()} == TYPE_TOKENS


def test_type_tokens_name_the_pattern_package_the_class_lives_in():
    for name, cls in _all_component_classes().items():
        _, pattern, class_name = cls.TYPE.split(":")
        assert class_name == name
        assert cls.__module__.split(".")[1] == pattern, f"{name} lives outside components/{pattern}/"


@pytest.mark.parametrize("name", ["webhook_subscription", "priority_queues"])
def test_a_moved_component_keeps_its_old_token_as_an_alias(name):
    classes = _all_component_classes()
    legacy = {cls.__name__: cls.LEGACY_TYPES for cls in classes.values()}
    assert any(name in token for tokens in legacy.values() for token in tokens)


@pytest.mark.parametrize(("outputs", "ok"), [
    ({"url": 1, "counters_table_name": 1, "replies_dlq_url": 1, "level_queue_urls": 1}, True),
    ({"client_config": 1, "deadline_seconds": 1, "events_bus_arn": 1, "worker_function_name": 1}, True),
    ({"table": 1}, False), ({"tableName": 1}, False), ({"queue_urls_map": 1}, False), ({"name": 1}, False),
])
def test_output_names_follow_one_rule(outputs, ok):
    if ok:
        check_output_names(outputs)
    else:
        with pytest.raises(ValueError, match="do not follow the rule"):
            check_output_names(outputs)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> tuple[Any, dict[str, Any]]:
    """The catalog program under mocks: what it declared, and the components it built."""
    import os

    os.environ["SERVERLESS_PATTERNS_BUILD_DIR"] = str(tmp_path_factory.mktemp("build"))
    namespace: dict[str, Any] = {}
    mocks = run_under_mocks(lambda: namespace.update(runpy.run_path(str(ROOT / "__main__.py"))))
    return mocks, namespace


def test_the_catalog_exports_each_component_outputs_as_built(catalog):
    _, namespace = catalog
    built = [value for value in namespace.values() if isinstance(value, PatternComponent)]
    assert len(built) >= 8
    for component in built:
        assert component.outputs, f"{type(component).__name__} registered no outputs"
        check_output_names(component.outputs)
    source = (ROOT / "__main__.py").read_text()
    for export in ("counter.outputs", "sequence.outputs", "priority.outputs", "priority_dynamo.outputs",
                   "broker.outputs", "webhook.outputs", "webhook_events.outputs", "limiter.outputs",
                   "limited_api.outputs", "decorated_api.outputs", "buffer.outputs",
                   "sharding.outputs", "webhook_delivery.outputs", "websockets.outputs",
                   "storage_first.outputs"):
        assert export in source


def test_every_function_gets_its_configuration_through_one_typed_variable(catalog):
    mocks, _ = catalog
    for function in mocks.of_type("aws:lambda/function:Function"):
        variables = (function.inputs.get("environment") or {}).get("variables") or {}
        assert len(variables) == 1 and next(iter(variables)).endswith("_CONFIG"), (function.name, variables)


def _args_classes() -> dict[str, type]:
    _all_component_classes()  # imports every module
    import dataclasses
    import sys

    found = {}
    for name, module in list(sys.modules.items()):
        if name.startswith("components."):
            for attr, value in vars(module).items():
                if attr.endswith("Args") and dataclasses.is_dataclass(value) and value.__module__ == name:
                    found[attr] = value
    return found


def test_every_args_class_is_frozen_and_keyword_only():
    import dataclasses

    classes = _args_classes()
    assert len(classes) == 19, sorted(classes)
    for name, cls in classes.items():
        assert cls.__dataclass_params__.frozen, f"{name} is not frozen"
        assert all(f.kw_only for f in dataclasses.fields(cls)), f"{name} is not keyword-only"
        assert "__post_init__" in cls.__dict__, f"{name} validates nothing"


def _nonsense_cases() -> list[tuple[str, Any, str]]:
    from components.core import Public, PythonFunctionArgs, RestApiArgs, WebSocketApiArgs
    from components.counter import AtomicCounterArgs
    from components.event_store import BankAccountsArgs, EventStoreArgs
    from components.priority import DynamoPriorityQueueArgs, PriorityQueuesArgs
    from components.rate_limit import Limit, RateLimiterArgs, RequestBufferArgs
    from components.scatter_gather import ProviderTarget, QuoteProviderArgs, ScatterGatherArgs
    from components.sequence import SequenceGeneratorArgs, SequenceSpec
    from components.sharding import Membership, ShardedQueueArgs
    from components.storage_first import ProcessorCode, StorageFirstApiArgs, StorageTarget
    from components.webhook import WebhookIngressArgs, WebhookSource, WebhookSubscriptionArgs, github
    from components.webhook_delivery import WebhookDispatcherArgs
    from components.websockets import WebSocketBroadcastArgs

    target = ProviderTarget(registry_table_name="r", topic_arn="t")
    return [
        ("PythonFunctionArgs.timeout", lambda: PythonFunctionArgs(package="counter", timeout=0), ""),
        ("PythonFunctionArgs.memory_size", lambda: PythonFunctionArgs(package="counter", memory_size=64), ""),
        ("RestApiArgs.routes", lambda: RestApiArgs(routes=[]), ""),
        ("AtomicCounterArgs.max_increment", lambda: AtomicCounterArgs(max_increment=0), ""),
        ("SequenceGeneratorArgs.max_attempts",
         lambda: SequenceGeneratorArgs(sequences=[SequenceSpec("a")], max_attempts=0), ""),
        ("SequenceGeneratorArgs.stage_name",
         lambda: SequenceGeneratorArgs(sequences=[SequenceSpec("a")], stage_name="a/b"), ""),
        ("PriorityQueuesArgs.batch_size", lambda: PriorityQueuesArgs(batch_size=0), ""),
        ("PriorityQueuesArgs.max_payload_bytes", lambda: PriorityQueuesArgs(max_payload_bytes=-1), ""),
        ("DynamoPriorityQueueArgs.lease_seconds", lambda: DynamoPriorityQueueArgs(lease_seconds=0), ""),
        ("DynamoPriorityQueueArgs.schedule", lambda: DynamoPriorityQueueArgs(schedule="every minute"), ""),
        ("ScatterGatherArgs.aggregator_concurrency", lambda: ScatterGatherArgs(aggregator_concurrency=1), ""),
        ("ScatterGatherArgs.deadline_seconds", lambda: ScatterGatherArgs(deadline_seconds=0), ""),
        ("QuoteProviderArgs.batch_size",
         lambda: QuoteProviderArgs(provider_id="p", function=None, target=target, batch_size=11), ""),
        ("QuoteProviderArgs.min_amount",
         lambda: QuoteProviderArgs(provider_id="p", function=None, target=target, min_amount=-1), ""),
        ("WebhookIngressArgs.max_body_bytes",
         lambda: WebhookIngressArgs(sources=[WebhookSource("a", github())], max_body_bytes=0), ""),
        ("RateLimiterArgs.shards", lambda: RateLimiterArgs(limits=[Limit("a", 10, 1)], shards=0), ""),
        ("RateLimiterArgs.limits", lambda: RateLimiterArgs(limits=[]), ""),
        ("RequestBufferArgs.max_concurrency", lambda: RequestBufferArgs(max_concurrency=1), ""),
        ("WebhookSubscriptionArgs.max_receive_count",
         lambda: WebhookSubscriptionArgs(bus_name="b", max_receive_count=0), ""),
        ("ShardedQueueArgs.shards", lambda: ShardedQueueArgs(shards=[]), ""),
        ("EventStoreArgs.namespace", lambda: EventStoreArgs(namespace="a#b"), ""),
        ("BankAccountsArgs.snapshot_every", lambda: BankAccountsArgs(snapshot_every=0), ""),
        ("ShardedQueueArgs.membership",
         lambda: ShardedQueueArgs(shards=["a"], membership=Membership.initial(["b"])), ""),
        ("WebhookDispatcherArgs.event_types", lambda: WebhookDispatcherArgs(event_types=[]), ""),
        ("WebhookDispatcherArgs.schedule", lambda: WebhookDispatcherArgs(event_types=["a"], schedule=[0, -5]), ""),
        ("WebhookDispatcherArgs.allowed_networks",
         lambda: WebhookDispatcherArgs(event_types=["a"], allowed_networks=["localhost"]), ""),
        ("WebSocketBroadcastArgs.max_message_bytes",
         lambda: WebSocketBroadcastArgs(max_message_bytes=128 * 1024 + 1), ""),
        ("WebSocketBroadcastArgs.connect_auth", lambda: WebSocketBroadcastArgs(connect_auth="none"), ""),  # type: ignore[arg-type]
        ("WebSocketApiArgs.routes", lambda: WebSocketApiArgs(routes=[], connect_auth=Public("tested in isolation")),
         ""),
        ("StorageFirstApiArgs.targets", lambda: StorageFirstApiArgs(targets=[]), ""),
        ("StorageFirstApiArgs.targets",
         lambda: StorageFirstApiArgs(targets=[StorageTarget("a"), StorageTarget("a", "dynamodb")]), ""),
        ("StorageFirstApiArgs.max_attempts", lambda: StorageFirstApiArgs(targets=[StorageTarget("a")], max_attempts=0),
         ""),
        ("StorageTarget.kind", lambda: StorageTarget("a", "kinesis"), ""),  # type: ignore[arg-type]
        ("StorageTarget.name", lambda: StorageTarget("Orders/new"), ""),
        ("StorageTarget.schema", lambda: StorageTarget("a", schema={"type": "array"}), ""),
        ("StorageTarget.max_body_bytes", lambda: StorageTarget("a", max_body_bytes=10 ** 7), ""),
        ("ProcessorCode.handler", lambda: ProcessorCode(handler="process"), ""),
    ]


@pytest.mark.parametrize(("field", "make", "_"), _nonsense_cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_nonsense_arguments_are_refused_with_a_value_error_naming_the_field(field, make, _):
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        make()
