#!/usr/bin/python
# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
# ruff: noqa: E402 - Ansible modules import after their DOCUMENTATION strings

from __future__ import annotations

DOCUMENTATION = r"""
---
module: rds_db_proxy
short_description: Create, modify and delete an RDS Proxy, its connection pool and its targets
version_added: 0.1.0
description:
  - Manages an Amazon RDS Proxy, for which the amazon.aws and community.aws collections have no module. It covers the
    proxy's authentication, TLS, idle client timeout, debug logging, IAM role, subnets, security groups and
    tags, the connection pool of its C(default) target group, and the clusters and instances registered as
    targets.
  - Settings left unset keep their current value, so a task only changes what it names.
  - Only a new proxy can have another O(engine_family) or other O(vpc_subnet_ids). A task asking for one
    fails and says so, before any change, unless O(replace=true), which deletes the proxy and creates it
    again (new endpoint and new C(prx-) resource id).
  - Input is checked before any mutating call (name pattern, idle timeout 1-28,800 s, pool percentages,
    borrow timeout 0-300 s, two subnets in two availability zones, IAM auth C(ENABLED) only for SQL Server,
    a secret unless end-to-end IAM).
  - Waits use the collection's poll loop because botocore has no waiter for RDS Proxy.
author:
  - livestack developers (@livestack)
options:
  name:
    description:
      - Name of the proxy, 1-63 letters, digits and hyphens, starting with a letter, no trailing hyphen
        and no two consecutive hyphens.
    type: str
    required: true
    aliases: [db_proxy_name]
  state:
    description:
      - V(present) creates or updates the proxy, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  engine_family:
    description:
      - Engine family of the databases behind the proxy. Changing it needs O(replace=true).
      - V(MYSQL) when creating a proxy and not set.
    type: str
    choices: [MYSQL, POSTGRESQL, SQLSERVER]
  default_auth_scheme:
    description:
      - How the proxy logs in to the database. V(IAM_AUTH) is end-to-end IAM authentication - clients connect
        with an IAM token and the proxy connects as the same database user with IAM, through its O(role_arn),
        which needs C(rds-db:connect) on C(dbuser:<cluster or instance resource id>/<user>); no secret is needed.
        V(NONE) - the proxy logs in with the secrets of O(auth).
      - Changed in place (C(ModifyDBProxy)). V(NONE) when creating a proxy and not set.
    type: str
    choices: [NONE, IAM_AUTH]
  auth:
    description:
      - How clients authenticate, one entry per database user secret. Required to create a proxy, and at least
        one entry, unless O(default_auth_scheme=IAM_AUTH); V([]) removes every entry of such a proxy.
      - Entries are matched to the current ones by O(auth[].secret_arn); fields left unset keep their value.
    type: list
    elements: dict
    suboptions:
      secret_arn:
        description: ARN of the Secrets Manager secret holding the database user's credentials.
        type: str
        required: true
      auth_scheme:
        description: How the proxy reads the credentials.
        type: str
        choices: [SECRETS]
        default: SECRETS
      iam_auth:
        description:
          - V(REQUIRED) lets clients connect only with an IAM authentication token, V(DISABLED) only with
            the password. V(ENABLED) (both) exists for SQL Server only.
        type: str
        choices: [DISABLED, REQUIRED, ENABLED]
      client_password_auth_type:
        description: Password authentication between client and proxy; must fit the engine family.
        type: str
        choices:
          - MYSQL_NATIVE_PASSWORD
          - MYSQL_CACHING_SHA2_PASSWORD
          - POSTGRES_SCRAM_SHA_256
          - POSTGRES_MD5
          - SQL_SERVER_AUTHENTICATION
      description:
        description: A description of the entry.
        type: str
  role_arn:
    description: ARN of the IAM role the proxy uses to read the secrets. Required to create a proxy.
    type: str
  vpc_subnet_ids:
    description:
      - At least two subnets in two availability zones of the database's VPC. Required to create a proxy.
      - Changing them needs O(replace=true).
    type: list
    elements: str
  vpc_security_group_ids:
    description: Security groups of the proxy; the VPC's default group when creating a proxy without them.
    type: list
    elements: str
  require_tls:
    description: Whether clients must connect with TLS. V(false) when creating a proxy and not set.
    type: bool
  idle_client_timeout:
    description:
      - Seconds a client connection may stay idle before the proxy closes it, 1 to 28,800.
        1,800 when creating a proxy and not set.
    type: int
  debug_logging:
    description: Whether the proxy logs SQL statements (enhanced logging). V(false) when creating and not set.
    type: bool
  connection_pool:
    description:
      - The connection pool of the proxy's C(default) target group. Fields left unset keep their value.
    type: dict
    suboptions:
      max_connections_percent:
        description: Pool size as a percentage of the database's C(max_connections), 1 to 100 (AWS default 100).
        type: int
      max_idle_connections_percent:
        description:
          - Idle connections kept, as a percentage of C(max_connections),
            0 to O(connection_pool.max_connections_percent).
          - When unset and the maximum changes, AWS sets it to half the maximum.
        type: int
      connection_borrow_timeout:
        description: Seconds a client waits for a free connection, 0 to 300 (AWS default 120).
        type: int
      init_query:
        description: SQL run on each new database connection; an empty string removes it.
        type: str
      session_pinning_filters:
        description: Operations that do not pin a session to its connection.
        type: list
        elements: str
        choices: [EXCLUDE_VARIABLE_SETS]
  targets:
    description:
      - The clusters and instances registered with the C(default) target group, declared exactly, so
        targets not listed are deregistered. Unset leaves the targets alone.
      - A cluster's instances follow the cluster; list a cluster, not its instances.
    type: dict
    suboptions:
      db_cluster_identifiers:
        description: Identifiers of Aurora clusters.
        type: list
        elements: str
        default: []
      db_instance_identifiers:
        description: Identifiers of RDS instances that are not members of a listed cluster.
        type: list
        elements: str
        default: []
  wait_for_targets:
    description:
      - After registering targets, wait (up to O(wait_timeout)) until every target reports C(AVAILABLE).
      - A target that reports C(UNAVAILABLE) with the reason C(AUTH_FAILURE) for longer than
        O(iam_propagation_timeout) fails the task, naming the target, the reason, the proxy's role and what to
        check on it.
    type: bool
    default: false
  iam_propagation_timeout:
    description:
      - With O(wait_for_targets), how many seconds in a row the targets may report C(AUTH_FAILURE) while IAM
        propagates a new role, or a change of its policies, before the task fails. AWS accepts a proxy whose
        role is not usable yet and reports its targets C(UNAVAILABLE), C(AUTH_FAILURE) until it is.
    type: int
    default: 300
  replace:
    description:
      - Delete and recreate the proxy when O(engine_family) or O(vpc_subnet_ids) differ from the proxy's.
        The endpoint and resource id change. Without it such a difference fails the task.
    type: bool
    default: false
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode).
    support: full
notes:
  - Proxies, pools and targets are changed with C(ModifyDBProxy), C(ModifyDBProxyTargetGroup),
    C(RegisterDBProxyTargets) and C(DeregisterDBProxyTargets); before and between these calls the module waits
    (up to O(wait_timeout), whatever O(wait) says) until the proxy is C(available), since AWS refuses changes to
    a proxy that is being created or modified (C(InvalidDBProxyStateFault)), for example when a run finds the
    proxy an interrupted run created.
  - AWS accepts a proxy whose IAM role it cannot use yet (a new role, or policies just changed, which IAM
    propagates in seconds to minutes) and reports its targets C(UNAVAILABLE) with the reason C(AUTH_FAILURE)
    until it can. O(wait_for_targets) waits that out for up to O(iam_propagation_timeout) seconds, and beyond
    that takes the role for wrong (trust policy, C(rds-db:connect), C(secretsmanager:GetSecretValue),
    C(kms:Decrypt)).
  - AWS refuses to register a cluster whose instances are still being created (C(InvalidDBInstanceState),
    C(InvalidDBClusterStateFault)); the module retries C(RegisterDBProxyTargets) on those faults for up to
    O(wait_timeout) seconds, as the Terraform AWS provider does, so that the proxy can be created while the
    cluster's writer is.
extends_documentation_fragment:
  - livestack.aws.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The proxy of the blog, in front of an Aurora cluster
  livestack.aws.rds_db_proxy:
    name: livestack-dev-proxy
    engine_family: MYSQL
    role_arn: arn:aws:iam::123456789012:role/livestack-dev-proxy
    vpc_subnet_ids: [subnet-0aaa, subnet-0bbb]
    vpc_security_group_ids: [sg-0ccc]
    auth:
      - secret_arn: arn:aws:secretsmanager:eu-west-1:123456789012:secret:livestack-dev-db-AbCdEf
        iam_auth: REQUIRED
    require_tls: true
    idle_client_timeout: 7200
    debug_logging: true
    connection_pool:
      max_connections_percent: 100
    targets:
      db_cluster_identifiers: [livestack-dev-aurora]
    wait_for_targets: true
    tags:
      livestack:stage: dev
  register: proxy

- name: End-to-end IAM - no secret, the role may rds-db:connect as the cluster's users
  livestack.aws.rds_db_proxy:
    name: livestack-dev-proxy
    default_auth_scheme: IAM_AUTH
    auth: []
    role_arn: arn:aws:iam::123456789012:role/livestack-dev-proxy
    vpc_subnet_ids: [subnet-0aaa, subnet-0bbb]
    require_tls: true
    targets:
      db_cluster_identifiers: [livestack-dev-aurora]

- name: Shorter idle timeout, nothing else changes
  livestack.aws.rds_db_proxy:
    name: livestack-dev-proxy
    idle_client_timeout: 1800

- name: Delete the proxy
  livestack.aws.rds_db_proxy:
    name: livestack-dev-proxy
    state: absent
"""

