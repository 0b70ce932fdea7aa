# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""The IAM side of a stage's RDS Proxy: who may connect as which database user, once, in Python.

- End-to-end IAM (``DefaultAuthScheme: IAM_AUTH``): the proxy logs in to the cluster as the client's own
  user with IAM, so the proxy's role needs ``rds-db:connect`` on ``dbuser:<cluster resource id>/<user>``,
  exactly for the declared users (``proxy_connect_policy``).
- The role's trust (``proxy_trust_policy``) and, with the secrets scheme, reading its secret
  (``proxy_secret_policy``).
- A client of the proxy needs ``rds-db:connect`` on ``dbuser:<proxy resource id>/<user>``: one managed policy
  per declared user (``client_policies``), named ``<prefix>-proxy-connect-<user>``.
- The posture check: which statements of the proxy's role grant more than that (``proxy_role_problems``).

The resource is ``arn:<partition>:rds-db:<region>:<account>:dbuser:<resource id>/<user>`` (Service
Authorization Reference, Amazon RDS IAM Authentication).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

AUTH_SCHEMES = ("IAM_AUTH", "SECRETS")
CONNECT = "rds-db:connect"
# An IAM policy name: 1-128 of [A-Za-z0-9+=,.@_-].
POLICY_NAME = re.compile(r"^[\w+=,.@-]{1,128}$", re.ASCII)
CLIENT_POLICY_INFIX = "-proxy-connect-"


def dbuser_arn(partition: str, region: str, account: str, resource_id: str, user: str) -> str:
    return f"arn:{partition}:rds-db:{region}:{account}:dbuser:{resource_id}/{user}"


