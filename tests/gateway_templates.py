"""API Gateway's side of a service integration, played outside the emulator: the deployed route's
mapping templates rendered by ``airspeed`` (the Velocity engine LocalStack renders them with) with the
variables API Gateway documents (``$input``, ``$util``, ``$context``), the integration response chosen
by its selection pattern, and the call made with the integration's own role.

Where the emulator lacks a service integration, a route is proven in two halves with this: the
rendered request sent to the emulator's service API stores what it should, and the response template
rendered over the service's answer is what the client would get.

``$util.escapeJavaScript`` follows the Java implementation API Gateway documents (Apache Commons
Lang's ``StringEscapeUtils.escapeJavaScript``): it escapes ``'`` as ``\\'`` too, which is why the
templates undo that.
"""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any

import airspeed
import boto3

_PATH_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\['([^']*)'\]")


def json_path(document: Any, path: str) -> Any:
    """The subset of JSONPath templates use: ``$``, ``$.a.b``, ``$.a[0]``, ``$['a']``."""
    path = path.strip()
    if not path.startswith("$"):
        raise ValueError(f"not a JSONPath: {path!r}")
    node, position = document, 1
    while position < len(path):
        step = _PATH_STEP.match(path, position)
        if not step:
            raise ValueError(f"unsupported JSONPath {path!r}")
        name, index, quoted = step.groups()
        if index is not None:
            node = node[int(index)] if isinstance(node, list) and int(index) < len(node) else None
        else:
            node = node.get(name if name is not None else quoted) if isinstance(node, dict) else None
        if node is None:
            return None
        position = step.end()
    return node


class Input:
    """``$input``: the body, JSONPath reads of it, and the request's parameters (path, then query
    string, then header; exact names, as sent)."""

    def __init__(self, body: str, params: dict[str, dict[str, str]]) -> None:
        self.body, self._params = body, params

    def _document(self) -> Any:
        return json.loads(self.body) if self.body else None

    def path(self, path: str) -> Any:
        return json_path(self._document(), path)

    def json(self, path: str) -> str:
        return json.dumps(self.path(path))

    def params(self, name: str | None = None) -> Any:
        if name is None:
            return self._params
        for where in ("path", "querystring", "header"):
            if name in self._params.get(where, {}):
                return self._params[where][name]
        return ""


def escape_javascript(value: Any) -> str:
    """Commons Lang 2 ``escapeJavaScript``: quotes, backslash, slash, control and non-ASCII characters."""
    out = []
    for char in str(value):
        code = ord(char)
        if char in "'\"\\/":
            out.append("\\" + char)
        elif char in "\b\f\n\r\t":
            out.append({"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}[char])
        elif code < 0x20 or code > 0x7F:
            out.extend(f"\\u{unit:04X}" for unit in _utf16(char))
        else:
            out.append(char)
    return "".join(out)


def _utf16(char: str) -> list[int]:
    data = char.encode("utf-16-be")
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]


class Util:
    """``$util``."""

    def escapeJavaScript(self, value: Any) -> str:  # noqa: N802 - the name templates call
        return escape_javascript(value)

    def urlEncode(self, value: Any) -> str:  # noqa: N802
        return urllib.parse.quote_plus(str(value), safe="*").replace("~", "%7E")

    def urlDecode(self, value: Any) -> str:  # noqa: N802
        return urllib.parse.unquote_plus(str(value))

    def base64Encode(self, value: Any) -> str:  # noqa: N802
        return base64.b64encode(str(value).encode()).decode()

    def base64Decode(self, value: Any) -> str:  # noqa: N802
        return base64.b64decode(str(value)).decode()

    def parseJson(self, value: str) -> Any:  # noqa: N802
        return json.loads(value)


@dataclass
class Request:
    """What a client sent to one method: the body bytes and headers, as API Gateway receives them."""

    method: str
    resource_path: str
    body: bytes
    headers: dict[str, str]
    path: dict[str, str] = field(default_factory=dict)
    stage: str = "api"
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time_epoch_ms: int = field(default_factory=lambda: int(time.time() * 1000))

    def context(self, account: str, api_id: str) -> dict[str, Any]:
        return {
            "requestId": self.request_id, "extendedRequestId": self.request_id, "accountId": account,
            "apiId": api_id, "stage": self.stage, "httpMethod": self.method, "resourcePath": self.resource_path,
            "requestTimeEpoch": self.time_epoch_ms, "protocol": "HTTP/1.1",
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(self.time_epoch_ms / 1000)),
            "identity": {"sourceIp": "127.0.0.1", "userAgent": self.headers.get("User-Agent", "")},
            "requestOverride": {"header": {}, "path": {}, "querystring": {}},
            "responseOverride": {"header": {}, "status": None},
        }


