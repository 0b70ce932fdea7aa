"""RDS Proxy: ``ModifyDBProxy``, which moto 5.2.5 lacks, and what moto gets wrong in the rest.

Following the botocore model (rds 2014-10-31):

- ``CreateDBProxy``: ``DefaultAuthScheme`` kept (``IAM_AUTH``: end-to-end IAM, no ``Auth`` needed).

- ``ModifyDBProxy``: new name, auth, RequireTLS, IdleClientTimeout, DebugLogging, RoleArn,
  SecurityGroups, DefaultAuthScheme; the response shows the proxy ``modifying``.
- ``ModifyDBProxyTargetGroup``: moto dropped zero values (``MaxIdleConnectionsPercent=0``) and
  ``InitQuery``, and ignored the target group name; ranges are checked as documented
  (max 1-100, idle 0..max, borrow timeout 0-300).
- ``RegisterDBProxyTargets``: a cluster is tracked (``TRACKED_CLUSTER``) and each of its
  instances becomes an ``RDS_INSTANCE`` target with its role, port and ARN; moto used port
  5432 for every engine, registered the same target twice and answered 500 for an unknown cluster.
- ``DeregisterDBProxyTargets``, ``DescribeDBProxyTargets``, ``DeleteDBProxy``: the documented
  faults for an unknown proxy, target group or target instead of a 500.

In strict mode (``strict.py``), the state preconditions of AWS, which moto does not check:

- ModifyDBProxy, ModifyDBProxyTargetGroup, RegisterDBProxyTargets and DeregisterDBProxyTargets of a proxy that
  is not ``available`` (``creating`` for the ``proxy`` window after CreateDBProxy) answer
  ``InvalidDBProxyStateFault``: the fault in botocore's error list of each (rds 2014-10-31), its message the
  model's description of the fault (AWS's own text is not documented). Terraform waits for ``available``
  after CreateDBProxy and ModifyDBProxy before anything else (internal/service/rds/proxy.go
  waitDBProxyCreated, waitDBProxyUpdated).
- RegisterDBProxyTargets of an instance, or of a cluster with a member, that is ``creating`` (the
  ``serverless_instance`` window after CreateDBInstance) answers ``InvalidDBInstanceState`` (the wire code of
  botocore's InvalidDBInstanceStateFault) "DB Instance <id> is in an unsupported state - CREATING, needs to
  be in [AVAILABLE, MODIFYING, BACKING_UP]", AWS's message as quoted in terraform-provider-aws PR #19096,
  which made internal/service/rds/proxy_target.go retry it for 5 minutes. (A 2024 report, aws-cdk issue
  #31304, shows CREATING among the accepted states and CONFIGURING_ENHANCED_MONITORING refused: the accepted
  list changes; this models the stricter one.) Of a cluster outside those states (``creating``) it answers
  ``InvalidDBClusterStateFault`` (botocore's error list; message the model's description of the fault; which
  cluster states AWS accepts is not documented).

And the proxy's IAM role, within the ``iam_propagation`` window after the role was created or its policies changed
(``iam_propagation.py``): AWS accepts CreateDBProxy, ModifyDBProxy and RegisterDBProxyTargets at once (their error
lists in botocore name no IAM fault: CreateDBProxy has only InvalidSubnet, DBProxyAlreadyExistsFault and
DBProxyQuotaExceededFault; terraform-provider-aws internal/service/rds/proxy.go and proxy_target.go retry none of
them for IAM, unlike Lambda's retryFunctionOp), uses the role later, when the proxy connects to its targets, and
reports what failed in DescribeDBProxyTargets: ``TargetHealth`` ``State`` ``UNAVAILABLE``, ``Reason``
``AUTH_FAILURE`` (botocore's TargetHealthReason enum: UNREACHABLE, CONNECTION_FAILED, AUTH_FAILURE,
PENDING_PROXY_CAPACITY, INVALID_REPLICATION_STATE, PROMOTED) and ``Description`` "Proxy does not have any
registered credentials", the description the RDS User Guide ("Troubleshooting for RDS Proxy", Common issues and
solutions) gives for a proxy whose "IAM role to access the proxy secret from Secrets Manager" is not valid. The
proxy's own log then says "Credentials couldn't be retrieved. The IAM role "<arn>" is not authorized to read the
AWS Secrets Manager secret with the ARN "<arn>"" (aws-cdk issue #28847, a proxy role without kms:Decrypt). The
guide's lifecycle (registering > unavailable > available) and its advice (read Reason and Description) make this
a state to wait out, not a refusal: once IAM has propagated the targets become ``AVAILABLE``. The emulator models
the same for both schemes (the role reads the secret, or, with end-to-end IAM, calls ``rds-db:connect``).
"""

