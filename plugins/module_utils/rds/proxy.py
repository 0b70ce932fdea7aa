# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""RDS Proxy state: AWS shapes to one normalised dict, the desired dict from the options, and the
calls that turn one into the other.

A proxy's state here is ``{name, engine_family, vpc_subnet_ids, default_auth_scheme, auth, role_arn,
vpc_security_group_ids, require_tls, idle_client_timeout, debug_logging, connection_pool, targets, tags}``.
Options left unset (``None``) keep the current value, so the comparison only looks at what the caller asked for.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
    compare_aws_tags,
)

from ..waiters import WaitFailed, wait_for

# What ModifyDBProxy cannot change: a different value means a new proxy (new endpoint, new resource id).
REPLACEMENT_ONLY = ("engine_family", "vpc_subnet_ids")
# Option name -> ModifyDBProxy / CreateDBProxy parameter.
PROXY_SETTINGS = {
    "default_auth_scheme": "DefaultAuthScheme",
    "role_arn": "RoleArn",
    "require_tls": "RequireTLS",
    "idle_client_timeout": "IdleClientTimeout",
    "debug_logging": "DebugLogging",
}
AUTH_FIELDS = {
    "auth_scheme": "AuthScheme",
    "secret_arn": "SecretArn",
    "iam_auth": "IAMAuth",
    "client_password_auth_type": "ClientPasswordAuthType",
    "description": "Description",
    "user_name": "UserName",
}
POOL_FIELDS = {
    "max_connections_percent": "MaxConnectionsPercent",
    "max_idle_connections_percent": "MaxIdleConnectionsPercent",
    "connection_borrow_timeout": "ConnectionBorrowTimeout",
    "init_query": "InitQuery",
    "session_pinning_filters": "SessionPinningFilters",
}
FAILED_STATES = ("incompatible-network", "insufficient-resource-limits", "suspended", "suspending")


def resource_id(proxy_arn: str) -> str:
    """The ``prx-...`` id that IAM policies (``rds-db:connect``) name: the last part of the proxy's ARN."""
    return proxy_arn.rsplit(":", 1)[-1]


