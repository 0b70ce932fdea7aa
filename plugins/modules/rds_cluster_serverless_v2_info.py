#!/usr/bin/python
# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
# ruff: noqa: E402 -- Ansible modules import after DOCUMENTATION, EXAMPLES and RETURN

from __future__ import annotations

DOCUMENTATION = r"""
---
module: rds_cluster_serverless_v2_info
version_added: 0.1.0
short_description: The Aurora Serverless v2 scaling configuration of a DB cluster and what its engine version supports
description:
  - Returns the C(ServerlessV2ScalingConfiguration) of an Aurora DB cluster and the capacity range that its
    engine version supports (C(DescribeDBEngineVersions), C(ServerlessV2FeaturesSupport)).
  - With O(engine_version) instead of O(cluster_identifier), returns only what that engine version supports, so that
    a role can check its capacity range before it creates anything.
author:
  - livestack developers (@livestack)
options:
  cluster_identifier:
    description:
      - Identifier of the Aurora DB cluster.
      - Exactly one of O(cluster_identifier) and O(engine_version) is required.
    type: str
    aliases: [db_cluster_identifier]
  engine:
    description:
      - Engine of O(engine_version).
    type: str
    default: aurora-mysql
  engine_version:
    description:
      - An engine version to describe without a cluster, for example V(8.0.mysql_aurora.3.08.0).
    type: str
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
    support: N/A
    details: Reads only.
"""

EXAMPLES = r"""
- name: The scaling configuration of a cluster
  livestack.aws.rds_cluster_serverless_v2_info:
    cluster_identifier: livestack-dev-aurora
  register: scaling

- name: Whether an engine version can scale to zero
  livestack.aws.rds_cluster_serverless_v2_info:
    engine: aurora-mysql
    engine_version: 8.0.mysql_aurora.3.08.0
  register: support

- name: Require auto-pause
  ansible.builtin.assert:
    that: support.supported_capacity.auto_pause
"""

RETURN = r"""
exists:
  description: Whether the DB cluster exists (with O(engine_version), always V(false)).
  returned: always
  type: bool
  sample: true
cluster_identifier:
  description: Identifier of the DB cluster.
  returned: when the cluster exists
  type: str
  sample: livestack-dev-aurora
status:
  description: Status of the DB cluster.
  returned: when the cluster exists
  type: str
  sample: available
engine:
  description: Engine described.
  returned: always
  type: str
  sample: aurora-mysql
engine_version:
  description: Engine version described (the cluster's, or O(engine_version)).
  returned: when the cluster exists or with O(engine_version)
  type: str
  sample: 8.0.mysql_aurora.3.08.0
engine_version_found:
  description: Whether DescribeDBEngineVersions knows the engine version.
  returned: always
  type: bool
  sample: true
scaling_configuration:
  description:
    - The cluster's scaling configuration, empty when it has none or does not exist.
    - C(seconds_until_auto_pause) is present only when C(min_capacity) is 0.
  returned: always
  type: dict
  sample: {"min_capacity": 0.0, "max_capacity": 16.0, "seconds_until_auto_pause": 300}
db_parameter_group_family:
  description: The parameter group family of the engine version (empty when the version is unknown).
  returned: always
  type: str
  sample: aurora-mysql8.0
serverless_v2_supported:
  description: Whether the engine version supports Serverless v2 at all.
  returned: always
  type: bool
  sample: true
supported_capacity:
  description: The engine version's capacity range; empty without Serverless v2.
  returned: always
  type: dict
  sample: {"min_capacity": 0.0, "max_capacity": 256.0, "auto_pause": true}
exportable_log_types:
  description: The log types the engine version can export to CloudWatch Logs.
  returned: always
  type: list
  elements: str
  sample: ["audit", "error", "general", "slowquery"]
"""

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.livestack.aws.plugins.module_utils.modules import LivestackAWSModule
from ansible_collections.livestack.aws.plugins.module_utils.rds.serverless_v2 import (
    normalise_scaling,
    supported_capacity,
)
from ansible_collections.livestack.aws.plugins.module_utils.rds.serverless_v2_api import (
    describe_db_cluster,
    describe_db_engine_version,
)


def describe(client: Any, params: dict) -> dict:
    result: dict[str, Any] = dict(exists=False, engine=params["engine"], scaling_configuration={})
    engine, version = params["engine"], params["engine_version"]
    if params["cluster_identifier"]:
        cluster = describe_db_cluster(client, params["cluster_identifier"].lower())
        if cluster is None:
            result.update(engine_version_found=False, serverless_v2_supported=False)
            result.update(supported_capacity={}, exportable_log_types=[], db_parameter_group_family="")
            return result
        engine, version = cluster["Engine"], cluster["EngineVersion"]
        result.update(
            exists=True,
            cluster_identifier=cluster["DBClusterIdentifier"],
            status=cluster["Status"],
            engine=engine,
            scaling_configuration=normalise_scaling(cluster.get("ServerlessV2ScalingConfiguration")),
        )
    described = describe_db_engine_version(client, engine, version)
    supported = supported_capacity(described)
    result.update(
        engine_version=version,
        engine_version_found=described is not None,
        serverless_v2_supported=supported is not None,
        supported_capacity=supported.as_dict() if supported else {},
        exportable_log_types=(described or {}).get("ExportableLogTypes", []),
        db_parameter_group_family=(described or {}).get("DBParameterGroupFamily", ""),
    )
    return result


def main() -> None:
    argument_spec = dict(
        cluster_identifier=dict(type="str", aliases=["db_cluster_identifier"]),
        engine=dict(type="str", default="aurora-mysql"),
        engine_version=dict(type="str"),
    )
    module = LivestackAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_one_of=[["cluster_identifier", "engine_version"]],
        mutually_exclusive=[["cluster_identifier", "engine_version"]],
    )
    client = module.client("rds")
    try:
        result = describe(client, module.params)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