from __future__ import annotations

import copy
from typing import Any

from moto.core.utils import utcnow
from moto.rds.exceptions import (
    DBClusterNotFoundError,
    DBInstanceNotFoundError,
    DBProxyAlreadyExistsFault,
    DBProxyNotFoundFault,
    InvalidParameterValue,
    RDSClientError,
)
from moto.rds.models import DBProxy, DBProxyTarget, DBProxyTargetGroup, RDSBackend, rds_backends
from werkzeug.wrappers import Response

from ... import strict
from ...moto_wire import parse_query, query_result
from .. import Call, Registry
from ..patches.iam_propagation import created_recently, policies_changed_recently

SERVICE = "rds"
# The states in which RegisterDBProxyTargets accepts an instance (AWS's message, terraform-provider-aws #19096).
TARGET_STATES = ("available", "modifying", "backing-up")
# TargetHealth while the proxy's role has not propagated (RDS User Guide, "Troubleshooting for RDS Proxy").
ROLE_NOT_PROPAGATED = {
    "State": "UNAVAILABLE",
    "Reason": "AUTH_FAILURE",
    "Description": "Proxy does not have any registered credentials",
}
_MOTO_TARGET_HEALTH = DBProxyTarget.target_health


class TargetGroupNotFound(RDSClientError):
    def __init__(self, proxy: str, name: str) -> None:
        super().__init__("DBProxyTargetGroupNotFoundFault", f"Target group {name} of proxy {proxy} not found.")


class TargetAlreadyRegistered(RDSClientError):
    def __init__(self, resource: str) -> None:
        super().__init__("DBProxyTargetAlreadyRegisteredFault", f"{resource} is already registered with the proxy.")


class TargetNotFound(RDSClientError):
    def __init__(self, resource: str) -> None:
        super().__init__("DBProxyTargetNotFoundFault", f"{resource} is not registered with the proxy.")


class InvalidProxyState(RDSClientError):
    def __init__(self) -> None:
        # The model's description of InvalidDBProxyStateFault (botocore rds 2014-10-31).
        super().__init__(
            "InvalidDBProxyStateFault", "The requested operation can't be performed while the proxy is in this state."
        )


def _require_available(proxy: DBProxy) -> DBProxy:
    """Strict mode: AWS changes a proxy only when it is available."""
    if strict.current.enabled and proxy.status != "available":
        raise InvalidProxyState()
    return proxy


def _require_registrable(cluster: Any | None, instances: list[Any]) -> None:
    """Strict mode: RegisterDBProxyTargets takes a cluster and instances in TARGET_STATES."""
    if not strict.current.enabled:
        return
    if cluster is not None and cluster.status not in TARGET_STATES:
        raise RDSClientError(
            "InvalidDBClusterStateFault",
            "The requested operation can't be performed while the cluster is in this state.",
        )
    for instance in instances:
        if instance.status not in TARGET_STATES:
            raise RDSClientError(
                "InvalidDBInstanceState",
                f"DB Instance {instance.db_instance_identifier} is in an unsupported state - "
                f"{instance.status.upper().replace('-', '_')}, needs to be in [AVAILABLE, MODIFYING, BACKING_UP]",
            )


