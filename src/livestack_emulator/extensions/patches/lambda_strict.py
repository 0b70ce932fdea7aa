"""Strict mode for Lambda: IAM propagation, function states, and the network interfaces of VPC functions.

moto creates a function the instant its role exists, reports it ``Active`` and ``Successful`` at once and
gives a VPC function no network interface. AWS does none of this; in strict mode (``strict.py``) the emulator
does what AWS does, each window a strict window (``strict.SECONDS``):

- IAM propagation (``iam_propagation``): a role created, or whose policies changed, less than the window ago
  is not yet seen by Lambda (``iam_propagation.py`` records those times). CreateFunction and
  UpdateFunctionConfiguration answer ``InvalidParameterValueException`` "The role defined for the function
  cannot be assumed by Lambda." for a new role, and for a VPC function whose role's policies just changed
  "The provided execution role does not have permissions to call CreateNetworkInterface on EC2". Terraform
  retries both messages for minutes (terraform-provider-aws internal/service/lambda/function.go,
  retryFunctionOp with propagationTimeout); the messages are AWS's own (CreateFunction errors seen by
  Terraform's users).
- Function states (``lambda_pending``, ``lambda_pending_vpc``, ``lambda_update``): a new function is
  ``Pending`` (``StateReasonCode`` ``Creating``; a VPC one longer, while its interfaces are made) then
  ``Active``; UpdateFunctionCode and UpdateFunctionConfiguration leave ``LastUpdateStatus`` ``InProgress``
  then ``Successful``. Meanwhile updates, AddPermission and (while ``Pending``) Invoke answer
  ``ResourceConflictException`` (AWS Lambda developer guide, "Lambda function states": "While in pending
  state ... Any invocations or other API actions that operate on the function will fail"; the messages as
  AWS writes them: "The operation cannot be performed at this time. The function is currently in the
  following state: Pending" and "... An update is in progress for resource: <arn>"). botocore's
  ``function_active_v2`` and ``function_updated_v2`` waiters wait for them.
- Network interfaces (``lambda_eni_deletion``): a VPC function has one requester-managed interface
  (``InterfaceType`` ``lambda``, description ``AWS Lambda VPC ENI-<function>-<uuid>``) per subnet, with its
  security groups; after DeleteFunction, AWS deletes them later, and only while the function's role still
  exists (the role is what lets Lambda manage them): deleted with the function, the role strands them until
  it exists again. Meanwhile DeleteSecurityGroup and DeleteSubnet answer ``DependencyViolation``.
  terraform-provider-aws internal/service/ec2/vpc_security_group.go waits up to 45 minutes for Lambda's
  interfaces ("P99 ~35 minutes"); AWS Lambda developer guide, "Giving Lambda functions access to resources
  in an Amazon VPC" (the Hyperplane ENIs, deleted after the function, and the role's permissions needed).

Lenient mode keeps moto's behaviour (no window, no interface).
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.ec2.exceptions import DependencyViolationError
from moto.ec2.models import ec2_backends
from moto.ec2.models.elastic_network_interfaces import NetworkInterfaceBackend
from moto.ec2.models.security_groups import SecurityGroupBackend
from moto.ec2.models.subnets import SubnetBackend
from moto.iam.models import iam_backends

from ... import strict
from .. import Registry
from ..patching import check_requires, patch
from .iam_propagation import created_recently, policies_changed_recently, role_name

ROLE_NOT_ASSUMABLE = "The role defined for the function cannot be assumed by Lambda."
NO_ENI_PERMISSION = "The provided execution role does not have permissions to call CreateNetworkInterface on EC2"
_LOCK = threading.Lock()


class ResourceConflictException(LambdaClientError):
    code = 409

    def __init__(self, message: str) -> None:
        super().__init__("ResourceConflictException", message)


class _Interfaces:
    """The network interfaces of one deleted VPC function, waiting for AWS to delete them."""

    def __init__(self, fn: LambdaFunction, ids: list[str]) -> None:
        self.account_id, self.region, self.partition = fn.account_id, fn.region, fn.partition
        self.role, self.ids = role_name(fn.role), ids
        self.due = time.monotonic() + strict.current.seconds("lambda_eni_deletion")


_DELETED: list[_Interfaces] = []


def _role_exists(account_id: str, partition: str, name: str) -> bool:
    return any(role.name == name for role in iam_backends[account_id][partition].roles.values())


def check_role(account_id: str, role_arn: str, vpc: bool) -> None:
    """Refuse a role that Lambda cannot see yet, as AWS does during IAM propagation."""
    if created_recently(account_id, role_arn):
        raise LambdaClientError("InvalidParameterValueException", ROLE_NOT_ASSUMABLE)
    if vpc and policies_changed_recently(account_id, role_arn):
        raise LambdaClientError("InvalidParameterValueException", NO_ENI_PERMISSION)


def _vpc(config: dict[str, Any] | None) -> bool:
    return bool(config and config.get("SubnetIds"))


def _busy(fn: LambdaFunction) -> str | None:
    """The conflict message while the function is Pending or being updated, else None."""
    now = time.monotonic()
    if now < getattr(fn, "_livestack_pending_until", 0.0):
        return (
            "The operation cannot be performed at this time. The function is currently in the following state: Pending"
        )
    if now < getattr(fn, "_livestack_updating_until", 0.0):
        return (
            f"The operation cannot be performed at this time. An update is in progress for resource: {fn.function_arn}"
        )
    return None


def pending(fn: LambdaFunction) -> str | None:
    """Invoke's conflict message while the function is Pending (an update in progress runs the previous code)."""
    return _busy(fn) if time.monotonic() < getattr(fn, "_livestack_pending_until", 0.0) else None


