"""Check the SigV4 signature of a WebSocket upgrade request, as API Gateway does for AWS_IAM on $connect.

The secret of an access key is known for the keys moto's IAM and STS created (a Lambda function's
role credentials among them) and for the emulator's conventional test credentials
(``testing``/``testing``); any other key is refused, as AWS refuses an unknown key. IAM policies
are not evaluated: a valid signature is enough here.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

TEST_CREDENTIALS = {"testing": "testing"}
MAX_SKEW = datetime.timedelta(minutes=15)
_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request,"
    r"\s*SignedHeaders=(?P<signed>[^,]+),\s*Signature=(?P<signature>[0-9a-f]{64})"
)


@dataclass
class Identity:
    access_key: str
    account_id: str
    user_arn: str


class SignatureError(Exception):
    """Why a request is not authorised (API Gateway answers 403)."""


def _secret_for(access_key: str) -> tuple[str, str, str] | None:
    """(secret, account, user ARN) of an access key the emulator knows."""
    if access_key in TEST_CREDENTIALS:
        return TEST_CREDENTIALS[access_key], "123456789012", "arn:aws:iam::123456789012:user/testing"
    from moto.iam.models import iam_backends

    for account_id, account in list(iam_backends.items()):
        for backend in list(account.values()):
            key = backend.access_keys.get(access_key)
            if key is not None:
                return key.secret_access_key, account_id, _caller_arn(account_id, key)
    return None


def _caller_arn(account_id: str, key: object) -> str:
    """A user's ARN, or for temporary credentials (a Lambda function's) the assumed role's session ARN."""
    if getattr(key, "user_name", None):
        return f"arn:aws:iam::{account_id}:user/{key.user_name}"
    from moto.sts.models import sts_backends

    for backend in list(sts_backends[account_id].values()):
        role = backend.get_assumed_role_from_access_key(key.access_key_id)
        if role is not None:
            return role.arn
    return f"arn:aws:iam::{account_id}:user/{key.user_name}"


def verify(method: str, url: str, headers: dict[str, str], region: str) -> Identity:
    """The caller's identity, or SignatureError. ``headers`` are the request's, names in any case."""
    lowered = {name.lower(): value for name, value in headers.items()}
    match = _AUTHORIZATION.match(lowered.get("authorization", ""))
    if not match:
        raise SignatureError("Missing Authentication Token: the request is not signed with SigV4")
    if match["service"] != "execute-api" or match["region"] != region:
        raise SignatureError(
            f"Credential should be scoped to {region}/execute-api, not {match['region']}/{match['service']}"
        )
    stamp = lowered.get("x-amz-date", "")
    try:
        when = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC)
    except ValueError:
        raise SignatureError("X-Amz-Date is missing or malformed") from None
    if abs(datetime.datetime.now(datetime.UTC) - when) > MAX_SKEW:
        raise SignatureError("Signature expired: X-Amz-Date is more than 15 minutes away from now")
    known = _secret_for(match["key"])
    if known is None:
        raise SignatureError("The security token included in the request is invalid")
    secret, account_id, user_arn = known
    signed = match["signed"].split(";")
    request = AWSRequest(
        method=method, url=url, headers={name: lowered.get(name, "") for name in signed if name != "host"}
    )
    request.headers["host"] = lowered.get("host", "")
    request.context["timestamp"] = stamp
    auth = SigV4Auth(Credentials(match["key"], secret, lowered.get("x-amz-security-token")), "execute-api", region)
    canonical = auth.canonical_request(request)
    expected = auth.signature(auth.string_to_sign(request, canonical), request)
    if expected != match["signature"]:
        raise SignatureError("The request signature we calculated does not match the signature you provided")
    return Identity(access_key=match["key"], account_id=account_id, user_arn=user_arn)