def _target_health(target: DBProxyTarget) -> dict[str, str]:
    """Strict mode: a target of a proxy whose role IAM has not propagated yet cannot be authenticated to."""
    proxy = getattr(target, "_livestack_proxy", None)
    if proxy is not None and any(
        recently(proxy.account_id, proxy.role_arn) for recently in (created_recently, policies_changed_recently)
    ):
        return dict(ROLE_NOT_PROPAGATED)
    return _MOTO_TARGET_HEALTH.fget(target)


def _backend(call: Call) -> RDSBackend:
    return rds_backends[call.account_id][call.region]


def _proxy(backend: RDSBackend, name: str | None) -> DBProxy:
    if not name or name not in backend.db_proxies:
        raise DBProxyNotFoundFault(name or "")
    return backend.db_proxies[name]


def _target_group(proxy: DBProxy, name: str | None) -> DBProxyTargetGroup:
    group = proxy.proxy_target_groups.get(name or "default")
    if group is None:
        raise TargetGroupNotFound(proxy.db_proxy_name, name or "default")
    return group


def _answer(action: str, work: Any) -> Response:
    """Run ``work()`` and serialize its result, or the RDS fault it raised, as ``action``'s response."""
    try:
        return query_result(SERVICE, action, work())
    except RDSClientError as fault:
        return query_result(SERVICE, action, fault)


def create_db_proxy(call: Call) -> Response:
    """moto requires ``Auth`` and drops ``DefaultAuthScheme``; the model (2014-10-31) requires neither:
    with ``IAM_AUTH`` the proxy needs no secret, otherwise ``Auth`` is required."""
    params = parse_query(SERVICE, call)

    def work() -> dict[str, Any]:
        scheme = params.get("DefaultAuthScheme") or "NONE"
        if scheme not in ("NONE", "IAM_AUTH"):
            raise InvalidParameterValue(f"Invalid DefaultAuthScheme {scheme}: valid values are NONE and IAM_AUTH.")
        auth = [entry.original_dict() for entry in params.get("Auth") or []]
        if scheme == "NONE" and not auth:
            raise InvalidParameterValue("Auth is required unless DefaultAuthScheme is IAM_AUTH.")
        proxy = _backend(call).create_db_proxy(
            db_proxy_name=params["DBProxyName"],
            engine_family=params["EngineFamily"],
            auth=auth,
            role_arn=params["RoleArn"],
            vpc_subnet_ids=params["VpcSubnetIds"],
            vpc_security_group_ids=params.get("VpcSecurityGroupIds"),
            require_tls=params.get("RequireTLS"),
            idle_client_timeout=params.get("IdleClientTimeout"),
            debug_logging=params.get("DebugLogging"),
            tags=params.get("Tags", []),
        )
        proxy.default_auth_scheme = scheme
        return {"DBProxy": proxy}

    return _answer("CreateDBProxy", work)


def modify_db_proxy(call: Call) -> Response:
    params = parse_query(SERVICE, call)

    def work() -> dict[str, Any]:
        backend = _backend(call)
        proxy = _require_available(_proxy(backend, params.get("DBProxyName")))
        new_name = params.get("NewDBProxyName")
        if new_name and new_name != proxy.db_proxy_name:
            backend._validate_db_identifier(new_name)
            if new_name in backend.db_proxies:
                raise DBProxyAlreadyExistsFault(new_name)
            del backend.db_proxies[proxy.db_proxy_name]
            proxy.db_proxy_name = new_name
            for group in proxy.proxy_target_groups.values():
                group.db_proxy_name = new_name
            backend.db_proxies[new_name] = proxy
        if "Auth" in params:
            proxy.auth = [entry.original_dict() for entry in params["Auth"]]
        if "RequireTLS" in params:
            proxy.require_tls = bool(params["RequireTLS"])
        if "IdleClientTimeout" in params:
            # Clamped like moto's CreateDBProxy, so create and modify agree.
            proxy.idle_client_timeout = min(max(int(params["IdleClientTimeout"]), 1), 28800)
        if "DebugLogging" in params:
            proxy.debug_logging = bool(params["DebugLogging"])
        if "RoleArn" in params:
            proxy.role_arn = params["RoleArn"]
        if "SecurityGroups" in params:
            proxy.vpc_security_group_ids = list(params["SecurityGroups"])
        if "DefaultAuthScheme" in params:
            proxy.default_auth_scheme = params["DefaultAuthScheme"]
        proxy.updated_date = utcnow()
        # The response shows the change under way; the next describe finds it applied.
        answer = copy.copy(proxy)
        answer.status = "modifying"
        return {"DBProxy": answer}

    return _answer("ModifyDBProxy", work)


