import json

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from functions.common.rest import refuse_invalid_input
from functions.common.validation import validate_name


def test_invalid_input_from_any_route_is_a_400_with_its_message():
    app = APIGatewayRestResolver()
    refuse_invalid_input(app)

    @app.get("/things/<name>")
    def read(name: str) -> dict:
        return {"name": validate_name(name, "thing name")}

    def call(name: str) -> dict:
        return app.resolve({"path": f"/things/{name}", "httpMethod": "GET", "headers": {},
                            "requestContext": {"requestId": "r"}, "resource": "/things/{name}"}, {})

    assert json.loads(call("ok")["body"]) == {"name": "ok"}
    refused = call("-bad")
    assert refused["statusCode"] == 400
    body = json.loads(refused["body"])
    assert body["statusCode"] == 400 and body["message"].startswith("invalid thing name '-bad'")
    assert refused["multiValueHeaders"]["Content-Type"] == ["application/json"]
