# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Every network resource of a stage, one describe per kind, in the shapes of amazon.aws's info modules.

The network role used to run one amazon.aws info module per kind (about 0.9 s each, mostly Python start, boto3 import
and client creation); ``describe_stage_network`` makes the same calls (amazon.aws's wrappers: paginated, retried on
throttling) in one process. Each kind is found as the module that manages it finds it: the VPC by its ``Name`` and
the stage's tags, the subnets, route tables and security groups by the VPC and the stage's tags, the internet gateway
and the NAT gateways by the VPC alone (ec2_vpc_igw and ec2_vpc_nat_gateway adopt an untagged one), the Elastic IPs by
the stage's tags.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils import ec2
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

# The catalogue of the region (the role's input rules), then the kinds that live in the VPC.
CATALOGUE = ("regions", "availability_zones")
IN_VPC = ("subnets", "internet_gateways", "nat_gateways", "route_tables", "security_groups")
NETWORK = ("vpcs", *IN_VPC, "addresses")
KINDS = (*CATALOGUE, *NETWORK)


# The kinds to which amazon.aws's info modules add an ``id``.
ID_KEYS = {"vpcs": "VpcId", "subnets": "SubnetId", "route_tables": "RouteTableId"}


# ec2_vpc_route_table_info's route keys, present (None) when empty.
ROUTE_KEYS = ("DestinationCidrBlock", "GatewayId", "InstanceId", "Origin", "State", "NetworkInterfaceId")


def _route_table(table: Mapping[str, Any]) -> dict[str, Any]:
    """As ec2_vpc_route_table_info normalises a table: every route with the legacy keys and ``InterfaceId``, every
    association with ``Id``."""
    routes = [{**dict.fromkeys(ROUTE_KEYS), **route} for route in table.get("Routes") or []]
    return {
        **table,
        "Routes": [{**route, "InterfaceId": route["NetworkInterfaceId"]} for route in routes],
        "Associations": [
            {**assoc, "Id": assoc["RouteTableAssociationId"]} for assoc in table.get("Associations") or []
        ],
    }


def snake(kind: str, resource: Mapping[str, Any]) -> dict[str, Any]:
    """A resource as amazon.aws's info modules return it: snake_case keys, ``tags`` a dict, ``id`` where they add it."""
    if kind == "route_tables":
        resource = _route_table(resource)
    if kind == "internet_gateways":  # ec2_vpc_igw_info keeps these only
        resource = {key: resource.get(key) for key in ("InternetGatewayId", "Attachments", "Tags")}
    found = camel_dict_to_snake_dict({key: value for key, value in resource.items() if key != "Tags"})
    if kind not in CATALOGUE and ("Tags" in resource or kind not in ("addresses", "nat_gateways")):
        found["tags"] = boto3_tag_list_to_ansible_dict(resource.get("Tags") or [])
    if kind in ID_KEYS:
        found["id"] = resource[ID_KEYS[kind]]
    return found


def _filters(**values: Any) -> list[dict[str, Any]]:
    return [
        {"Name": name, "Values": [str(v) for v in (value if isinstance(value, (list, tuple)) else [value])]}
        for name, value in values.items()
    ]


def _tag_filters(tags: Mapping[str, str]) -> dict[str, str]:
    return {f"tag:{key}": value for key, value in tags.items()}


def _vpc(client, vpc: dict[str, Any]) -> dict[str, Any]:
    """The VPC with its two DNS attributes, as ec2_vpc_net_info adds them."""
    for attribute, key in (("enableDnsSupport", "EnableDnsSupport"), ("enableDnsHostnames", "EnableDnsHostnames")):
        answer = ec2.describe_vpc_attribute(client, vpc_id=vpc["VpcId"], attribute=attribute) or {}
        if key in answer:
            vpc[key] = answer[key].get("Value")
    return vpc


def describe_stage_network(
    client, vpc_name: str, tags: Mapping[str, str], kinds: Sequence[str] = NETWORK
) -> dict[str, list[dict[str, Any]]]:
    """``{kind: [resource, ...]}`` for each of ``kinds`` (and ``vpcs`` whenever a kind in the VPC is asked): the
    stage's resources (``tags``: the tags every one of them carries, ``livestack:project`` and ``livestack:stage``),
    the VPC the one named ``vpc_name``. Without a VPC the kinds in it are empty lists, without a call."""
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown kinds {unknown} (known: {', '.join(KINDS)})")
    stage = _tag_filters(tags)
    found: dict[str, list[dict[str, Any]]] = {}
    if "regions" in kinds:
        found["regions"] = ec2.describe_regions(client)
    if "availability_zones" in kinds:
        found["availability_zones"] = ec2.describe_availability_zones(client, Filters=_filters(state="available"))
    if "vpcs" in kinds or set(IN_VPC) & set(kinds):
        vpcs = ec2.describe_vpcs(client, Filters=_filters(**{"tag:Name": vpc_name}, **stage))
        found["vpcs"] = [_vpc(client, vpc) for vpc in vpcs]
    vpc_ids = [vpc["VpcId"] for vpc in found.get("vpcs", [])]
    in_vpc: dict[str, Callable[[], list[dict[str, Any]]]] = {
        "subnets": lambda: ec2.describe_subnets(client, Filters=_filters(**{"vpc-id": vpc_ids}, **stage)),
        "internet_gateways": lambda: ec2.describe_internet_gateways(
            client, Filters=_filters(**{"attachment.vpc-id": vpc_ids})
        ),
        "nat_gateways": lambda: ec2.describe_nat_gateways(
            client, Filters=_filters(**{"vpc-id": vpc_ids, "state": ["pending", "available"]})
        ),
        "route_tables": lambda: ec2.describe_route_tables(client, Filters=_filters(**{"vpc-id": vpc_ids}, **stage)),
        "security_groups": lambda: ec2.describe_security_groups(
            client, Filters=_filters(**{"vpc-id": vpc_ids}, **stage)
        ),
    }
    for kind, describe in in_vpc.items():
        if kind in kinds:
            found[kind] = describe() if vpc_ids else []
    if "addresses" in kinds:
        found["addresses"] = ec2.describe_addresses(client, Filters=_filters(**stage))
    return {kind: [snake(kind, resource) for resource in resources] for kind, resources in found.items()}