def modify_db_proxy_target_group(call: Call) -> Response:
    params = parse_query(SERVICE, call)

    def work() -> dict[str, Any]:
        proxy = _require_available(_proxy(_backend(call), params.get("DBProxyName")))
        group = _target_group(proxy, params.get("TargetGroupName"))
        config = params.get("ConnectionPoolConfig") or {}
        max_connections = int(config.get("MaxConnectionsPercent", group.max_connections))
        if not 1 <= max_connections <= 100:
            raise InvalidParameterValue(f"MaxConnectionsPercent {max_connections} must be between 1 and 100.")
        if "MaxIdleConnectionsPercent" in config:
            max_idle = int(config["MaxIdleConnectionsPercent"])
        elif "MaxConnectionsPercent" in config:
            max_idle = max_connections // 2  # documented default: half of MaxConnectionsPercent
        else:
            max_idle = int(group.max_idle_connections)
        if not 0 <= max_idle <= max_connections:
            raise InvalidParameterValue(
                f"MaxIdleConnectionsPercent {max_idle} must be between 0 and MaxConnectionsPercent {max_connections}."
            )
        borrow_timeout = int(config.get("ConnectionBorrowTimeout", group.borrow_timeout))
        if not 0 <= borrow_timeout <= 300:
            raise InvalidParameterValue(f"ConnectionBorrowTimeout {borrow_timeout} must be between 0 and 300.")
        group.max_connections, group.max_idle_connections, group.borrow_timeout = (
            max_connections,
            max_idle,
            borrow_timeout,
        )
        if "SessionPinningFilters" in config:
            group.session_pinning_filters = list(config["SessionPinningFilters"])
        if "InitQuery" in config:
            group.init_query = config["InitQuery"]
        group.updated_date = utcnow()
        return {"DBProxyTargetGroup": group}

    return _answer("ModifyDBProxyTargetGroup", work)


def _connection_pool_config(group: DBProxyTargetGroup) -> dict[str, Any]:
    config = {
        "MaxConnectionsPercent": group.max_connections,
        "MaxIdleConnectionsPercent": group.max_idle_connections,
        "ConnectionBorrowTimeout": group.borrow_timeout,
        "SessionPinningFilters": list(group.session_pinning_filters),
    }
    if getattr(group, "init_query", None):
        config["InitQuery"] = group.init_query
    return config


def _registered(group: DBProxyTargetGroup, resource_id: str, kind: str) -> bool:
    return any(t.rds_resource_id == resource_id and t.type == kind for t in group.targets)


def _target(backend: RDSBackend, resource_id: str, endpoint: str | None, kind: str, **extra: Any) -> DBProxyTarget:
    target = DBProxyTarget(backend=backend, resource_id=resource_id, endpoint=endpoint, type=kind)
    for name, value in extra.items():
        setattr(target, name, value)
    return target


