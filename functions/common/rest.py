"""Shared REST behaviour for Powertools resolvers: bad input becomes a 400 carrying its message."""

from __future__ import annotations

from http import HTTPStatus

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types

from functions.common.validation import InvalidInput


def refuse_invalid_input(app: APIGatewayRestResolver) -> None:
    """Answer every :class:`InvalidInput` a route raises with 400 and its message (the body of
    Powertools' ``BadRequestError``), so routes validate without catching anything."""

    @app.exception_handler(InvalidInput)
    def bad_request(exc: InvalidInput) -> Response:
        return Response(HTTPStatus.BAD_REQUEST, content_types.APPLICATION_JSON,
                        {"statusCode": HTTPStatus.BAD_REQUEST, "message": str(exc)})
