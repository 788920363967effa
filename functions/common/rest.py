"""The REST resolver every Lambda-proxy handler uses: Powertools' router with the catalog's one
error contract (:mod:`functions.common.errors`) installed, so routes only raise.

- an :class:`HttpError` (``InvalidInput``, ``NotFound``, a pattern's own...) -> its status, code
  and message;
- a path or method no route serves -> 404 ``route_not_found``;
- an AWS service that throttled, failed or could not be reached (after the SDK's own retries) ->
  503 ``unavailable`` with ``Retry-After``: the same request succeeds later;
- anything else -> logged with its traceback, answered 500 ``internal_error`` with no detail (a
  stack trace or an exception text never reaches the caller).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError
from botocore.exceptions import BotoCoreError, ClientError

from functions.common.errors import (
    CODES_BY_STATUS,
    INTERNAL_MESSAGE,
    HttpError,
    error_body,
    error_code,
    error_headers,
    is_transient,
)


def _response(status: int, message: str, code: str, retry_after: int | None = None,
              extra: dict[str, str] | None = None) -> Response:
    headers = {**error_headers(status, retry_after), **(extra or {})}
    headers.pop("Content-Type")
    return Response(status, content_types.APPLICATION_JSON, error_body(message, code), headers)


def rest_resolver(logger: Logger) -> APIGatewayRestResolver:
    """An ``APIGatewayRestResolver`` whose every error follows the catalog's contract."""
    app = APIGatewayRestResolver()

    @app.exception_handler(HttpError)
    def refused(error: HttpError) -> Response:
        logger.info("refused", extra={"status": error.status, "code": error.code, "reason": error.message})
        return _response(error.status, error.message, error.code, error.retry_after, error.headers)

    @app.exception_handler(NotFoundError)
    def no_route(error: NotFoundError) -> Response:
        event: Any = app.current_event
        message = error.msg if isinstance(error.msg, str) and error.msg and error.msg != "Not found" else \
            f"no route {event.http_method} {event.path}"
        return _response(404, message, "route_not_found")

    @app.exception_handler(ServiceError)
    def powertools_error(error: ServiceError) -> Response:
        return _response(error.status_code, str(error.msg), CODES_BY_STATUS.get(error.status_code, "error"))

    @app.exception_handler(BotoCoreError)
    def unreachable(error: BotoCoreError) -> Response:
        logger.warning("an AWS service could not be reached", extra={"error": type(error).__name__})
        return _response(503, "a service this route depends on did not answer; retry later", "unavailable", 1)

    @app.exception_handler(ClientError)
    def service_error(error: ClientError) -> Response:
        if is_transient(error):
            logger.warning("an AWS service throttled or failed", extra={"code": error_code(error)})
            return _response(503, "a service this route depends on is busy or failing; retry later", "unavailable", 1)
        logger.exception("an AWS call was refused")
        return _response(500, INTERNAL_MESSAGE, "internal_error")

    @app.exception_handler(Exception)
    def unexpected(error: Exception) -> Response:
        logger.exception("unexpected error")
        return _response(500, INTERNAL_MESSAGE, "internal_error")

    return app
