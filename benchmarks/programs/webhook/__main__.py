"""What benchmarks/webhook.py measures: the webhook verifier and, beside it on the same bus, the
pass-through baseline that verifies nothing; plus a second verifier the benchmark runs with replay
protection switched off (POWERTOOLS_IDEMPOTENCY_DISABLED), to show what each part costs."""

import pulumi

from components.core import Public, PythonFunction, PythonFunctionArgs, RestApi, RestApiArgs, Route, handoff, iam
from components.webhook import WebhookIngress, WebhookIngressArgs, WebhookSource, github
from functions.webhook.config import WebhookConfig

ingress = WebhookIngress("bench", WebhookIngressArgs(sources=[WebhookSource("github", github())]))
unprotected = WebhookIngress("nodedup", WebhookIngressArgs(
    sources=[WebhookSource("github", github(), secret_arn=ingress.secret_arns["github"])]))
baseline = PythonFunction("passthrough", PythonFunctionArgs(
    package="webhook",
    handler="passthrough.handler",
    statements=[iam.allow(["events:PutEvents"], [ingress.bus_arn])],
    environment=handoff(WebhookConfig, event_bus_name=ingress.bus_name, deliveries_table="unused"),
))
api = RestApi("baseline-api", RestApiArgs(
    routes=[Route("POST", "/passthrough/{source}", baseline)],
    auth=Public("the baseline is public like the webhook routes it is compared with")))
pulumi.export("verifier_url", ingress.url)
pulumi.export("unprotected_url", unprotected.url)
pulumi.export("unprotected_function", unprotected.verifier.name)
pulumi.export("passthrough_url", api.url)
pulumi.export("secret_arn", ingress.secret_arns["github"])
