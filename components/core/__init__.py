"""The shared building blocks every pattern is made of.

- :class:`PatternComponent`: the base of every component (fixed type token, one output contract).
- :class:`PythonFunction` and :func:`handoff`: a Lambda from ``functions/<package>`` with its own
  least-privilege role, and the typed configuration it receives.
- :class:`RestApi` and :class:`Route`: API Gateway REST v1 routes to Lambda or to AWS services,
  authenticated by :class:`IamAuth` (default), :class:`ApiKeyAuth`, :class:`LambdaAuthorizer`, or
  explicitly :class:`Public`.
- :func:`queue_with_dead_letters`, :func:`sqs_consumer`, :func:`allow_service_to_send`,
  :func:`events_to_queue`: queues.
- :func:`on_demand_table`: the catalog's DynamoDB table shape.
- :class:`WebSocketApi` and :class:`WebSocketRoute`: API Gateway v2 WebSocket routes to Lambda, ``$connect``
  guarded by a :class:`ConnectAuthorizer` (or explicitly :class:`Public`).
- :mod:`~components.core.iam`: least-privilege policy statements and roles.
- :mod:`~components.core.validation`: argument checks that name the failing field.
"""

from components.core import iam, validation
from components.core.auth import (
    ApiKeyAuth,
    Authorization,
    GatewayAnswer,
    IamAuth,
    LambdaAuthorizer,
    Public,
    UsageTier,
)
from components.core.component import PatternComponent, check_output_names
from components.core.function import PythonFunction, PythonFunctionArgs, handoff
from components.core.queues import allow_service_to_send, events_to_queue, queue_with_dead_letters, sqs_consumer
from components.core.rest_api import (
    RestApi,
    RestApiArgs,
    Route,
    ServiceIntegration,
    ServiceResponse,
    service_action_uri,
    service_path_uri,
    sqs_integration_uri,
)
from components.core.tables import on_demand_table
from components.core.websocket_api import ConnectAuthorizer, WebSocketApi, WebSocketApiArgs, WebSocketRoute

__all__ = [
    "ApiKeyAuth",
    "Authorization",
    "ConnectAuthorizer",
    "GatewayAnswer",
    "IamAuth",
    "LambdaAuthorizer",
    "PatternComponent",
    "Public",
    "PythonFunction",
    "PythonFunctionArgs",
    "RestApi",
    "RestApiArgs",
    "Route",
    "UsageTier",
    "WebSocketApi",
    "WebSocketApiArgs",
    "WebSocketRoute",
    "ServiceIntegration",
    "ServiceResponse",
    "allow_service_to_send",
    "check_output_names",
    "events_to_queue",
    "handoff",
    "iam",
    "on_demand_table",
    "queue_with_dead_letters",
    "service_action_uri",
    "service_path_uri",
    "sqs_consumer",
    "sqs_integration_uri",
    "validation",
]