def _create_interfaces(fn: LambdaFunction, config: dict[str, Any]) -> None:
    backend = ec2_backends[fn.account_id][fn.region]
    groups = list(config.get("SecurityGroupIds") or [])
    for subnet in config.get("SubnetIds") or []:
        eni = backend.create_network_interface(
            subnet, None, group_ids=groups, description=f"AWS Lambda VPC ENI-{fn.function_name}-{uuid.uuid4()}"
        )
        eni.requester_managed = True
        eni.requester_id = "AROAEXAMPLELAMBDAVPC:lambda"  # Lambda's service principal manages it
        eni.interface_type = "lambda"
        eni.status = "in-use"
        fn.__dict__.setdefault("_livestack_enis", []).append(eni.id)


def sweep() -> None:
    """Delete the interfaces whose time has come, of functions whose role still exists."""
    with _LOCK:
        now = time.monotonic()
        for entry in list(_DELETED):
            if now < entry.due or not _role_exists(entry.account_id, entry.partition, entry.role):
                continue
            backend = ec2_backends[entry.account_id][entry.region]
            for eni_id in entry.ids:
                backend.enis.pop(eni_id, None)
            _DELETED.remove(entry)


def _in_use(backend: Any, attribute: str, value: str) -> list[str]:
    sweep()
    found = []
    for eni in list(backend.enis.values()):
        if not getattr(eni, "requester_managed", False):
            continue
        if attribute == "subnet" and eni.subnet.id == value:
            found.append(eni.id)
        if attribute == "group" and value in [group.id for group in eni._group_set]:
            found.append(eni.id)
    return found


WHY = "moto makes a function Active at once, its role usable at once, and gives a VPC function no interface"


def _lambda_patch(name: str, signature: str, restores: str, requires: tuple[str, ...] = ()) -> Any:
    return patch(
        LambdaBackend, name, signature=signature, requires=("account_id", *requires), why=WHY, restores=restores
    )


