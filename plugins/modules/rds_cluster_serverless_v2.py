#!/usr/bin/python
# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
# ruff: noqa: E402 -- Ansible modules import after DOCUMENTATION, EXAMPLES and RETURN

from __future__ import annotations

DOCUMENTATION = r"""
---
module: rds_cluster_serverless_v2
version_added: 0.1.0
short_description: Ensure the Aurora Serverless v2 scaling configuration of a DB cluster, scale to zero included
description:
  - Ensures the C(ServerlessV2ScalingConfiguration) of an existing Aurora DB cluster, minimum and maximum
    capacity in Aurora capacity units (ACU) and the idle time before auto-pause, modifying the cluster in
    place (C(ApplyImmediately), no replacement) and waiting until it is C(available) again.
  - M(amazon.aws.rds_cluster) sets only the minimum and maximum capacity and documents 0.5 ACU as the
    floor; this module can also express scale to zero (O(min_capacity=0) with O(seconds_until_auto_pause))
    and checks the range against what the cluster's engine version supports
    (C(DescribeDBEngineVersions), C(ServerlessV2FeaturesSupport)).
  - Every value is checked before any mutating call; a bad one fails naming the option, the value and the rule.
  - Create the cluster with M(amazon.aws.rds_cluster) first, then run this module before adding
    C(db.serverless) instances (AWS requires the scaling configuration before them).
author:
  - livestack developers (@livestack)
options:
  cluster_identifier:
    description:
      - Identifier of the Aurora DB cluster.
    type: str
    required: true
    aliases: [db_cluster_identifier]
  min_capacity:
    description:
      - Minimum capacity in ACU, a multiple of 0.5.
      - V(0) turns scale to zero (auto-pause) on; only engine versions whose C(ServerlessV2FeaturesSupport)
        has C(MinCapacity) 0 accept it (for example Aurora MySQL 3.08.0 and later), otherwise the floor is V(0.5).
    type: float
    required: true
  max_capacity:
    description:
      - Maximum capacity in ACU, a multiple of 0.5, at least V(1), at most the engine version's
        C(MaxCapacity) (256 on recent versions, 128 on older ones), and not below O(min_capacity).
    type: float
    required: true
  seconds_until_auto_pause:
    description:
      - Seconds without connections before an instance pauses, 300 to 86400.
      - Only with O(min_capacity=0). Unset keeps the cluster's current value, or AWS's default of 300 seconds.
    type: int
  http_endpoint:
    description:
      - Whether the cluster's HTTP endpoint (the RDS Data API) is enabled, with C(EnableHttpEndpoint) /
        C(DisableHttpEndpoint), the operations for Serverless v2 and provisioned clusters
        (C(ModifyDBCluster)'s C(EnableHttpEndpoint) applies to Serverless v1 only, and AWS ignores it otherwise).
      - Unset leaves it as it is.
    type: bool
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - livestack.aws.wait
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
notes:
  - The poll loop is the collection's shared one (C(livestack.aws.wait)); botocore's C(db_cluster_available)
    waiter cannot also wait for the new configuration to show.
"""

EXAMPLES = r"""
- name: The blog's range, 0.5 to 16 ACU
  livestack.aws.rds_cluster_serverless_v2:
    cluster_identifier: livestack-dev-aurora
    min_capacity: 0.5
    max_capacity: 16

- name: The blog's range, with the RDS Data API on (for livestack.aws.rds_cluster_users)
  livestack.aws.rds_cluster_serverless_v2:
    cluster_identifier: livestack-dev-aurora
    min_capacity: 0.5
    max_capacity: 16
    http_endpoint: true

- name: Scale to zero after 10 idle minutes (Aurora MySQL 3.08.0 and later)
  livestack.aws.rds_cluster_serverless_v2:
    cluster_identifier: livestack-dev-aurora
    min_capacity: 0
    max_capacity: 16
    seconds_until_auto_pause: 600
"""

