#!/usr/bin/python
# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
# ruff: noqa: E402 -- Ansible modules import after DOCUMENTATION, EXAMPLES and RETURN

from __future__ import annotations

DOCUMENTATION = r"""
---
module: rds_cluster_users_info
version_added: 0.1.0
short_description: Read the databases, users and grants of an Aurora MySQL cluster through the RDS Data API
description:
  - Reads, with C(SELECT) and C(SHOW) statements only, the databases of an Aurora MySQL cluster and its users
    C('<name>'@'%') with their authentication plugin, whether they must use TLS, and their database grants, as
    M(livestack.aws.rds_cluster_users) sees them.
  - Needs the cluster's HTTP endpoint (RDS Data API); without it, returns RV(http_endpoint_enabled=false) and
    reads nothing.
author:
  - livestack developers (@livestack)
options:
  cluster:
    description:
      - Identifier or ARN of the Aurora MySQL DB cluster.
    type: str
    required: true
    aliases: [cluster_identifier, db_cluster_identifier]
  secret:
    description:
      - ARN or name of the Secrets Manager secret of the cluster's master user; a name is resolved to its ARN
        (C(DescribeSecret)).
    type: str
    required: true
    aliases: [secret_arn]
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode).
    support: none
"""

EXAMPLES = r"""
- name: Read the users of the stage's cluster
  livestack.aws.rds_cluster_users_info:
    cluster: livestack-dev-aurora
    secret: livestack-dev/aurora/master
  register: cluster_users
"""

RETURN = r"""
http_endpoint_enabled:
  description: Whether the cluster's HTTP endpoint (RDS Data API) is enabled; when not, nothing else was read.
  returned: always
  type: bool
  sample: true
master_username:
  description: The cluster's master user.
  returned: always
  type: str
  sample: admin
databases:
  description: The cluster's databases, system schemas left out.
  returned: always
  type: list
  elements: str
  sample: [livestack]
users:
  description:
    - The application users C('<name>'@'%'), the master user and the accounts and roles of RDS and MySQL left out.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: User name.
      type: str
      sample: livestack
    plugin:
      description: Authentication plugin, C(AWSAuthenticationPlugin) for an IAM database user.
      type: str
      sample: AWSAuthenticationPlugin
    iam:
      description: Whether the user authenticates with IAM only (no password).
      type: bool
      sample: true
    ssl_type:
      description: C(ANY) when the user must use TLS (C(REQUIRE SSL)), else empty or another C(REQUIRE) kind.
      type: str
      sample: ANY
    grants:
      description: Privileges per database (C(ALL) for all of them), C(*) for global ones.
      type: dict
      sample: {"livestack": ["ALL"]}
"""

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.livestack.aws.plugins.module_utils.modules import LivestackAWSModule
from ansible_collections.livestack.aws.plugins.module_utils.rds.cluster_users import (
    IAM_PLUGIN,
    SYSTEM_DATABASES,
    application_user,
    cluster_identifier,
    database_of,
)
from ansible_collections.livestack.aws.plugins.module_utils.rds.cluster_users_api import read_state
from ansible_collections.livestack.aws.plugins.module_utils.rds.serverless_v2_api import describe_db_cluster


def main() -> None:
    argument_spec = dict(
        cluster=dict(type="str", required=True, aliases=["cluster_identifier", "db_cluster_identifier"]),
        secret=dict(type="str", required=True, aliases=["secret_arn"], no_log=True),
    )
    module = LivestackAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    identifier = cluster_identifier(module.params["cluster"])
    try:
        cluster = describe_db_cluster(module.client("rds"), identifier)
        if cluster is None:
            module.fail_json(msg=f"cluster {module.params['cluster']!r}: no such DB cluster")
        master = cluster["MasterUsername"]
        result = dict(
            changed=False,
            http_endpoint_enabled=bool(cluster.get("HttpEndpointEnabled")),
            master_username=master,
            databases=[],
            users=[],
        )
        if result["http_endpoint_enabled"]:
            secret = module.params["secret"]
            if not secret.startswith("arn:"):
                secrets = module.client("secretsmanager", retry_decorator=AWSRetry.jittered_backoff())
                secret = secrets.describe_secret(aws_retry=True, SecretId=secret)["ARN"]
            state = read_state(module.client("rds-data"), cluster["DBClusterArn"], secret, master)
            result["databases"] = [name for name in state["databases"] if name.lower() not in SYSTEM_DATABASES]
            result["users"] = [
                {
                    "name": name,
                    "plugin": found["plugin"],
                    "iam": found["plugin"] == IAM_PLUGIN,
                    "ssl_type": found["ssl_type"],
                    "grants": {database_of(key): value for key, value in found["grants"].items()},
                }
                for name, found in sorted(state["accounts"].items())
                if application_user(name, "%", master)
            ]
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # DescribeSecret
        module.fail_json_aws(e, msg="Failed to describe the master secret")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
