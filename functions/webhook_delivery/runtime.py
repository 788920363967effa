"""The objects every dispatcher handler builds once per execution environment."""

from __future__ import annotations

import boto3
from aws_lambda_powertools import Logger

from functions.webhook_delivery.config import DispatcherConfig
from functions.webhook_delivery.dispatcher import Dispatcher
from functions.webhook_delivery.store import DispatcherStore


def dispatcher(service: str) -> tuple[DispatcherConfig, Dispatcher, Logger]:
    config = DispatcherConfig.from_environment()
    logger = Logger(service=service)
    store = DispatcherStore(boto3.client("dynamodb"), config.endpoints_table, config.messages_table,
                            config.retention_seconds)
    return config, Dispatcher(config, store, boto3.client("sqs"), logger), logger