def register(registry: Registry) -> None:
    registry.on_reset(_DELETED.clear)

    @registry.action("ec2", "DescribeNetworkInterfaces")
    def describe_network_interfaces(call: Any) -> None:
        sweep()  # then moto answers

    _patch_lambda()
    _patch_ec2()


def _refuse_busy(backend: LambdaBackend, function_name: str, qualifier: str | None) -> LambdaFunction:
    fn = backend.get_function(function_name, qualifier)
    message = _busy(fn)
    if message:
        raise ResourceConflictException(message)
    return fn


def _updated(fn: LambdaFunction) -> None:
    fn._livestack_updating_until = time.monotonic() + strict.current.seconds("lambda_update")


def _patch_lambda() -> None:
    @_lambda_patch(
        "create_function",
        "(self, spec)",
        "CreateFunction refuses a role within the IAM propagation window; a new function is Pending, a VPC "
        "function gets its network interfaces (strict mode)",
        requires=("list_versions_by_function",),
    )
    def _(original_create):  # type: ignore[no-untyped-def]
        def create_function(self: LambdaBackend, spec: dict[str, Any]) -> LambdaFunction:
            if not strict.current.enabled:
                return original_create(self, spec)
            check_role(self.account_id, spec.get("Role", ""), _vpc(spec.get("VpcConfig")))
            fn = original_create(self, spec)
            latest = self.get_function(spec["FunctionName"])
            vpc = _vpc(spec.get("VpcConfig"))
            until = time.monotonic() + strict.current.seconds("lambda_pending_vpc" if vpc else "lambda_pending")
            # The version CreateFunction publishes (Publish) is Pending as long as the function: its answer, and
            # GetFunction with its number as the qualifier (amazon.aws.lambda's read after creating), say so too.
            for function in [fn, latest, *list(self.list_versions_by_function(spec["FunctionName"]))[1:]]:
                function._livestack_pending_until = until
            if vpc:
                _create_interfaces(latest, spec["VpcConfig"])
            return fn

        return create_function

    @_lambda_patch(
        "update_function_code",
        "(self, function_name, qualifier, body)",
        "UpdateFunctionCode of a Pending or updating function answers ResourceConflictException; an update "
        "leaves LastUpdateStatus InProgress (strict mode)",
        requires=("list_versions_by_function",),
    )
    def _(original_code):  # type: ignore[no-untyped-def]
        def update_function_code(self: LambdaBackend, function_name: str, qualifier: str, body: dict[str, Any]) -> Any:
            if not strict.current.enabled:
                return original_code(self, function_name, qualifier, body)
            fn = _refuse_busy(self, function_name, qualifier)
            versions = list(self.list_versions_by_function(fn.function_name))
            result = original_code(self, function_name, qualifier, body)
            # The version it publishes (Publish) is the update's: InProgress with it (amazon.aws.lambda reads it back).
            for updated in [fn, *list(self.list_versions_by_function(fn.function_name))[len(versions) :]]:
                _updated(updated)
            return result

        return update_function_code

    @_lambda_patch(
        "update_function_configuration",
        "(self, function_name, qualifier, body)",
        "UpdateFunctionConfiguration refuses a busy function and a role within the IAM propagation window; "
        "a new VpcConfig replaces the interfaces (strict mode)",
    )
    def _(original_configuration):  # type: ignore[no-untyped-def]
        def update_function_configuration(
            self: LambdaBackend, function_name: str, qualifier: str, body: dict[str, Any]
        ) -> Any:
            if not strict.current.enabled:
                return original_configuration(self, function_name, qualifier, body)
            fn = _refuse_busy(self, function_name, qualifier)
            vpc_config = body.get("VpcConfig", fn._vpc_config)
            if "Role" in body or "VpcConfig" in body:
                check_role(self.account_id, body.get("Role", fn.role), _vpc(vpc_config))
            result = original_configuration(self, function_name, qualifier, body)
            if "VpcConfig" in body:
                _retire(fn)
                if _vpc(vpc_config):
                    _create_interfaces(fn, vpc_config)
            _updated(fn)
            return result

        return update_function_configuration

    @_lambda_patch(
        "add_permission",
        "(self, function_name, qualifier, raw)",
        "AddPermission of a Pending or updating function answers ResourceConflictException (strict mode)",
    )
    def _(original_permission):  # type: ignore[no-untyped-def]
        def add_permission(self: LambdaBackend, function_name: str, qualifier: str, raw: str) -> Any:
            if strict.current.enabled:
                _refuse_busy(self, function_name, qualifier)
            return original_permission(self, function_name, qualifier, raw)

        return add_permission

    @_lambda_patch(
        "delete_function",
        "(self, function_name, qualifier=None)",
        "DeleteFunction leaves a VPC function's interfaces for the lambda_eni_deletion window (strict mode)",
    )
    def _(original_delete):  # type: ignore[no-untyped-def]
        def delete_function(self: LambdaBackend, function_name: str, qualifier: str | None = None) -> None:
            fn = self.get_function(function_name) if strict.current.enabled and not qualifier else None
            original_delete(self, function_name, qualifier)
            if fn is not None:
                _retire(fn)

        return delete_function

    @patch(
        LambdaFunction,
        "get_configuration",
        signature="(self, on_create=False)",
        requires=("_vpc_config", "role", "function_arn"),
        why=WHY,
        restores="GetFunction(Configuration) reports State Pending and LastUpdateStatus InProgress "
        "(AWS Lambda developer guide, 'Lambda function states')",
    )
    def _(original_describe):  # type: ignore[no-untyped-def]
        def get_configuration(self: LambdaFunction, on_create: bool = False) -> dict[str, Any]:
            config = original_describe(self, on_create)
            now = time.monotonic()
            if now < getattr(self, "_livestack_pending_until", 0.0):
                config.update(State="Pending", StateReason="The function is being created.", StateReasonCode="Creating")
                config.update(LastUpdateStatus="InProgress")
            elif now < getattr(self, "_livestack_updating_until", 0.0):
                config.update(
                    LastUpdateStatus="InProgress",
                    LastUpdateStatusReason="The function is being created.",
                    LastUpdateStatusReasonCode="Creating",
                )
            return config

        return get_configuration


