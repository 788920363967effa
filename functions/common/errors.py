"""The one HTTP error contract of every handler in the catalog (see ``docs/http-errors.md``).

Every refusal is an :class:`HttpError` (or a subclass a pattern defines): its class says the
status and a stable machine-readable ``code``, its message says what was wrong and is safe to
return. One body shape for every status, ``{"message": ..., "code": ...}``, and a ``Retry-After``
header on 429 and 503, built here and nowhere else.

Examples
--------
>>> error_response(NotFound("no job abc"))["statusCode"]
404
>>> error_response(Unavailable("the store did not answer"))["headers"]["Retry-After"]
'1'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

RETRY_AFTER_STATUSES = frozenset({429, 503})
INTERNAL_MESSAGE = "internal error; the request may be retried"


class HttpError(Exception):
    """A request refused with an HTTP status. Subclasses set ``status`` and ``code``; an instance may
    override them (``status=``, ``code=``) when the status is decided at run time."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 retry_after: int | None = None, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = dict(headers or {})  # extra response headers (e.g. RateLimit on a 429)
        if status is not None:
            self.status = status  # type: ignore[misc]  # an instance may refine its class's status
        if code is not None:
            self.code = code  # type: ignore[misc]
        self.retry_after = retry_after if retry_after is not None else (
            1 if self.status in RETRY_AFTER_STATUSES else None)


class InvalidInput(HttpError, ValueError):
    """The request is malformed; the message says what was wrong and is safe to return."""

    status = 400
    code = "invalid_input"


class Unauthorized(HttpError):
    status = 401
    code = "unauthorized"


class Forbidden(HttpError):
    status = 403
    code = "forbidden"


class NotFound(HttpError):
    status = 404
    code = "not_found"


class Conflict(HttpError):
    status = 409
    code = "conflict"


class PayloadTooLarge(HttpError):
    status = 413
    code = "payload_too_large"


class Unprocessable(HttpError):
    status = 422
    code = "unprocessable"


class TooManyRequests(HttpError):
    status = 429
    code = "too_many_requests"


class Unavailable(HttpError):
    """A dependency did not answer; the same request succeeds later."""

    status = 503
    code = "unavailable"


CODES_BY_STATUS = {400: "invalid_input", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                   405: "method_not_allowed", 409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type",
                   422: "unprocessable", 429: "too_many_requests", 500: "internal_error", 502: "bad_gateway",
                   503: "unavailable", 504: "timeout"}


def error_body(message: str, code: str) -> dict[str, str]:
    """The body every error response carries, whatever its status."""
    return {"message": message, "code": code}


def error_headers(status: int, retry_after: int | None = None) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if status in RETRY_AFTER_STATUSES:
        headers["Retry-After"] = str(retry_after if retry_after is not None else 1)
    return headers


def error_response(error: HttpError) -> dict[str, Any]:
    """An API Gateway Lambda-proxy response for ``error``."""
    response = status_response(error.status, error.message, error.code, error.retry_after)
    response["headers"].update(error.headers)
    return response


def status_response(status: int, message: str, code: str | None = None,
                    retry_after: int | None = None) -> dict[str, Any]:
    """An error response for a bare status (``code`` defaults to the status's usual name)."""
    return {
        "statusCode": status,
        "headers": error_headers(status, retry_after),
        "body": json.dumps(error_body(message, code or CODES_BY_STATUS.get(status, "error"))),
    }


# Error codes of an AWS call that a later identical call may not meet (botocore retried them already).
TRANSIENT_CODES = frozenset({
    "ThrottlingException", "Throttling", "ThrottledException", "RequestThrottled", "TooManyRequestsException",
    "ProvisionedThroughputExceededException", "RequestLimitExceeded", "TransactionInProgressException",
    "ServiceUnavailable", "InternalServerError", "InternalFailure", "InternalError", "InternalException",
    "ServiceException", "SlowDown",
})


def error_code(error: Exception) -> str:
    """The AWS error code of a botocore ``ClientError`` (SQS's namespaced form reduced to the code)."""
    response = getattr(error, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    return code.rsplit(".", 1)[-1]


def is_transient(error: Exception) -> bool:
    """Whether an AWS error is throttling or a server-side failure: worth a retry later, not a bug."""
    response = getattr(error, "response", None) or {}
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return error_code(error) in TRANSIENT_CODES or status >= 500 or status == 429
