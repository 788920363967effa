"""HTTP clients for the deployed routes: SigV4 signing for ``IamAuth`` routes, 429 retries.

Routes are authenticated by default (``components.core.auth.IamAuth``): a caller signs each request
with AWS credentials for the ``execute-api`` service, as ``awscurl`` or an AWS SDK would. The
credentials are boto3's own (environment, profile, role), so the same client works against the
embedded emulator, LocalStack and AWS.

Examples
--------
>>> session = signed_session()                                   # doctest: +SKIP
>>> session.post(f"{url}/counters/orders", timeout=30).json()   # doctest: +SKIP
{'name': 'orders', 'value': 1}
"""

from __future__ import annotations

import boto3
import requests
from botocore.auth import SigV4Auth as _BotocoreSigV4
from botocore.awsrequest import AWSRequest
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

_SIGNED_HEADERS = ("content-type",)  # what requests will not change after signing (the host is in the URL)


class SigV4(requests.auth.AuthBase):
    """Signs each request for API Gateway's ``AWS_IAM`` authorization with boto3's credentials."""

    def __init__(self, region: str | None = None, session: boto3.session.Session | None = None,
                 service: str = "execute-api") -> None:
        session = session or boto3.session.Session()
        credentials = session.get_credentials()
        if credentials is None:
            raise RuntimeError("no AWS credentials to sign with: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
                               "or a profile (any values work against an emulator)")
        self._credentials = credentials
        self._region = region or session.region_name or "us-east-1"
        self._service = service

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        headers = {k: v for k, v in request.headers.items() if k.lower() in _SIGNED_HEADERS}
        aws_request = AWSRequest(method=request.method, url=request.url, data=body, headers=headers)
        _BotocoreSigV4(self._credentials.get_frozen_credentials(), self._service, self._region).add_auth(aws_request)
        for name, value in aws_request.headers.items():
            if name.lower() in ("authorization", "x-amz-date", "x-amz-security-token"):
                request.headers[name] = value
        return request


def retrying_session(auth: requests.auth.AuthBase | None = None) -> requests.Session:
    """A session that retries throttled calls (429), as an AWS client should: a throttled invocation
    never ran, so retrying it cannot double-apply anything."""
    retry = Retry(total=30, status_forcelist=[429], allowed_methods=None, backoff_factor=0.1,
                  backoff_max=2, respect_retry_after_header=False, raise_on_status=False)
    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=retry, pool_maxsize=64))
    session.mount("https://", HTTPAdapter(max_retries=retry, pool_maxsize=64))
    session.auth = auth
    return session


def signed_session(region: str | None = None) -> requests.Session:
    """A retrying session whose requests are SigV4-signed (for routes behind ``IamAuth``)."""
    return retrying_session(SigV4(region))