RETURN = r"""
cluster_identifier:
  description: Identifier of the DB cluster.
  returned: always
  type: str
  sample: livestack-dev-aurora
engine:
  description: Engine of the DB cluster.
  returned: always
  type: str
  sample: aurora-mysql
engine_version:
  description: Engine version of the DB cluster.
  returned: always
  type: str
  sample: 8.0.mysql_aurora.3.08.0
scaling_configuration:
  description:
    - The scaling configuration after the run (in check mode, what it would be).
    - C(seconds_until_auto_pause) is present only when C(min_capacity) is 0.
  returned: always
  type: dict
  contains:
    min_capacity:
      description: Minimum capacity in ACU.
      type: float
      sample: 0.5
    max_capacity:
      description: Maximum capacity in ACU.
      type: float
      sample: 16.0
    seconds_until_auto_pause:
      description: Seconds without connections before an instance pauses.
      type: int
      sample: 300
previous_scaling_configuration:
  description: The scaling configuration before the run, in the same form; empty when the cluster had none.
  returned: always
  type: dict
  sample: {"min_capacity": 0.5, "max_capacity": 8.0}
http_endpoint_enabled:
  description: Whether the cluster's HTTP endpoint (RDS Data API) is enabled after the run (in check mode, would be).
  returned: always
  type: bool
  sample: true
supported_capacity:
  description: What the cluster's engine version supports (C(ServerlessV2FeaturesSupport)).
  returned: always
  type: dict
  contains:
    min_capacity:
      description: The lowest minimum capacity, 0 where the version supports auto-pause.
      type: float
      sample: 0.0
    max_capacity:
      description: The highest maximum capacity.
      type: float
      sample: 256.0
    auto_pause:
      description: Whether the version supports scale to zero.
      type: bool
      sample: true
"""

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.livestack.aws.plugins.module_utils.modules import LivestackAWSModule
from ansible_collections.livestack.aws.plugins.module_utils.rds.serverless_v2 import (
    FAILED_CLUSTER_STATES,
    desired_scaling,
    normalise_scaling,
    scaling_to_api,
    supported_capacity,
)
from ansible_collections.livestack.aws.plugins.module_utils.rds.serverless_v2_api import (
    describe_db_cluster,
    describe_db_engine_version,
    modify_serverless_v2_scaling,
    set_http_endpoint,
)
from ansible_collections.livestack.aws.plugins.module_utils.rds.serverless_v2_validation import capacity_errors
from ansible_collections.livestack.aws.plugins.module_utils.waiters import WAIT_ARG_SPEC, WaitFailed, wait_for


def wait_for_cluster(module: LivestackAWSModule, client: Any, identifier: str, scaling: dict | None = None) -> dict:
    """Poll until the cluster is available (and shows ``scaling`` when given)."""

    def ready(cluster: dict | None) -> bool:
        if not cluster or cluster["Status"] != "available":
            return False
        return scaling is None or normalise_scaling(cluster.get("ServerlessV2ScalingConfiguration")) == scaling

    def failed(cluster: dict | None) -> str | None:
        if cluster is None:
            return "the cluster disappeared"
        return cluster["Status"] if cluster["Status"] in FAILED_CLUSTER_STATES else None

    return wait_for(
        lambda: describe_db_cluster(client, identifier),
        ready,
        failed,
        timeout=module.params["wait_timeout"],
        what=f"DB cluster {identifier} to be available",
    )


def ensure_scaling(module: LivestackAWSModule, client: Any) -> dict:
    params = module.params
    identifier = params["cluster_identifier"].lower()
    cluster = describe_db_cluster(client, identifier)
    if cluster is None:
        module.fail_json(msg=f"cluster_identifier '{identifier}': no such DB cluster (create it first)")

    engine, version = cluster["Engine"], cluster["EngineVersion"]
    supported = supported_capacity(describe_db_engine_version(client, engine, version))
    if supported is None:
        module.fail_json(
            msg=f"DB cluster {identifier} runs {engine} {version}, which has no Serverless v2"
            " (DescribeDBEngineVersions gives no ServerlessV2FeaturesSupport)"
        )
    module.fail_on_errors(
        capacity_errors(params["min_capacity"], params["max_capacity"], params["seconds_until_auto_pause"], supported),
    )

    before = normalise_scaling(cluster.get("ServerlessV2ScalingConfiguration"))
    after = desired_scaling(before, params["min_capacity"], params["max_capacity"], params["seconds_until_auto_pause"])
    http_before = bool(cluster.get("HttpEndpointEnabled"))

    def http_diff(enabled: bool) -> dict:
        return {} if params["http_endpoint"] is None else {"http_endpoint": enabled}

    http_after = http_before if params["http_endpoint"] is None else params["http_endpoint"]
    changed = before != after or http_before != http_after
    if changed and not module.check_mode:
        if params["wait"] and cluster["Status"] != "available":
            wait_for_cluster(module, client, identifier)
        if before != after:
            modify_serverless_v2_scaling(client, identifier, scaling_to_api(after))
            if params["wait"]:
                wait_for_cluster(module, client, identifier, after)
        if http_before != http_after:
            set_http_endpoint(client, cluster["DBClusterArn"], http_after)

    return dict(
        changed=changed,
        cluster_identifier=identifier,
        engine=engine,
        engine_version=version,
        scaling_configuration=after,
        previous_scaling_configuration=before,
        http_endpoint_enabled=http_after,
        supported_capacity=supported.as_dict(),
        diff=dict(before={**before, **http_diff(http_before)}, after={**after, **http_diff(http_after)}),
    )


def main() -> None:
    argument_spec = dict(
        cluster_identifier=dict(type="str", required=True, aliases=["db_cluster_identifier"]),
        min_capacity=dict(type="float", required=True),
        max_capacity=dict(type="float", required=True),
        seconds_until_auto_pause=dict(type="int"),
        http_endpoint=dict(type="bool"),
        **WAIT_ARG_SPEC,
    )
    module = LivestackAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    # The rules that hold for every engine version fail before the first API call.
    module.fail_on_errors(
        capacity_errors(
            module.params["min_capacity"], module.params["max_capacity"], module.params["seconds_until_auto_pause"]
        ),
    )
    client = module.client("rds")
    try:
        result = ensure_scaling(module, client)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)
    except WaitFailed as e:
        module.fail_json(msg=str(e))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
