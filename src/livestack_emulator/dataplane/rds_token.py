"""IAM database authentication tokens, checked as RDS and RDS Proxy check them.

A token is what ``boto3.client("rds").generate_db_auth_token(host, port, user)`` makes: a SigV4
presigned URL without its scheme, ``<host>:<port>/?Action=connect&DBUser=<user>&X-Amz-...``,
for the service ``rds-db``, valid for ``X-Amz-Expires`` seconds (at most 900) from
``X-Amz-Date``. It admits one user at one host and port, and only when signed with credentials
the emulator knows: the access keys of moto's IAM, the session credentials of moto's STS, and
the emulator's test keys (``sigv4.TEST_CREDENTIALS``).
"""

from __future__ import annotations

import datetime
import hmac
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from ..sigv4 import TEST_CREDENTIALS, _secret_for

SERVICE = "rds-db"
MAX_EXPIRES = 900
# A token dated ahead of the server's clock by more than this is refused (clock skew).
MAX_SKEW = datetime.timedelta(minutes=5)


class TokenError(Exception):
    """Why a token does not admit the user (the client sees only MySQL's error 1045)."""


@dataclass(frozen=True)
class Signer:
    access_key: str
    account_id: str
    arn: str
    session_token: str | None = None


def _credentials(access_key: str) -> tuple[str, str | None, Signer] | None:
    """(secret key, session token it must come with, signer) of an access key the emulator knows.

    STS first: moto's IAM also lists the keys of assumed roles, without their session token.
    """
    from moto.sts.models import sts_backends

    for account_id, partitions in list(sts_backends.items()):
        for backend in list(partitions.values()):
            role = backend.get_assumed_role_from_access_key(access_key)
            if role is not None:
                if role.expiration < datetime.datetime.now(datetime.UTC).replace(tzinfo=None):
                    return None
                signer = Signer(access_key, account_id, role.role_arn, role.session_token)
                return role.secret_access_key, role.session_token, signer
    known = _secret_for(access_key)
    if known is not None:
        secret, account_id, arn = known
        return secret, None, Signer(access_key, account_id, arn)
    return None


def verify(token: str, host: str, port: int, user: str, region: str, now: datetime.datetime | None = None) -> Signer:
    """The signer of a valid token for ``user`` at ``host:port`` in ``region``; else ``TokenError``."""
    now = now or datetime.datetime.now(datetime.UTC)
    netloc, separator, query = token.partition("/?")
    if not separator or "X-Amz-Signature=" not in query:
        raise TokenError("the password is not an IAM authentication token")
    if netloc != f"{host}:{port}":
        raise TokenError(f"the token is for {netloc}, not {host}:{port}")
    params = dict(parse_qsl(query, keep_blank_values=True))
    if params.get("Action") != "connect":
        raise TokenError("the token is not for Action=connect")
    if params.get("DBUser") != user:
        raise TokenError(f"the token is for the user {params.get('DBUser')!r}, not {user!r}")
    if params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" or params.get("X-Amz-SignedHeaders") != "host":
        raise TokenError("the token is not signed with AWS4-HMAC-SHA256 over the host")
    try:
        access_key, day, scope_region, service, terminator = params["X-Amz-Credential"].split("/")
        signed_at = datetime.datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC)
        expires = int(params["X-Amz-Expires"])
    except (KeyError, ValueError):
        raise TokenError("the token's credential, date or expiry is missing or malformed") from None
    if service != SERVICE or scope_region != region or terminator != "aws4_request" or day != params["X-Amz-Date"][:8]:
        raise TokenError(f"the token is scoped to {scope_region}/{service}, not {region}/{SERVICE}")
    if not 0 < expires <= MAX_EXPIRES:
        raise TokenError(f"X-Amz-Expires {expires} is not between 1 and {MAX_EXPIRES} seconds")
    if now > signed_at + datetime.timedelta(seconds=expires):
        raise TokenError(f"the token expired at {signed_at + datetime.timedelta(seconds=expires):%Y-%m-%dT%H:%M:%SZ}")
    if signed_at - now > MAX_SKEW:
        raise TokenError("the token is dated in the future")
    known = _credentials(access_key)
    if known is None:
        raise TokenError(f"the access key {access_key} is not known")
    secret, session_token, signer = known
    if session_token is not None and params.get("X-Amz-Security-Token") != session_token:
        raise TokenError("the token's session token does not belong to its access key")
    signature = params.pop("X-Amz-Signature")
    request = AWSRequest(
        method="GET",
        url=f"https://{netloc}/?" + "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params.items()),
    )
    request.context["timestamp"] = params["X-Amz-Date"]
    auth = SigV4QueryAuth(Credentials(access_key, secret, params.get("X-Amz-Security-Token")), SERVICE, region, expires)
    expected = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
    if not hmac.compare_digest(expected, signature):
        raise TokenError("the token's signature does not match")
    return signer


