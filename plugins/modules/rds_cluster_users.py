#!/usr/bin/python
# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
# ruff: noqa: E402 -- Ansible modules import after DOCUMENTATION, EXAMPLES and RETURN

from __future__ import annotations

DOCUMENTATION = r"""
---
module: rds_cluster_users
version_added: 0.1.0
short_description: Ensure the databases, IAM database users and grants of an Aurora MySQL cluster (RDS Data API)
description:
  - Converges the databases (C(CREATE DATABASE)), the users and their database-level grants (C(GRANT) and
    C(REVOKE), so that C(SHOW GRANTS) lists exactly the declared privileges) of an Aurora MySQL cluster.
  - Users are made with C(CREATE USER ... IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL), IAM
    database authentication only (no password exists for them), TLS required as the Aurora user guide advises.
  - Runs its statements through the RDS Data API (C(rds-data ExecuteStatement)) as the master user of
    O(secret_arn), so it needs no network path to the cluster; the cluster's HTTP endpoint must be enabled
    (M(livestack.aws.rds_cluster_serverless_v2) O(livestack.aws.rds_cluster_serverless_v2#module:http_endpoint)).
  - Users are the accounts C('<name>'@'%'). A declared user that exists with a password (another plugin than
    C(AWSAuthenticationPlugin)) was not made by this module and something may log in with it; the module fails,
    naming it, before any change, rather than take its password away.
  - The names are checked before any API call (MySQL's and IAM's rules, reserved accounts, grants on undeclared
    databases, privileges MySQL does not know); every name reaches SQL quoted.
author:
  - livestack developers (@livestack)
options:
  cluster:
    description:
      - Identifier or ARN of the Aurora MySQL DB cluster.
    type: str
    required: true
    aliases: [cluster_identifier, db_cluster_identifier]
  secret_arn:
    description:
      - ARN of the Secrets Manager secret of the cluster's master user (C(username), C(password)), with which the
        Data API runs the statements.
    type: str
    required: true
  databases:
    description:
      - The databases, each a letter, then letters, digits or underscores, at most 64 characters.
    type: list
    elements: str
    default: []
  users:
    description:
      - The IAM database users and their grants.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - The user name, a letter, then letters, digits or underscores, at most 32 characters (MySQL 8.0), not the
            master user, nor an account or role of RDS or MySQL (C(rdsadmin), C(rdsproxyadmin), C(root),
            C(mysql.*), C(AWS_*), C(rds_*)).
        type: str
        required: true
      grants:
        description: Privileges per database; a database missing here gets none.
        type: list
        elements: dict
        default: []
        suboptions:
          database:
            description: One of O(databases).
            type: str
            required: true
          privileges:
            description: Database-level privileges of MySQL (V(SELECT), V(INSERT), ..., or V(ALL) alone).
            type: list
            elements: str
            required: true
  purge:
    description:
      - Also drop the users C('<name>'@'%') and databases that are not declared.
      - Never the master user, AWS's or MySQL's own accounts and roles (C(rdsadmin), C(rdsproxyadmin), C(mysql.*),
        C(AWS_*), C(rds_*) ...), accounts of another host than C(%), the system schemas, nor the cluster's
        C(DatabaseName).
      - Refused with no O(users), since it would drop every application user.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
notes:
  - Table and column grants, granted roles and C(WITH GRANT OPTION) are not managed; global privileges of a declared
    user (other than C(USAGE)) are revoked.
  - Grants name a database with C(_) and C(%) escaped, so that they do not match other databases as wildcards.
"""

EXAMPLES = r"""
- name: The application's database and its IAM user
  livestack.aws.rds_cluster_users:
    cluster: livestack-dev-aurora
    secret_arn: "{{ aurora_secret_arn }}"
    databases: [livestack]
    users:
      - name: livestack
        grants:
          - database: livestack
            privileges: [ALL]

- name: A read-only user, and nothing else left
  livestack.aws.rds_cluster_users:
    cluster: arn:aws:rds:eu-west-1:123456789012:cluster:livestack-dev-aurora
    secret_arn: "{{ aurora_secret_arn }}"
    databases: [livestack]
    users:
      - name: reporting
        grants:
          - database: livestack
            privileges: [SELECT, SHOW VIEW]
    purge: true
"""

