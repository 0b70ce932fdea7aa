#!/usr/bin/python
# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
# ruff: noqa: E402 -- Ansible modules import after DOCUMENTATION, EXAMPLES and RETURN

from __future__ import annotations

DOCUMENTATION = r"""
module: ec2_stage_network_info
short_description: Describe every network resource of a livestack stage, one call per kind
version_added: 0.1.0
description:
  - Describes the VPC of a stage (by its C(Name) tag and the stage's tags), and in it the subnets, route tables and
    security groups (by the stage's tags), the internet gateway and the NAT gateways, pending or available (by the
    VPC alone, as M(amazon.aws.ec2_vpc_igw) and M(amazon.aws.ec2_vpc_nat_gateway) find them), and the stage's
    Elastic IPs (by its tags); optionally the region's catalogue (regions, available zones).
  - One process and one paginated call per kind (two more per VPC for its DNS attributes), where the amazon.aws info
    modules take one process each; each kind in the shape its amazon.aws info module returns.
author:
  - livestack developers (@livestack)
options:
  vpc_name:
    description: The C(Name) tag of the VPC.
    type: str
    required: true
  tags:
    description: The tags every resource of the stage carries (C(livestack:project), C(livestack:stage)).
    type: dict
    required: true
  kinds:
    description:
      - What to describe. A kind in the VPC describes the VPC too; without a VPC, the kinds in it are empty.
    type: list
    elements: str
    choices: [regions, availability_zones, vpcs, subnets, internet_gateways, nat_gateways, route_tables,
              security_groups, addresses]
    default: [vpcs, subnets, internet_gateways, nat_gateways, route_tables, security_groups, addresses]
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reads only.
  diff_mode:
    support: none
    description: Nothing changes.
"""

EXAMPLES = r"""
- name: The network of stage dev, with the region's zones
  livestack.aws.ec2_stage_network_info:
    vpc_name: livestack-dev-vpc
    tags:
      livestack:project: livestack
      livestack:stage: dev
    kinds: [availability_zones, vpcs, subnets]
  register: network
"""

RETURN = r"""
regions:
  description: As M(amazon.aws.aws_region_info) returns them.
  returned: when asked
  type: list
  elements: dict
availability_zones:
  description: The available zones, as M(amazon.aws.aws_az_info) returns them.
  returned: when asked
  type: list
  elements: dict
vpcs:
  description: As M(amazon.aws.ec2_vpc_net_info) returns them (C(id), C(enable_dns_support), C(enable_dns_hostnames)).
  returned: when asked, or a kind in the VPC
  type: list
  elements: dict
subnets:
  description: As M(amazon.aws.ec2_vpc_subnet_info) returns them.
  returned: when asked
  type: list
  elements: dict
internet_gateways:
  description: As M(amazon.aws.ec2_vpc_igw_info) returns them.
  returned: when asked
  type: list
  elements: dict
nat_gateways:
  description: Pending or available, as M(amazon.aws.ec2_vpc_nat_gateway_info) returns them.
  returned: when asked
  type: list
  elements: dict
route_tables:
  description: As M(amazon.aws.ec2_vpc_route_table_info) returns them.
  returned: when asked
  type: list
  elements: dict
security_groups:
  description: As M(amazon.aws.ec2_security_group_info) returns them.
  returned: when asked
  type: list
  elements: dict
addresses:
  description: As M(amazon.aws.ec2_eip_info) returns them.
  returned: when asked
  type: list
  elements: dict
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.livestack.aws.plugins.module_utils.ec2.stage_network import (
    KINDS,
    NETWORK,
    describe_stage_network,
)
from ansible_collections.livestack.aws.plugins.module_utils.modules import LivestackAWSModule


def main():
    argument_spec = dict(
        vpc_name=dict(type="str", required=True),
        tags=dict(type="dict", required=True),
        kinds=dict(type="list", elements="str", choices=list(KINDS), default=list(NETWORK)),
    )
    module = LivestackAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = module.client("ec2")
    try:
        found = describe_stage_network(client, module.params["vpc_name"], module.params["tags"], module.params["kinds"])
    except AnsibleAWSError as error:
        module.fail_json_aws_error(error)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:  # regions and zones
        module.fail_json_aws(error, msg="Failed to describe the network of the stage")
    module.exit_json(changed=False, **found)


if __name__ == "__main__":
    main()