def _document(sid: str, resources: list[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": sid, "Effect": "Allow", "Action": [CONNECT], "Resource": resources}],
    }


def proxy_trust_policy(account: str) -> dict[str, Any]:
    """The proxy role's trust: RDS may assume it for proxies of this account only (the confused deputy)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RdsProxyOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": "rds.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }
        ],
    }


def proxy_secret_policy(secret_arn: str, kms_key_arn: str, region: str) -> dict[str, Any]:
    """The proxy role's policy for the secrets scheme: read the secret, and decrypt it through Secrets Manager
    when a customer key (``kms_key_arn``, a key ARN; empty for AWS's own key) encrypts it."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadTheDatabaseSecret",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": [secret_arn],
        }
    ]
    if kms_key_arn:
        statements.append(
            {
                "Sid": "DecryptTheDatabaseSecret",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": [kms_key_arn],
                "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def proxy_connect_policy(
    users: Sequence[str], partition: str, region: str, account: str, cluster_resource_id: str
) -> dict[str, Any]:
    """The proxy role's policy for end-to-end IAM: connect to the cluster as each declared user; {} without users."""
    if not users:
        return {}
    resources = [dbuser_arn(partition, region, account, cluster_resource_id, user) for user in sorted(set(users))]
    return _document("ConnectToTheClusterAsTheDeclaredUsers", resources)


def client_policy_name(prefix: str, user: str) -> str:
    return f"{prefix}{CLIENT_POLICY_INFIX}{user}"


def client_policies(
    users: Sequence[str],
    prefix: str,
    partition: str,
    region: str,
    account: str,
    proxy_resource_id: str,
    tags: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """One managed policy per declared user: ``{user, name, arn, document, tags}`` (``tags`` with the policy's name as
    its ``Name``), in the order of the users."""
    return [
        {
            "user": user,
            "name": client_policy_name(prefix, user),
            "arn": f"arn:{partition}:iam::{account}:policy/{client_policy_name(prefix, user)}",
            "document": _document(
                "ConnectThroughTheProxy", [dbuser_arn(partition, region, account, proxy_resource_id, user)]
            ),
            "tags": {**(tags or {}), "Name": client_policy_name(prefix, user)},
        }
        for user in dict.fromkeys(users)
    ]


def stale_client_policies(resources: Iterable[Mapping[str, Any]], prefix: str, users: Sequence[str]) -> list[str]:
    """Names of the stage's client policies (found by stage_info, so carrying the stage's tags) of no declared user.

    The single policy of earlier versions, ``<prefix>-proxy-connect``, is one of them.
    """
    wanted = {client_policy_name(prefix, user) for user in users}
    legacy = prefix + CLIENT_POLICY_INFIX.rstrip("-")
    return sorted(
        {
            str(resource["name"])
            for resource in resources
            if resource.get("kind") == "iam_managed_policy"
            and (resource["name"] == legacy or str(resource["name"]).startswith(prefix + CLIENT_POLICY_INFIX))
            and resource["name"] not in wanted
        }
    )


def input_errors(auth_scheme: Any, iam_auth: Any, users: Any, prefix: str, names: Mapping[str, str]) -> list[str]:
    """The role's rules, each message naming the variable: ``names`` maps scheme, iam_auth and users to them."""
    errors = []
    if auth_scheme not in AUTH_SCHEMES:
        errors.append(f"{names['auth_scheme']} {auth_scheme!r} must be one of {', '.join(AUTH_SCHEMES)}")
    elif auth_scheme == "IAM_AUTH" and iam_auth != "REQUIRED":
        errors.append(
            f"{names['iam_auth']} {iam_auth!r} contradicts {names['auth_scheme']} IAM_AUTH: with end-to-end IAM"
            " clients authenticate to the proxy with IAM tokens only, so it must be REQUIRED"
        )
    if not isinstance(users, list) or not all(isinstance(user, str) for user in users):
        return [*errors, f"{names['users']} must be a list of database user names, got {users!r}"]
    for user in users:
        name = client_policy_name(prefix, user)
        if not user or not POLICY_NAME.match(name):
            errors.append(
                f"{names['users']}: user {user!r} makes the IAM policy name {name!r}, which must be at most 128"
                " letters, digits and +=,.@_- characters"
            )
    duplicates = sorted({user for user in users if users.count(user) > 1})
    if duplicates:
        errors.append(f"{names['users']} names {', '.join(duplicates)} more than once")
    return errors


# --- the posture check ------------------------------------------------------------------------------


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _wildcard(pattern: str) -> re.Pattern[str]:
    """IAM's matching of an action or resource: ``*`` any run of characters, ``?`` one, case as given."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + r"\Z")


def grants_connect(action: str) -> bool:
    return _wildcard(action.lower()).match(CONNECT) is not None


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = document.get("Statement", [])
    return [statements] if isinstance(statements, Mapping) else list(statements)


def proxy_role_problems(
    policies: Iterable[Mapping[str, Any]],
    managed_policies: Iterable[Mapping[str, Any]],
    secret_arns: Sequence[str],
    connect_arns: Sequence[str],
) -> dict[str, list[str]]:
    """What the proxy's role grants beyond its needs, as ``{"secret": [...], "connect": [...]}``.

    ``policies`` are the role's inline policies (``policy_name``, ``policy_document``) and ``managed_policies``
    its attached ones (none allowed: a problem of the secret rule). The role may read ``secret_arns`` (the
    secrets of the proxy's Auth) and decrypt them through Secrets Manager, and ``rds-db:connect`` on exactly
    ``connect_arns`` (the declared users of its cluster): a wildcard user, another cluster or another action
    is a problem of its rule.
    """
    secret: list[str] = []
    connect: list[str] = []
    reads = 0
    allowed = set(connect_arns)
    for policy in policies:
        for index, statement in enumerate(_statements(policy.get("policy_document") or {}), start=1):
            if statement.get("Effect") != "Allow":
                continue
            where = f"policy {policy.get('policy_name')} statement {statement.get('Sid', index)}"
            actions = [action.lower() for action in _listed(statement.get("Action"))]
            resources = _listed(statement.get("Resource"))
            if "NotAction" in statement or "NotResource" in statement:
                secret.append(f"{where} uses NotAction or NotResource")
            elif actions == ["secretsmanager:getsecretvalue"] and resources and set(resources) <= set(secret_arns):
                reads += 1
            elif (
                actions == ["kms:decrypt"]
                and resources
                and all(re.match(r"^arn:[^:]+:kms:[^:]+:\d{12}:key/[0-9a-f-]+$", r) for r in resources)
                and str(statement.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService", "")).startswith(
                    "secretsmanager."
                )
            ):
                pass
            elif actions == [CONNECT]:
                connect += [f"{where} allows {CONNECT} on {r}" for r in resources if r not in allowed]
            else:
                problem = f"{where} allows {','.join(actions)} on {','.join(resources)}"
                secret.append(problem)
                if any(grants_connect(action) for action in actions):
                    connect.append(problem)
    if secret_arns and reads == 0:
        secret.append(f"no statement grants secretsmanager:GetSecretValue on the secret {secret_arns[0]}")
    secret += [
        f"managed policy {policy.get('policy_arn') or policy.get('policy_name')} is attached"
        for policy in managed_policies
    ]
    return {"secret": secret, "connect": connect}