def register_db_proxy_targets(call: Call) -> Response:
    params = parse_query(SERVICE, call)

    def work() -> dict[str, Any]:
        backend = _backend(call)
        proxy = _require_available(_proxy(backend, params.get("DBProxyName")))
        group = _target_group(proxy, params.get("TargetGroupName"))
        new: list[DBProxyTarget] = []
        for cluster_id in params.get("DBClusterIdentifiers") or []:
            cluster = backend.clusters.get(cluster_id)
            if cluster is None:
                raise DBClusterNotFoundError(cluster_id)
            if _registered(group, cluster_id, "TRACKED_CLUSTER"):
                raise TargetAlreadyRegistered(cluster_id)
            _require_registrable(cluster, list(cluster.members))
            new.append(_target(backend, cluster_id, cluster.endpoint, "TRACKED_CLUSTER", port=cluster.port))
            for member in cluster.members:
                new.append(
                    _target(
                        backend,
                        member.db_instance_identifier,
                        member.address,
                        "RDS_INSTANCE",
                        port=cluster.port,
                        target_arn=member.arn,
                        tracked_cluster_id=cluster_id,
                        role="READ_WRITE" if member.is_cluster_writer else "READ_ONLY",
                    )
                )
        for instance_id in params.get("DBInstanceIdentifiers") or []:
            instance = backend.databases.get(instance_id)
            if instance is None:
                raise DBInstanceNotFoundError(instance_id)
            if _registered(group, instance_id, "RDS_INSTANCE"):
                raise TargetAlreadyRegistered(instance_id)
            _require_registrable(None, [instance])
            new.append(
                _target(
                    backend,
                    instance_id,
                    instance.address,
                    "RDS_INSTANCE",
                    port=instance.port,
                    target_arn=instance.arn,
                    role="READ_WRITE",
                )
            )
        for target in new:
            target._livestack_proxy = proxy  # its role, as ModifyDBProxy leaves it, decides the target's health
        group.targets.extend(new)
        return {"DBProxyTargets": new}

    return _answer("RegisterDBProxyTargets", work)


def deregister_db_proxy_targets(call: Call) -> Response:
    params = parse_query(SERVICE, call)

    def work() -> dict[str, Any]:
        proxy = _require_available(_proxy(_backend(call), params.get("DBProxyName")))
        group = _target_group(proxy, params.get("TargetGroupName"))
        clusters = list(params.get("DBClusterIdentifiers") or [])
        instances = list(params.get("DBInstanceIdentifiers") or [])
        for cluster_id in clusters:
            if not _registered(group, cluster_id, "TRACKED_CLUSTER"):
                raise TargetNotFound(cluster_id)
        for instance_id in instances:
            if not _registered(group, instance_id, "RDS_INSTANCE"):
                raise TargetNotFound(instance_id)
        group.targets = [
            t
            for t in group.targets
            if not (t.type == "TRACKED_CLUSTER" and t.rds_resource_id in clusters)
            and getattr(t, "tracked_cluster_id", None) not in clusters
            and not (t.type == "RDS_INSTANCE" and t.rds_resource_id in instances)
        ]
        return {}

    return _answer("DeregisterDBProxyTargets", work)


def _require_proxy(action: str):
    """Answer the documented fault for an unknown proxy (or target group); let moto answer otherwise."""

    def handler(call: Call) -> Response | None:
        params = parse_query(SERVICE, call)
        try:
            proxy = _proxy(_backend(call), params.get("DBProxyName"))
            if "TargetGroupName" in params:
                _target_group(proxy, params["TargetGroupName"])
        except RDSClientError as fault:
            return query_result(SERVICE, action, fault)
        return None

    return handler


def register(registry: Registry) -> None:
    DBProxyTargetGroup.connection_pool_config = property(_connection_pool_config)  # type: ignore[assignment]
    DBProxyTarget.target_health = property(_target_health)  # type: ignore[assignment]
    registry.action(SERVICE, "CreateDBProxy")(create_db_proxy)
    registry.action(SERVICE, "ModifyDBProxy")(modify_db_proxy)
    registry.action(SERVICE, "ModifyDBProxyTargetGroup")(modify_db_proxy_target_group)
    registry.action(SERVICE, "RegisterDBProxyTargets")(register_db_proxy_targets)
    registry.action(SERVICE, "DeregisterDBProxyTargets")(deregister_db_proxy_targets)
    for action in ("DescribeDBProxyTargets", "DescribeDBProxyTargetGroups", "DeleteDBProxy"):
        registry.action(SERVICE, action)(_require_proxy(action))