RETURN = r"""
proxy:
  description:
    - The proxy after the task; in check mode the proxy as it is, and the diff shows what would change.
    - Empty when the proxy is absent, or in check mode when it would be created or replaced.
  returned: always
  type: dict
  contains:
    db_proxy_name:
      description: Name of the proxy.
      type: str
      sample: livestack-dev-proxy
    db_proxy_arn:
      description: ARN of the proxy.
      type: str
      sample: arn:aws:rds:eu-west-1:123456789012:db-proxy:prx-0123456789abcdef0
    resource_id:
      description: The C(prx-) resource id, the one C(rds-db:connect) policies name.
      type: str
      sample: prx-0123456789abcdef0
    status:
      description: Status of the proxy.
      type: str
      sample: available
    endpoint:
      description: Host name clients connect to.
      type: str
      sample: livestack-dev-proxy.proxy-abcdefghijkl.eu-west-1.rds.amazonaws.com
    engine_family:
      description: Engine family.
      type: str
      sample: MYSQL
    vpc_id:
      description: VPC of the proxy.
      type: str
    vpc_subnet_ids:
      description: Subnets of the proxy.
      type: list
      elements: str
    vpc_security_group_ids:
      description: Security groups of the proxy.
      type: list
      elements: str
    default_auth_scheme:
      description: C(IAM_AUTH) (end-to-end IAM) or C(NONE).
      type: str
      sample: IAM_AUTH
    auth:
      description: Authentication entries (C(auth_scheme), C(secret_arn), C(iam_auth), C(client_password_auth_type)).
      type: list
      elements: dict
    role_arn:
      description: IAM role of the proxy.
      type: str
    require_tls:
      description: Whether TLS is required.
      type: bool
    idle_client_timeout:
      description: Idle client timeout in seconds.
      type: int
    debug_logging:
      description: Whether debug logging is on.
      type: bool
    connection_pool:
      description: Pool of the default target group (C(max_connections_percent), C(max_idle_connections_percent),
        C(connection_borrow_timeout), C(init_query), C(session_pinning_filters)).
      type: dict
    target_group_arn:
      description: ARN of the default target group.
      type: str
    targets:
      description: Registered targets as C(DescribeDBProxyTargets) reports them, in snake_case.
      type: list
      elements: dict
    tags:
      description: Tags of the proxy.
      type: dict
replaced:
  description: Whether the proxy was (or in check mode would be) deleted and created again.
  returned: always
  type: bool
  sample: false
"""

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError, is_ansible_aws_error_code