def _retire(fn: LambdaFunction) -> None:
    """Hand the function's interfaces over to AWS's late deletion (with its role)."""
    ids = getattr(fn, "_livestack_enis", [])
    if ids:
        with _LOCK:
            _DELETED.append(_Interfaces(fn, list(ids)))
        fn._livestack_enis = []


def _patch_ec2() -> None:
    restores = "DeleteSecurityGroup and DeleteSubnet answer DependencyViolation while Lambda's interfaces use them"
    check_requires(NetworkInterfaceBackend, ("enis",), __name__)  # the EC2 backend's, that _in_use reads

    @patch(
        SecurityGroupBackend,
        "delete_security_group",
        signature="(self, name=None, group_id=None)",
        why=WHY,
        restores=restores,
    )
    def _(original_group):  # type: ignore[no-untyped-def]
        def delete_security_group(self: Any, name: str | None = None, group_id: str | None = None) -> None:
            if strict.current.enabled and group_id and _in_use(self, "group", group_id):
                raise DependencyViolationError(f"resource {group_id} has a dependent object")
            return original_group(self, name=name, group_id=group_id)

        return delete_security_group

    @patch(SubnetBackend, "delete_subnet", signature="(self, subnet_id)", why=WHY, restores=restores)
    def _(original_subnet):  # type: ignore[no-untyped-def]
        def delete_subnet(self: Any, subnet_id: str) -> Any:
            if strict.current.enabled and _in_use(self, "subnet", subnet_id):
                raise DependencyViolationError(f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
            return original_subnet(self, subnet_id)

        return delete_subnet
