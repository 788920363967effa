"""What benchmarks/webhook.py measures: the webhook verifier and, beside it on the same bus, the
pass-through baseline that verifies nothing; plus a second verifier the benchmark runs with replay
protection switched off (POWERTOOLS_IDEMPOTENCY_DISABLED), to show what each part costs."""

import pulumi

from components import iam
from components.function import PythonFunction, PythonFunctionArgs
from components.rest_api import RestApi, RestApiArgs, Route
from components.webhook import WebhookIngress, WebhookIngressArgs, WebhookSource, github

ingress = WebhookIngress("bench", WebhookIngressArgs(sources=[WebhookSource("github", github())]))
unprotected = WebhookIngress("nodedup", WebhookIngressArgs(
    sources=[WebhookSource("github", github(), secret_arn=ingress.secret_arns["github"])]))
baseline = PythonFunction("passthrough", PythonFunctionArgs(
    package="webhook",
    handler="passthrough.handler",
    statements=[iam.allow(["events:PutEvents"], [ingress.bus_arn])],
    environment={"EVENT_BUS_NAME": ingress.bus_name},
))
api = RestApi("baseline-api", RestApiArgs(routes=[Route("POST", "/passthrough/{source}", baseline)]))
pulumi.export("verifier_url", ingress.url)
pulumi.export("unprotected_url", unprotected.url)
pulumi.export("unprotected_function", unprotected.verifier.name)
pulumi.export("passthrough_url", api.url)
pulumi.export("secret_arn", ingress.secret_arns["github"])