def authorize(signer: Signer, region: str, resource_id: str, user: str) -> None:
    """``TokenError`` unless the signer's IAM policies allow ``rds-db:connect`` on the database user.

    The resource is ``arn:aws:rds-db:<region>:<account>:dbuser:<resource id>/<user>`` (a cluster's
    ``cluster-...`` or a proxy's ``prx-...``). An explicit Deny wins, then an Allow; no statement is
    a refusal, as on AWS. The emulator's test keys have no IAM identity and are allowed everything,
    as moto allows them every API call.
    """
    if signer.access_key in TEST_CREDENTIALS:
        return
    from moto.iam.access_control import AssumedRoleAccessKey, IAMUserAccessKey

    headers = {"X-Amz-Security-Token": signer.session_token} if signer.session_token else {}
    owner = AssumedRoleAccessKey if signer.session_token else IAMUserAccessKey
    try:
        policies = owner(signer.account_id, "aws", signer.access_key, headers).collect_policies()
    except Exception as error:  # noqa: BLE001 - moto's lookup fails with its own exceptions for unknown keys
        raise TokenError(f"the policies of {signer.arn} cannot be read: {error}") from None
    resource = dbuser_arn(region, signer.account_id, resource_id, user)
    if not _permits(policies, resource):
        raise TokenError(f"{signer.arn} is not allowed rds-db:connect on {resource}")


def dbuser_arn(region: str, account_id: str, resource_id: str, user: str) -> str:
    return f"arn:aws:rds-db:{region}:{account_id}:dbuser:{resource_id}/{user}"


def _permits(policies: list, resource: str) -> bool:
    """IAM's evaluation of ``rds-db:connect`` on ``resource``: an explicit Deny wins, then an Allow, else no."""
    from moto.iam.access_control import IAMPolicy, PermissionResult

    results = [IAMPolicy(policy).is_action_permitted("rds-db:connect", resource) for policy in policies]
    return PermissionResult.DENIED not in results and PermissionResult.PERMITTED in results


def authorize_role(role_arn: str, region: str, resource_id: str, user: str) -> None:
    """``TokenError`` unless the role's inline and attached policies allow ``rds-db:connect`` on the user.

    What RDS Proxy needs of its role for end-to-end IAM: it connects to the database as the client's user,
    with a token it signs with the role's credentials.
    """
    from moto.iam.models import iam_backends

    parts = role_arn.split(":")
    partition, account_id = (parts[1], parts[4]) if len(parts) >= 6 else ("aws", "")
    role_name = role_arn.rsplit("/", 1)[-1]
    backend = iam_backends[account_id][partition] if account_id else None
    resource = dbuser_arn(region, account_id, resource_id, user)
    try:
        role = backend.get_role(role_name) if backend else None
    except Exception:  # noqa: BLE001 - moto raises its own IAMNotFoundException
        role = None
    if role is None or role.arn != role_arn:
        raise TokenError(f"the proxy's IAM role {role_arn} does not exist, so it cannot connect as {user!r}")
    policies = [backend.get_role_policy(role_name, name)[1] for name in backend.list_role_policies(role_name)]
    policies += backend.list_attached_role_policies(role_name)[0]
    if not _permits(policies, resource):
        raise TokenError(f"User: {role_arn} is not authorized to perform: rds-db:connect on resource: {resource}")