RETURN = r"""
databases:
  description: The cluster's databases after the run (in check mode, would be), system schemas left out.
  returned: always
  type: list
  elements: str
  sample: [livestack]
users:
  description:
    - The users C('<name>'@'%') after the run and their grants per database.
    - The master user and the accounts of RDS and MySQL are left out.
  returned: always
  type: dict
  sample: {"livestack": {"grants": {"livestack": ["ALL"]}}}
previous:
  description: The databases and users before the run, in the form of RV(databases) and RV(users) (the diff's before).
  returned: always
  type: dict
  sample: {"databases": [], "users": {}}
statements:
  description: The SQL statements run (in check mode, that would run), in order. They carry no password.
  returned: always
  type: list
  elements: str
  sample:
    - CREATE DATABASE `livestack`
    - CREATE USER 'livestack'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL
"""

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.livestack.aws.plugins.module_utils.modules import LivestackAWSModule
from ansible_collections.livestack.aws.plugins.module_utils.rds.cluster_users import (
    cluster_identifier,
    desired_state,
    input_errors,
    plan,
)
from ansible_collections.livestack.aws.plugins.module_utils.rds.cluster_users_api import execute_statement, read_state
from ansible_collections.livestack.aws.plugins.module_utils.rds.serverless_v2_api import describe_db_cluster


def ensure_users(module: LivestackAWSModule, rds: Any, data: Any) -> dict[str, Any]:
    params = module.params
    identifier = cluster_identifier(params["cluster"])
    cluster = describe_db_cluster(rds, identifier)
    if cluster is None:
        module.fail_json(msg=f"cluster {params['cluster']!r}: no such DB cluster")
    if not cluster["Engine"].startswith("aurora-mysql"):
        module.fail_json(msg=f"cluster {identifier!r} runs {cluster['Engine']}: this module manages Aurora MySQL users")
    master = cluster["MasterUsername"]
    module.fail_on_errors(input_errors(params["databases"], params["users"], params["purge"], master))
    desired = desired_state(params["databases"], params["users"])
    kept = [cluster["DatabaseName"]] if cluster.get("DatabaseName") else []
    arn = cluster["DBClusterArn"]

    if cluster.get("HttpEndpointEnabled"):
        current = read_state(data, arn, params["secret_arn"], master)
    elif module.check_mode:
        # Enabled by an earlier task of the same check run, in the real run: predict from an empty cluster.
        module.warn(f"the HTTP endpoint of cluster {identifier} is not enabled: predicting as if it had no user")
        current = {"databases": [], "accounts": {}}
    else:
        module.fail_json(
            msg=f"the HTTP endpoint (RDS Data API) of cluster {identifier} is not enabled: enable it first"
            " (livestack.aws.rds_cluster_serverless_v2 http_endpoint: true)"
        )

    statements, problems, before, after = plan(current, desired, params["purge"], master, kept)
    module.fail_on_errors(problems)
    if statements and not module.check_mode:
        for sql in statements:
            execute_statement(data, arn, params["secret_arn"], sql)
    return dict(
        changed=bool(statements),
        databases=after["databases"],
        users=after["users"],
        statements=statements,
        previous=before,
        diff=dict(before=before, after=after),
    )


def main() -> None:
    argument_spec = dict(
        cluster=dict(type="str", required=True, aliases=["cluster_identifier", "db_cluster_identifier"]),
        secret_arn=dict(type="str", required=True, no_log=True),
        databases=dict(type="list", elements="str", default=[]),
        users=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                name=dict(type="str", required=True),
                grants=dict(
                    type="list",
                    elements="dict",
                    default=[],
                    options=dict(
                        database=dict(type="str", required=True),
                        privileges=dict(type="list", elements="str", required=True),
                    ),
                ),
            ),
        ),
        purge=dict(type="bool", default=False),
    )
    module = LivestackAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    module.fail_on_errors(input_errors(module.params["databases"], module.params["users"], module.params["purge"]))
    try:
        result = ensure_users(module, module.client("rds"), module.client("rds-data"))
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
