"""One creator per Pulumi resource type the catalog uses: Pulumi inputs in, boto3 calls against
the target endpoint, the provider's outputs (real ids, ARNs, URLs) back.

One module per AWS service; each registers its creators with ``@creates("<type token>")``.
Importing this package registers them all.
"""

from localcloud.provisioners import (  # noqa: F401  (registers)
    apigateway,
    apigatewayv2,
    dynamodb,
    events,
    iam,
    lambda_,
    logs,
    s3,
    secretsmanager,
    sns,
    sqs,
    ssm,
    stepfunctions,
)
from localcloud.provisioners.base import CREATORS, Cloud, creates

__all__ = ["CREATORS", "Cloud", "creates"]