def _auth_entry(entry: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """An auth entry with snake_case keys, without unset fields; ``names`` maps snake_case to the source's keys."""
    return {snake: entry[source] for snake, source in names.items() if entry.get(source) is not None}


def normalise_auth(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """AWS's ``Auth`` list as sorted snake_case entries."""
    return sorted((_auth_entry(entry, AUTH_FIELDS) for entry in entries), key=lambda e: e.get("secret_arn", ""))


def normalise_pool(config: dict[str, Any] | None) -> dict[str, Any]:
    config = config or {}
    pool = {snake: config.get(camel) for snake, camel in POOL_FIELDS.items()}
    pool["init_query"] = pool["init_query"] or ""
    pool["session_pinning_filters"] = sorted(pool["session_pinning_filters"] or [])
    return pool


def normalise_targets(targets: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Registered clusters, and instances registered on their own (not tracked through a cluster)."""
    return {
        "db_cluster_identifiers": sorted(
            t["RdsResourceId"].lower() for t in targets if t.get("Type") == "TRACKED_CLUSTER"
        ),
        "db_instance_identifiers": sorted(
            t["RdsResourceId"].lower()
            for t in targets
            if t.get("Type") == "RDS_INSTANCE" and not t.get("TrackedClusterId")
        ),
    }


def current_state(
    proxy: dict[str, Any], group: dict[str, Any] | None, targets: list[dict[str, Any]], tags: list[dict[str, str]]
) -> dict[str, Any]:
    return {
        "name": proxy["DBProxyName"],
        "engine_family": proxy.get("EngineFamily"),
        "vpc_subnet_ids": sorted(proxy.get("VpcSubnetIds") or []),
        # Proxies made before end-to-end IAM existed report no DefaultAuthScheme: NONE, the API's default.
        "default_auth_scheme": proxy.get("DefaultAuthScheme") or "NONE",
        "auth": normalise_auth(proxy.get("Auth") or []),
        "role_arn": proxy.get("RoleArn"),
        "vpc_security_group_ids": sorted(proxy.get("VpcSecurityGroupIds") or []),
        "require_tls": bool(proxy.get("RequireTLS")),
        "idle_client_timeout": proxy.get("IdleClientTimeout"),
        "debug_logging": bool(proxy.get("DebugLogging")),
        "connection_pool": normalise_pool((group or {}).get("ConnectionPoolConfig")),
        "targets": normalise_targets(targets),
        "tags": boto3_tag_list_to_ansible_dict(tags),
    }


def _desired_auth(wanted: list[dict[str, Any]], current: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each wanted entry over the current entry of the same secret: unset fields keep the current value."""
    by_secret = {entry.get("secret_arn"): entry for entry in current}
    merged = []
    for entry in wanted:
        given = {key: value for key, value in entry.items() if value is not None}
        merged.append({**by_secret.get(given.get("secret_arn"), {}), **given})
    return sorted(merged, key=lambda e: e.get("secret_arn", ""))


def desired_state(params: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """The state the options ask for; ``current`` is None when the proxy does not exist yet."""
    base = copy.deepcopy(current) if current else _new_proxy_state(params["name"])
    state = base
    for key in (
        "engine_family",
        "default_auth_scheme",
        "role_arn",
        "require_tls",
        "idle_client_timeout",
        "debug_logging",
    ):
        if params.get(key) is not None:
            state[key] = params[key]
    for key in ("vpc_subnet_ids", "vpc_security_group_ids"):
        if params.get(key) is not None:
            state[key] = sorted(set(params[key]))
    if params.get("auth") is not None:
        state["auth"] = _desired_auth(params["auth"], base["auth"])
    for key, value in (params.get("connection_pool") or {}).items():
        if value is not None:
            state["connection_pool"][key] = sorted(value) if key == "session_pinning_filters" else value
    if params.get("targets") is not None:
        state["targets"] = {
            kind: sorted({identifier.lower() for identifier in params["targets"].get(kind) or []})
            for kind in ("db_cluster_identifiers", "db_instance_identifiers")
        }
    if params.get("tags") is not None:
        add, remove = compare_aws_tags(base["tags"], params["tags"], params.get("purge_tags", True))
        state["tags"] = {key: value for key, value in {**base["tags"], **add}.items() if key not in remove}
    return state


def _new_proxy_state(name: str) -> dict[str, Any]:
    """What a proxy has before the options are applied: AWS's defaults for a new one."""
    return {
        "name": name,
        "engine_family": "MYSQL",
        "vpc_subnet_ids": [],
        "default_auth_scheme": "NONE",
        "auth": [],
        "role_arn": None,
        "vpc_security_group_ids": [],
        "require_tls": False,
        "idle_client_timeout": 1800,
        "debug_logging": False,
        "connection_pool": normalise_pool(
            {"MaxConnectionsPercent": 100, "MaxIdleConnectionsPercent": 50, "ConnectionBorrowTimeout": 120}
        ),
        "targets": {"db_cluster_identifiers": [], "db_instance_identifiers": []},
        "tags": {},
    }


def replacement_changes(desired: dict[str, Any], current: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Settings that differ and that only a new proxy can have: {option: (current, desired)}."""
    return {key: (current[key], desired[key]) for key in REPLACEMENT_ONLY if desired[key] != current[key]}


def proxy_changes(desired: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The ModifyDBProxy parameters (besides DBProxyName) that bring ``current`` to ``desired``."""
    changes: dict[str, Any] = {}
    for key, parameter in PROXY_SETTINGS.items():
        if desired[key] != current[key]:
            changes[parameter] = desired[key]
    if desired["auth"] != current["auth"]:
        changes["Auth"] = auth_parameter(desired["auth"])
    if desired["vpc_security_group_ids"] != current["vpc_security_group_ids"]:
        changes["SecurityGroups"] = desired["vpc_security_group_ids"]
    return changes


def auth_parameter(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{AUTH_FIELDS[key]: value for key, value in entry.items()} for entry in entries]


def pool_changes(desired: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The ConnectionPoolConfig for ModifyDBProxyTargetGroup, or {} when the pool is as desired.

    The API wants MaxConnectionsPercent whenever MaxIdleConnectionsPercent is given.
    """
    wanted, now = desired["connection_pool"], current["connection_pool"]
    changes = {POOL_FIELDS[key]: wanted[key] for key in POOL_FIELDS if wanted[key] != now[key]}
    if "MaxIdleConnectionsPercent" in changes:
        changes["MaxConnectionsPercent"] = wanted["max_connections_percent"]
    return changes


def target_changes(desired: dict[str, Any], current: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """{"register": {kind: ids}, "deregister": {kind: ids}}, empty lists where nothing changes."""
    changes: dict[str, dict[str, list[str]]] = {"register": {}, "deregister": {}}
    for kind in ("db_cluster_identifiers", "db_instance_identifiers"):
        wanted, now = set(desired["targets"][kind]), set(current["targets"][kind])
        changes["register"][kind] = sorted(wanted - now)
        changes["deregister"][kind] = sorted(now - wanted)
    return changes


def tag_changes(desired: dict[str, Any], current: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """(tags to set, keys to remove)."""
    add = {key: value for key, value in desired["tags"].items() if current["tags"].get(key) != value}
    remove = sorted(key for key in current["tags"] if key not in desired["tags"])
    return add, remove


def create_parameters(desired: dict[str, Any]) -> dict[str, Any]:
    parameters: dict[str, Any] = {
        "DBProxyName": desired["name"],
        "EngineFamily": desired["engine_family"],
        "DefaultAuthScheme": desired["default_auth_scheme"],
        "RoleArn": desired["role_arn"],
        "VpcSubnetIds": desired["vpc_subnet_ids"],
        "RequireTLS": desired["require_tls"],
        "IdleClientTimeout": desired["idle_client_timeout"],
        "DebugLogging": desired["debug_logging"],
    }
    if desired["auth"]:
        parameters["Auth"] = auth_parameter(desired["auth"])
    if desired["vpc_security_group_ids"]:
        parameters["VpcSecurityGroupIds"] = desired["vpc_security_group_ids"]
    if desired["tags"]:
        parameters["Tags"] = ansible_dict_to_boto3_tag_list(desired["tags"])
    return parameters


def proxy_result(
    proxy: dict[str, Any], group: dict[str, Any] | None, targets: list[dict[str, Any]], tags: list[dict[str, str]]
) -> dict[str, Any]:
    """What the modules return for one proxy: the AWS shape in snake_case, with its pool, targets and tags."""
    result = camel_dict_to_snake_dict(proxy)
    result["resource_id"] = resource_id(proxy["DBProxyArn"])
    result["connection_pool"] = normalise_pool((group or {}).get("ConnectionPoolConfig"))
    result["target_group_arn"] = (group or {}).get("TargetGroupArn")
    result["targets"] = [camel_dict_to_snake_dict(target) for target in targets]
    result["tags"] = boto3_tag_list_to_ansible_dict(tags)
    return result


def targets_available(targets: list[dict[str, Any]]) -> bool:
    """Every target that reports a health state reports AVAILABLE (and there is at least one)."""
    states = [t["TargetHealth"].get("State") for t in targets if t.get("TargetHealth")]
    return bool(states) and all(state == "AVAILABLE" for state in states)


# A target's TargetHealth while the proxy cannot use its IAM role: the role is new or its policies just changed and
# IAM has not propagated yet (a while), or its trust or policies are wrong (for good). AWS accepts CreateDBProxy with
# any role and tells only here (RDS User Guide, "Troubleshooting for RDS Proxy": "Proxy does not have any registered
# credentials" when "the IAM role to access the proxy secret from Secrets Manager" is not valid).
ROLE_REASON = "AUTH_FAILURE"


def _health(target: dict[str, Any]) -> str:
    health = target.get("TargetHealth") or {}
    described = " ".join(str(health[key]) for key in ("State", "Reason") if health.get(key))
    if health.get("Description"):
        described += f" ({health['Description']})"
    return f"{target.get('RdsResourceId')} {described}"


def wait_for_targets(
    describe: Callable[[], list[dict[str, Any]]],
    proxy: str,
    role_arn: str,
    timeout: int,
    iam_propagation_timeout: int,
    delay: float = 5,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[dict[str, Any]]:
    """Poll the proxy's targets (``describe()``) until every one is AVAILABLE, for at most ``timeout`` seconds;
    while some report AUTH_FAILURE, for at most ``iam_propagation_timeout`` seconds in a row (IAM propagating the
    role), after which the role is taken for wrong. Raises WaitFailed with what to check."""
    watch: dict[str, Any] = {"since": None, "failed": False}  # since when AUTH_FAILURE, in a row; the wait failed

    def role_not_effective(targets: list[dict[str, Any]]) -> str | None:
        failing = [t for t in targets if (t.get("TargetHealth") or {}).get("Reason") == ROLE_REASON]
        if not failing:
            watch["since"] = None
            return None
        if watch["since"] is None:
            watch["since"] = clock()
        lasted = clock() - watch["since"]
        if lasted < iam_propagation_timeout:
            return None
        watch["failed"] = True
        return (
            f"{'; '.join(_health(t) for t in failing)} for {lasted:.0f}s, longer than IAM takes to propagate"
            f" (iam_propagation_timeout {iam_propagation_timeout}s): RDS proxy {proxy} cannot authenticate with its"
            f" IAM role {role_arn}. Check that the role's trust policy lets rds.amazonaws.com assume it, and that its"
            " policy allows rds-db:connect as the database users (end-to-end IAM), or secretsmanager:GetSecretValue"
            " on the secrets and kms:Decrypt on their key"
        )

    what = f"the targets of RDS proxy {proxy}"
    try:
        return wait_for(
            describe, targets_available, role_not_effective, timeout, delay, what, sleep, clock, first_delay=1
        )
    except WaitFailed as error:
        if watch["failed"]:
            raise
        health = "; ".join(_health(t) for t in error.last or []) or "no target registered"
        raise WaitFailed(f"{error}: {health}", error.last) from error