from ansible_collections.livestack.aws.plugins.module_utils.modules import LivestackAWSModule
from ansible_collections.livestack.aws.plugins.module_utils.rds import proxy as transform
from ansible_collections.livestack.aws.plugins.module_utils.rds import proxy_api as api
from ansible_collections.livestack.aws.plugins.module_utils.rds import proxy_validation as rules
from ansible_collections.livestack.aws.plugins.module_utils.waiters import (
    WAIT_ARG_SPEC,
    WaitFailed,
    retry_while,
    wait_for,
)

POLL_DELAY = 5
# RegisterDBProxyTargets' answers while a target is not ready yet, e.g. a cluster's writer still creating:
# "DB Instance <id> is in an unsupported state - CREATING, needs to be in [AVAILABLE, MODIFYING, BACKING_UP]"
# (terraform-provider-aws internal/service/rds/proxy_target.go retries it 5 minutes; botocore's error list).
TARGET_NOT_READY = ("InvalidDBInstanceState", "InvalidDBClusterStateFault")


class ProxyManager:
    """Reads the proxy, and applies the differences between the options and what it finds."""

    def __init__(self, module: LivestackAWSModule) -> None:
        self.module = module
        self.params = module.params
        self.name = module.params["name"]
        self.client = module.client("rds")
        self.changed = False

    def read(self) -> dict[str, Any] | None:
        proxy = api.describe_db_proxy(self.client, self.name)
        if proxy is None:
            return None
        return {
            "proxy": proxy,
            "group": api.describe_default_target_group(self.client, self.name),
            "targets": api.describe_targets(self.client, self.name),
            "tags": api.list_tags(self.client, proxy["DBProxyArn"]),
        }

    @staticmethod
    def state(found: dict[str, Any] | None) -> dict[str, Any] | None:
        return transform.current_state(**found) if found else None

    def wait_available(self) -> dict[str, Any]:
        return self._wait(
            lambda: api.describe_db_proxy(self.client, self.name),
            lambda proxy: proxy is not None and proxy["Status"] == "available",
            lambda proxy: proxy["Status"] if proxy and proxy["Status"] in transform.FAILED_STATES else None,
            f"RDS proxy {self.name} to become available",
        )

    def wait_gone(self) -> None:
        self._wait(
            lambda: api.describe_db_proxy(self.client, self.name),
            lambda proxy: proxy is None,
            None,
            f"RDS proxy {self.name} to be deleted",
        )

    def wait_targets(self, role_arn: str) -> None:
        try:
            transform.wait_for_targets(
                lambda: api.describe_targets(self.client, self.name),
                self.name,
                role_arn,
                timeout=self.params["wait_timeout"],
                iam_propagation_timeout=self.params["iam_propagation_timeout"],
                delay=POLL_DELAY,
            )
        except WaitFailed as error:
            self.module.fail_json(msg=str(error), last_state=error.last)

    def _wait(self, describe, ready, failed, what: str) -> Any:
        try:
            return wait_for(
                describe, ready, failed, timeout=self.params["wait_timeout"], delay=POLL_DELAY, what=what, first_delay=1
            )
        except WaitFailed as error:
            self.module.fail_json(msg=str(error), last_state=error.last)

    def register_targets(self, clusters: list[str], instances: list[str]) -> None:
        """RegisterDBProxyTargets, retried while AWS refuses a target that is not ready yet."""
        retry_while(
            lambda: api.register_targets(self.client, self.name, clusters, instances),
            (AnsibleAWSError,),
            lambda error: is_ansible_aws_error_code(TARGET_NOT_READY, error) is AnsibleAWSError,
            timeout=self.params["wait_timeout"],
            delay=POLL_DELAY,
            first_delay=1,
        )

    # --- creating -------------------------------------------------------------------------------

    def check_new_proxy(self, desired: dict[str, Any]) -> None:
        missing = [option for option in ("role_arn", "vpc_subnet_ids") if not desired[option]]
        if missing:
            self.module.fail_on_errors([f"{', '.join(missing)} required to create RDS proxy {self.name}"])
        self.check_subnets(desired["vpc_subnet_ids"])

    def check_subnets(self, subnet_ids: list[str]) -> None:
        subnets = api.describe_subnets(self.module.client("ec2"), subnet_ids)
        self.module.fail_on_errors(rules.check_subnets(subnet_ids, subnets))

    def create(self, desired: dict[str, Any]) -> None:
        api.create_db_proxy(self.client, **transform.create_parameters(desired))
        self.wait_available()
        created = self.state(self.read())
        self.apply_pool_and_targets(desired, created)

    # --- updating -------------------------------------------------------------------------------

    def apply_pool_and_targets(self, desired: dict[str, Any], current: dict[str, Any]) -> None:
        pool = transform.pool_changes(desired, current)
        if pool:
            api.modify_default_target_group(self.client, self.name, pool)
            self.wait_available()
        targets = transform.target_changes(desired, current)
        deregister = targets["deregister"]
        if any(deregister.values()):
            api.deregister_targets(
                self.client, self.name, deregister["db_cluster_identifiers"], deregister["db_instance_identifiers"]
            )
        register = targets["register"]
        if any(register.values()):
            self.register_targets(register["db_cluster_identifiers"], register["db_instance_identifiers"])

    def update(self, desired: dict[str, Any], current: dict[str, Any], arn: str) -> None:
        settings = transform.proxy_changes(desired, current)
        if settings:
            api.modify_db_proxy(self.client, DBProxyName=self.name, **settings)
            self.wait_available()
        self.apply_pool_and_targets(desired, current)
        add, remove = transform.tag_changes(desired, current)
        if remove:
            api.remove_tags(self.client, arn, remove)
        if add:
            api.add_tags(self.client, arn, [{"Key": k, "Value": v} for k, v in add.items()])

    @staticmethod
    def differs(desired: dict[str, Any], current: dict[str, Any]) -> bool:
        return bool(
            transform.proxy_changes(desired, current)
            or transform.pool_changes(desired, current)
            or any(any(ids.values()) for ids in transform.target_changes(desired, current).values())
            or any(transform.tag_changes(desired, current))
        )

    # --- states ---------------------------------------------------------------------------------

    def ensure_present(self) -> dict[str, Any]:
        self.module.fail_on_errors(rules.check_settings(self.params))
        found = self.read()
        current = self.state(found)
        self.module.fail_on_errors(
            rules.check_pool(self.params.get("connection_pool"), current and current["connection_pool"])
        )
        desired = transform.desired_state(self.params, current)
        self.module.fail_on_errors(rules.check_auth_scheme(desired["default_auth_scheme"], desired["auth"]))
        replacing = False
        if current is None:
            self.check_new_proxy(desired)
            self.changed = True
        else:
            replacement = transform.replacement_changes(desired, current)
            if replacement and not self.params["replace"]:
                self.module.fail_on_errors(
                    [
                        f"{option} of RDS proxy {self.name} is {before}, the task asks for {after}:"
                        " only a new proxy can have it; set replace=true to delete and recreate the proxy"
                        " (new endpoint and resource id)"
                        for option, (before, after) in replacement.items()
                    ]
                )
            if replacement:
                self.check_new_proxy(desired)
                replacing = self.changed = True
            else:
                self.changed = self.differs(desired, current)

        if self.changed and not self.module.check_mode:
            if replacing:
                api.delete_db_proxy(self.client, self.name)
                self.wait_gone()
            if current is None or replacing:
                self.create(desired)
            else:
                if found["proxy"]["Status"] != "available":
                    # A proxy still creating or modifying (another run's) refuses every change.
                    self.wait_available()
                self.update(desired, current, found["proxy"]["DBProxyArn"])
            if self.params["wait"]:
                self.wait_available()
        # An unchanged proxy whose targets were all AVAILABLE when read needs neither a wait nor a second read.
        settled = not self.changed and found is not None and transform.targets_available(found["targets"])
        if (
            self.params["wait_for_targets"]
            and not self.module.check_mode
            and not settled
            and any(desired["targets"].values())
        ):
            self.wait_targets(desired["role_arn"])

        after_found = found if self.module.check_mode or settled else self.read()
        after = desired if self.module.check_mode else self.state(after_found)
        shown = after_found and not (self.module.check_mode and replacing)
        result = transform.proxy_result(**after_found) if shown else {}
        return dict(
            changed=self.changed,
            replaced=replacing,
            proxy=result,
            diff=dict(before=current or {}, after=after),
        )

    def ensure_absent(self) -> dict[str, Any]:
        self.module.fail_on_errors(rules.check_name(self.name))
        found = self.read()
        if found is None:
            return dict(changed=False, replaced=False, proxy={}, diff=dict(before={}, after={}))
        if not self.module.check_mode:
            api.delete_db_proxy(self.client, self.name)
            if self.params["wait"]:
                self.wait_gone()
        return dict(changed=True, replaced=False, proxy={}, diff=dict(before=self.state(found), after={}))