def render(template: str, body: str, request: Request, account: str, api_id: str) -> tuple[str, dict[str, Any]]:
    """The template rendered as API Gateway would for ``request`` (``body``: the request's, or the
    service's answer for a response template); returns the text and ``$context`` afterwards (its
    ``responseOverride``)."""
    context = request.context(account, api_id)
    namespace = {"input": Input(body, {"path": dict(request.path), "querystring": {}, "header": dict(request.headers)}),
                 "util": Util(), "context": context, "stageVariables": {}}
    return airspeed.Template(template).merge(namespace), context


@dataclass
class Route:
    """A deployed method's integration, read back from API Gateway."""

    api_id: str
    uri: str
    credentials: str
    request_templates: dict[str, str]
    responses: dict[str, dict[str, Any]]
    resource_path: str
    http_method: str = "POST"
    request_parameters: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, api_id: str, method: str, path: str) -> Route:
        apigateway = boto3.client("apigateway")
        [resource] = [r for r in apigateway.get_resources(restApiId=api_id, limit=500)["items"] if r["path"] == path]
        integration = apigateway.get_integration(restApiId=api_id, resourceId=resource["id"], httpMethod=method)
        return cls(api_id, integration["uri"], integration["credentials"], integration["requestTemplates"],
                   integration.get("integrationResponses", {}), path, integration.get("httpMethod", "POST"),
                   integration.get("requestParameters") or {})

    def rendered(self, request: Request, account: str) -> str:
        """The request template rendered for ``request``: the body the service receives."""
        content_type = request.headers.get("Content-Type", "application/json").split(";")[0].strip()
        return render(self.request_templates[content_type], request.body.decode(), request, account, self.api_id)[0]

    def service_request(self, request: Request, account: str) -> dict[str, Any]:
        """The rendered request template as the JSON document the service receives."""
        return json.loads(self.rendered(request, account))

    def path_parameter(self, name: str, request: Request) -> str:
        """An integration path parameter's value for ``request`` (mapped from ``context.*`` or a literal)."""
        source = self.request_parameters[f"integration.request.path.{name}"]
        if source.startswith("'"):
            return source.strip("'")
        assert source.startswith("context."), f"unsupported mapping {source}"
        return str(request.context("", self.api_id)[source.removeprefix("context.")])

    def response(self, request: Request, account: str, status: int, answer: dict[str, Any]) -> tuple[int, Any]:
        """(status, body) the client gets for the service's ``(status, answer)``: the integration response
        whose selection pattern matches the status (else the default), its template rendered."""
        chosen = next((r for r in self.responses.values()
                       if r.get("selectionPattern") and re.fullmatch(r["selectionPattern"], str(status))), None)
        chosen = chosen or next(r for r in self.responses.values() if not r.get("selectionPattern"))
        template = (chosen.get("responseTemplates") or {}).get("application/json", "")
        text, context = render(template, json.dumps(answer), request, account, self.api_id)
        override = context["responseOverride"]["status"]
        return int(override or chosen["statusCode"]), json.loads(text)

    def session(self) -> boto3.session.Session:
        """The integration's role, assumed as API Gateway assumes it."""
        assumed = boto3.client("sts").assume_role(RoleArn=self.credentials, RoleSessionName="apigateway")
        credentials = assumed["Credentials"]
        return boto3.session.Session(
            aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"], region_name=boto3.session.Session().region_name)
