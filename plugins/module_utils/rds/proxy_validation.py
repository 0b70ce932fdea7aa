# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""The input rules of RDS Proxy, checked before any mutating call (botocore model, RDS user guide).

Each check returns messages that name the option, the value and the rule; an empty list means valid.
"""

from __future__ import annotations

import re
from typing import Any

# DBProxyName: "An identifier must begin with a letter and must contain only ASCII letters, digits,
# and hyphens; it can't end with a hyphen or contain two consecutive hyphens."
NAME_PATTERN = re.compile(r"^[a-zA-Z](-?[a-zA-Z0-9]+)*$")
NAME_MAX_LENGTH = 63
IDLE_CLIENT_TIMEOUT_RANGE = (1, 28800)
MAX_CONNECTIONS_RANGE = (1, 100)
BORROW_TIMEOUT_RANGE = (0, 300)
SECRET_ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$")
ROLE_ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")
PASSWORD_AUTH_TYPES = {
    "MYSQL": ("MYSQL_NATIVE_PASSWORD", "MYSQL_CACHING_SHA2_PASSWORD"),
    "POSTGRESQL": ("POSTGRES_SCRAM_SHA_256", "POSTGRES_MD5"),
    "SQLSERVER": ("SQL_SERVER_AUTHENTICATION",),
}


def _outside(value: int | None, bounds: tuple[int, int]) -> bool:
    return value is not None and not bounds[0] <= value <= bounds[1]


def check_name(name: str) -> list[str]:
    if len(name) > NAME_MAX_LENGTH or not NAME_PATTERN.match(name):
        return [
            f"name '{name}' must be 1 to {NAME_MAX_LENGTH} letters, digits or hyphens, start with a letter,"
            " and neither end with a hyphen nor contain two consecutive hyphens"
        ]
    return []


def check_settings(params: dict[str, Any]) -> list[str]:
    """Rules that need nothing but the module's options."""
    errors = check_name(params["name"])
    timeout = params.get("idle_client_timeout")
    if _outside(timeout, IDLE_CLIENT_TIMEOUT_RANGE):
        low, high = IDLE_CLIENT_TIMEOUT_RANGE
        errors.append(f"idle_client_timeout {timeout} must be between {low} and {high} seconds")
    if params.get("role_arn") is not None and not ROLE_ARN_PATTERN.match(params["role_arn"]):
        errors.append(f"role_arn '{params['role_arn']}' must be an IAM role ARN (arn:aws:iam::<account>:role/...)")
    errors += check_auth(params.get("auth"), params.get("engine_family") or "MYSQL")
    errors += check_pool(params.get("connection_pool"))
    if (params.get("iam_propagation_timeout") or 0) < 0:
        errors.append(f"iam_propagation_timeout {params['iam_propagation_timeout']} must be 0 or more seconds")
    subnets = params.get("vpc_subnet_ids")
    if subnets is not None and len(set(subnets)) < 2:
        errors.append(f"vpc_subnet_ids {subnets} must name at least two subnets, in two availability zones")
    return errors


def check_auth(auth: list[dict[str, Any]] | None, engine_family: str) -> list[str]:
    if auth is None:
        return []
    errors = []
    seen: set[str] = set()
    for index, entry in enumerate(auth):
        where = f"auth[{index}]"
        secret = entry.get("secret_arn") or ""
        if not SECRET_ARN_PATTERN.match(secret):
            errors.append(f"{where}.secret_arn '{secret}' must be the ARN of a Secrets Manager secret")
        if secret in seen:
            errors.append(f"{where}.secret_arn '{secret}' appears twice in auth")
        seen.add(secret)
        if entry.get("iam_auth") == "ENABLED" and engine_family != "SQLSERVER":
            errors.append(
                f"{where}.iam_auth 'ENABLED' is only valid for engine_family SQLSERVER;"
                f" {engine_family} takes REQUIRED or DISABLED"
            )
        password_type = entry.get("client_password_auth_type")
        allowed = PASSWORD_AUTH_TYPES.get(engine_family, ())
        if password_type is not None and password_type not in allowed:
            errors.append(
                f"{where}.client_password_auth_type '{password_type}' does not fit engine_family {engine_family}"
                f" (one of {', '.join(allowed)})"
            )
    return errors


def check_auth_scheme(default_auth_scheme: str, auth: list[dict[str, Any]]) -> list[str]:
    """The proxy as it would be: without end-to-end IAM, the proxy logs in to the database with a secret."""
    if default_auth_scheme != "IAM_AUTH" and not auth:
        return [
            f"auth must hold at least one entry (the secret of a database user) when default_auth_scheme is"
            f" {default_auth_scheme}; only IAM_AUTH (end-to-end IAM) needs no secret"
        ]
    return []


def check_pool(pool: dict[str, Any] | None, current: dict[str, Any] | None = None) -> list[str]:
    """The pool's ranges; with ``current`` (the pool as it is), the idle percentage against the resulting maximum."""
    if not pool:
        return []
    errors = []
    max_connections = pool.get("max_connections_percent")
    max_idle = pool.get("max_idle_connections_percent")
    borrow = pool.get("connection_borrow_timeout")
    if _outside(max_connections, MAX_CONNECTIONS_RANGE):
        errors.append(f"connection_pool.max_connections_percent {max_connections} must be between 1 and 100")
    if _outside(max_idle, (0, 100)):
        errors.append(f"connection_pool.max_idle_connections_percent {max_idle} must be between 0 and 100")
    ceiling = max_connections
    if ceiling is None and current:
        ceiling = current.get("max_connections_percent")
    if max_idle is not None and ceiling is not None and max_idle > ceiling:
        errors.append(
            f"connection_pool.max_idle_connections_percent {max_idle} must not exceed max_connections_percent {ceiling}"
        )
    if _outside(borrow, BORROW_TIMEOUT_RANGE):
        errors.append(f"connection_pool.connection_borrow_timeout {borrow} must be between 0 and 300 seconds")
    return errors


def check_subnets(subnet_ids: list[str], subnets: list[dict[str, Any]]) -> list[str]:
    """``subnets`` as DescribeSubnets returns them: two zones at least, one VPC."""
    zones = {subnet["AvailabilityZone"] for subnet in subnets}
    vpcs = {subnet["VpcId"] for subnet in subnets}
    errors = []
    if len(zones) < 2:
        errors.append(
            f"vpc_subnet_ids {subnet_ids} must lie in at least two availability zones (all are in {sorted(zones)})"
        )
    if len(vpcs) > 1:
        errors.append(f"vpc_subnet_ids {subnet_ids} must all belong to one VPC (found {sorted(vpcs)})")
    return errors