def main() -> None:
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["db_proxy_name"]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        engine_family=dict(type="str", choices=["MYSQL", "POSTGRESQL", "SQLSERVER"]),
        default_auth_scheme=dict(type="str", choices=["NONE", "IAM_AUTH"]),
        auth=dict(
            type="list",
            elements="dict",
            options=dict(
                secret_arn=dict(type="str", required=True, no_log=False),
                auth_scheme=dict(type="str", choices=["SECRETS"], default="SECRETS"),
                iam_auth=dict(type="str", choices=["DISABLED", "REQUIRED", "ENABLED"]),
                client_password_auth_type=dict(
                    type="str",
                    choices=[
                        "MYSQL_NATIVE_PASSWORD",
                        "MYSQL_CACHING_SHA2_PASSWORD",
                        "POSTGRES_SCRAM_SHA_256",
                        "POSTGRES_MD5",
                        "SQL_SERVER_AUTHENTICATION",
                    ],
                ),
                description=dict(type="str"),
            ),
        ),
        role_arn=dict(type="str"),
        vpc_subnet_ids=dict(type="list", elements="str"),
        vpc_security_group_ids=dict(type="list", elements="str"),
        require_tls=dict(type="bool"),
        idle_client_timeout=dict(type="int"),
        debug_logging=dict(type="bool"),
        connection_pool=dict(
            type="dict",
            options=dict(
                max_connections_percent=dict(type="int"),
                max_idle_connections_percent=dict(type="int"),
                connection_borrow_timeout=dict(type="int"),
                init_query=dict(type="str"),
                session_pinning_filters=dict(type="list", elements="str", choices=["EXCLUDE_VARIABLE_SETS"]),
            ),
        ),
        targets=dict(
            type="dict",
            options=dict(
                db_cluster_identifiers=dict(type="list", elements="str", default=[]),
                db_instance_identifiers=dict(type="list", elements="str", default=[]),
            ),
        ),
        wait_for_targets=dict(type="bool", default=False),
        iam_propagation_timeout=dict(type="int", default=300),
        replace=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        **WAIT_ARG_SPEC,
    )
    module = LivestackAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    manager = ProxyManager(module)
    try:
        if module.params["state"] == "present":
            result = manager.ensure_present()
        else:
            result = manager.ensure_absent()
    except AnsibleAWSError as error:
        module.fail_json_aws_error(error)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
