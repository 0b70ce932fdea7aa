# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Which resources already are exactly what amazon.aws's modules would converge them to.

amazon.aws's modules each describe their resource again, attribute by attribute (ec2_vpc_net 11 reads,
ec2_vpc_subnet 5 per subnet, ec2_vpc_route_table 10 per table, s3_bucket 13). The roles describe each kind once
(the network by the stage's tags, the payload bucket with the few facts it sets) and run a module only for what
these functions do not find unchanged; each takes what the info module returned and what the role asks, and
returns the ids of the resources that need no change. The match is strict: anything the module would touch (a tag,
a DNS attribute, an IPv6 block, a route, an association, a rule, a state other than available) makes the resource
"changed", so that its module runs and shows and makes the change, --diff and check mode included; a resource
missing from a describe (eventual consistency) goes to its module too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.livestack.aws.plugins.module_utils.rds.serverless_v2 import desired_scaling, normalise_scaling


def _tags(resource: Mapping[str, Any]) -> dict[str, str]:
    return dict(resource.get("tags") or {})


def _ipv6_blocks(resource: Mapping[str, Any]) -> list[Any]:
    return [
        block
        for block in resource.get("ipv6_cidr_block_association_set") or []
        if (block.get("ipv6_cidr_block_state") or {}).get("state") not in ("disassociated", "disassociating")
    ]


def unchanged_vpc(vpcs: Sequence[Mapping[str, Any]], cidr: str, tags: Mapping[str, str]) -> str:
    """The id of the one VPC that ec2_vpc_net (DNS support and hostnames on, default tenancy) would leave as it is."""
    found = [vpc for vpc in vpcs or [] if _tags(vpc).get("Name") == tags.get("Name") and vpc.get("cidr_block") == cidr]
    if len(found) != 1:
        return ""
    vpc = found[0]
    same = (
        vpc.get("state") == "available"
        and _tags(vpc) == dict(tags)
        and vpc.get("enable_dns_support") is True
        and vpc.get("enable_dns_hostnames") is True
        and vpc.get("instance_tenancy") == "default"
        and not _ipv6_blocks(vpc)
    )
    return str(vpc.get("id") or vpc.get("vpc_id")) if same else ""


def unchanged_subnets(subnets: Sequence[Mapping[str, Any]], asked: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """``{part: subnet id}`` of the asked subnets (``part``, ``cidr``, ``az``, ``tags``) that ec2_vpc_subnet (no public
    IPs, no IPv6) would leave as they are."""
    unchanged = {}
    for want in asked:
        found = [subnet for subnet in subnets or [] if subnet.get("cidr_block") == want["cidr"]]
        if len(found) != 1:
            continue
        subnet = found[0]
        if (
            subnet.get("state") == "available"
            and subnet.get("availability_zone") == want["az"]
            and _tags(subnet) == dict(want["tags"])
            and subnet.get("map_public_ip_on_launch") is False
            and not subnet.get("assign_ipv6_address_on_creation")
            and not _ipv6_blocks(subnet)
        ):
            unchanged[want["part"]] = str(subnet.get("id") or subnet.get("subnet_id"))
    return unchanged


def unchanged_internet_gateway(gateways: Sequence[Mapping[str, Any]], vpc_id: str, tags: Mapping[str, str]) -> str:
    """The id of the one internet gateway attached to ``vpc_id`` that ec2_vpc_igw (purge_tags) would leave as it is."""
    found = [
        gateway
        for gateway in gateways or []
        if any(attachment.get("vpc_id") == vpc_id for attachment in gateway.get("attachments") or [])
    ]
    if not vpc_id or len(found) != 1:
        return ""
    gateway = found[0]
    attached = [attachment.get("state") for attachment in gateway.get("attachments") or []] == ["available"]
    return str(gateway.get("internet_gateway_id")) if attached and _tags(gateway) == dict(tags) else ""


def unchanged_nat_gateways(gateways: Sequence[Mapping[str, Any]], asked: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """``{name: NAT gateway id}`` of the asked gateways (``name``, ``subnet_id``, ``allocation_id``, ``tags``) that
    ec2_vpc_nat_gateway (if_exist_do_not_create, purge_tags) would leave as they are: the one gateway of the subnet,
    available (a pending one goes to the module and the wait), public, with the asked Elastic IP and tags."""
    unchanged = {}
    for want in asked:
        found = [gateway for gateway in gateways or [] if gateway.get("subnet_id") == want["subnet_id"]]
        if not want["subnet_id"] or len(found) != 1:
            continue
        gateway = found[0]
        allocations = [address.get("allocation_id") for address in gateway.get("nat_gateway_addresses") or []]
        if (
            gateway.get("state") == "available"
            and gateway.get("connectivity_type", "public") == "public"
            and want["allocation_id"]
            and allocations == [want["allocation_id"]]
            and _tags(gateway) == dict(want["tags"])
        ):
            unchanged[want["name"]] = str(gateway.get("nat_gateway_id"))
    return unchanged


def _route_target(route: Mapping[str, Any]) -> tuple[str, str]:
    for key in ("gateway_id", "nat_gateway_id", "transit_gateway_id", "vpc_peering_connection_id",
                "network_interface_id", "instance_id", "egress_only_internet_gateway_id", "carrier_gateway_id",
                "local_gateway_id", "core_network_arn"):  # fmt: skip
        if route.get(key):
            return key, str(route[key])
    return "", ""


def unchanged_route_tables(tables: Sequence[Mapping[str, Any]], asked: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """``{name: route table id}`` of the asked tables (``name``, ``tags``, ``subnets``: subnet ids, ``routes``: each a
    ``dest`` and one target such as ``gateway_id`` or ``nat_gateway_id``) that ec2_vpc_route_table (lookup by tag,
    purge_routes, purge_subnets, purge_tags) would leave as they are: its routes exactly the asked ones besides the
    VPC's local routes, all active, and its subnet associations exactly the asked subnets."""
    unchanged = {}
    for want in asked:
        found = [table for table in tables or [] if _tags(table) == dict(want["tags"])]
        if len(found) != 1 or not all(want["subnets"]):
            continue
        table = found[0]
        routes = [route for route in table.get("routes") or [] if route.get("origin") != "CreateRouteTable"]
        asked_routes = sorted((route["dest"], *_route_target(route)) for route in want["routes"])
        current_routes = sorted((route.get("destination_cidr_block"), *_route_target(route)) for route in routes)
        associations = [assoc for assoc in table.get("associations") or [] if not assoc.get("main")]
        if (
            current_routes == asked_routes
            and all(route.get("state") == "active" for route in routes)
            and all(assoc.get("subnet_id") for assoc in associations)
            and all(
                (assoc.get("association_state") or {}).get("state", "associated") == "associated"
                for assoc in associations
            )
            and sorted(assoc["subnet_id"] for assoc in associations) == sorted(want["subnets"])
            and not table.get("propagating_vgws")
        ):
            unchanged[want["name"]] = str(table.get("id") or table.get("route_table_id"))
    return unchanged


def _ingress(permissions: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """One (protocol, from port, to port, source, description) per source of each permission."""
    rules = []
    for permission in permissions or []:
        key = (str(permission.get("ip_protocol")), permission.get("from_port"), permission.get("to_port"))
        for pair in permission.get("user_id_group_pairs") or []:
            rules.append((*key, pair.get("group_id"), pair.get("description") or ""))
        for kind in ("ip_ranges", "ipv6_ranges", "prefix_list_ids"):
            rules.extend((*key, kind, str(source)) for source in permission.get(kind) or [])
    return sorted(rules, key=str)


def unchanged_security_groups(
    groups: Sequence[Mapping[str, Any]], asked: Sequence[Mapping[str, Any]]
) -> dict[str, str]:
    """``{name: group id}`` of the asked groups (``name``, ``tags``, ``rules``: each ``proto``, ``port``, a source
    ``group_id`` or ``group_name`` and ``rule_desc``) that ec2_security_group (purge_rules, purge_tags, egress not
    managed) would leave as they are: their ingress exactly the asked rules, descriptions included."""
    ids = {group.get("group_name"): group.get("group_id") for group in groups or []}
    unchanged = {}
    for want in asked:
        found = [group for group in groups or [] if group.get("group_name") == want["name"]]
        if len(found) != 1:
            continue
        rules = [
            (
                rule["proto"],
                int(rule["port"]),
                int(rule["port"]),
                rule.get("group_id") or ids.get(rule.get("group_name")),
            )
            + (rule.get("rule_desc") or "",)
            for rule in want["rules"]
        ]
        if all(rule[3] for rule in rules) and _tags(found[0]) == dict(want["tags"]):
            if _ingress(found[0].get("ip_permissions") or []) == sorted(rules, key=str):
                unchanged[want["name"]] = str(found[0].get("group_id"))
    return unchanged


def unchanged_bucket(buckets: Sequence[Mapping[str, Any]], asked: Mapping[str, Any]) -> dict[str, str]:
    """``{"bucket": name}`` when s3_bucket would leave the bucket (``name``, ``encryption``, ``public_access`` in its
    snake_case options, ``tags``) as it is, and ``{"lifecycle": rule id}`` when s3_lifecycle would leave the rule
    ``lifecycle_rule`` (as s3_lifecycle builds it: ``ID``, ``Filter``, ``Status``, ``Expiration``) as it is; from
    s3_bucket_info's facts ``bucket_encryption``, ``public_access_block``, ``bucket_tagging`` and
    ``bucket_lifecycle_configuration``."""
    found = [bucket for bucket in buckets or [] if bucket.get("name") == asked["name"]]
    if len(found) != 1:
        return {}
    bucket, unchanged = found[0], {}
    # amazon.aws 10 returns S3's answers whole ({"ServerSideEncryptionConfiguration": {...}}), 11 the inner dicts.
    encryption = bucket.get("bucket_encryption") or {}
    encryption = encryption.get("ServerSideEncryptionConfiguration", encryption)
    block = bucket.get("public_access_block") or {}
    block = block.get("PublicAccessBlockConfiguration", block)
    rules = encryption.get("Rules") or [{}]
    encryption = (rules[0].get("ApplyServerSideEncryptionByDefault") or {}).get("SSEAlgorithm")
    public_access = {
        "".join(word.title() for word in key.split("_")): value for key, value in asked["public_access"].items()
    }
    if (
        encryption == asked["encryption"]
        and block == public_access
        and bucket.get("bucket_tagging") == dict(asked["tags"])
    ):
        unchanged["bucket"] = asked["name"]
    rule = asked["lifecycle_rule"]
    current = [
        r for r in (bucket.get("bucket_lifecycle_configuration") or {}).get("Rules") or [] if r.get("ID") == rule["ID"]
    ]
    if len(current) == 1 and current[0] == dict(rule):
        unchanged["lifecycle"] = rule["ID"]
    return unchanged


def _same_document(current: Any, asked: Any) -> bool:
    # amazon.aws's own comparison (order of statements and of lists, a single value or a list of one), imported here
    # only: the filter runs on the controller, where amazon.aws is installed.
    from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies

    return current is not None and not compare_policies(current, asked)


def unchanged_iam_roles(roles: Sequence[Mapping[str, Any]], asked: Sequence[Mapping[str, Any]]) -> list[str]:
    """The names of the asked roles (``name``, ``trust``, ``tags``; ``description`` and ``managed_policies``, the
    ARNs, when the role sets them) that iam_role (purge_tags, purge_policies, no instance profile) would leave as they
    are, from livestack.aws.iam_roles_info's ``roles``."""
    found = {role.get("role_name"): role for role in roles or []}
    unchanged = []
    for want in asked:
        role = found.get(want["name"])
        if (
            role
            and _same_document(role.get("assume_role_policy_document"), want["trust"])
            and dict(role.get("tags") or {}) == dict(want["tags"])
            and (want.get("description") is None or role.get("description") == want["description"])
            and (
                want.get("managed_policies") is None
                or sorted(role.get("attached_policy_arns") or []) == sorted(want["managed_policies"])
            )
        ):
            unchanged.append(want["name"])
    return unchanged


def unchanged_iam_role_policies(roles: Sequence[Mapping[str, Any]], asked: Sequence[Mapping[str, Any]]) -> list[str]:
    """The names of the asked inline policies (``role``, ``name``, ``document``: empty for one the role must not have;
    the names unique among them) that iam_policy would leave as they are, from livestack.aws.iam_roles_info's
    ``roles``: the same document, or none where none is asked. A role not found leaves nothing unchanged."""
    found = {role.get("role_name"): role.get("inline_policies") or {} for role in roles or []}
    unchanged = []
    for want in asked:
        if want["role"] not in found:
            continue
        current = found[want["role"]].get(want["name"])
        if _same_document(current, want["document"]) if want["document"] else current is None:
            unchanged.append(want["name"])
    return unchanged


def unchanged_iam_managed_policies(
    policies: Sequence[Mapping[str, Any]], asked: Sequence[Mapping[str, Any]]
) -> list[str]:
    """The names of the asked managed policies (``name``, ``document``, ``tags``) that iam_managed_policy (make_default,
    purge_tags) would leave as they are, from livestack.aws.iam_roles_info's ``managed_policies``: the default
    version's document and the tags as asked."""
    found = {policy.get("policy_name"): policy for policy in policies or []}
    return [
        want["name"]
        for want in asked
        if want["name"] in found
        and _same_document(found[want["name"]].get("document"), want["document"])
        and dict(found[want["name"]].get("tags") or {}) == dict(want["tags"])
    ]


def _one_cluster(clusters: Sequence[Mapping[str, Any]], identifier: str) -> Mapping[str, Any] | None:
    found = [cluster for cluster in clusters or [] if cluster.get("db_cluster_identifier") == identifier]
    return found[0] if len(found) == 1 else None


def unchanged_aurora_cluster(clusters: Sequence[Mapping[str, Any]], asked: Mapping[str, Any]) -> str:
    """The identifier of the cluster (rds_cluster_info's, tags included) when rds_cluster, as the aurora role calls
    it for an existing cluster (``identifier``, ``engine_version``, ``port``, ``backup_retention_period``,
    ``deletion_protection``, copy_tags_to_snapshot on, ``subnet_group``, ``parameter_group``, ``security_group_id``
    not purging others, ``log_exports`` purging others, ``tags`` purging others, no password rotation:
    ``rotate_password`` false), would leave it as it is and it is available; else ''."""
    cluster = _one_cluster(clusters, asked["identifier"])
    if cluster is None or asked.get("rotate_password"):
        return ""
    groups = [group.get("vpc_security_group_id") for group in cluster.get("vpc_security_groups") or []]
    same = (
        cluster.get("status") == "available"
        and cluster.get("engine_version") == asked["engine_version"]
        and cluster.get("port") == int(asked["port"])
        and cluster.get("backup_retention_period") == int(asked["backup_retention_period"])
        and cluster.get("deletion_protection") is bool(asked["deletion_protection"])
        and cluster.get("copy_tags_to_snapshot") is True
        and cluster.get("db_subnet_group") == asked["subnet_group"]
        and cluster.get("db_cluster_parameter_group") == asked["parameter_group"]
        and asked["security_group_id"] in groups
        and sorted(cluster.get("enabled_cloudwatch_logs_exports") or []) == sorted(asked["log_exports"])
        and _tags(cluster) == dict(asked["tags"])
    )
    return str(cluster["db_cluster_identifier"]) if same else ""


def unchanged_aurora_scaling(clusters: Sequence[Mapping[str, Any]], asked: Mapping[str, Any]) -> str:
    """The identifier of the cluster (``identifier``) when rds_cluster_serverless_v2 would leave its Serverless v2
    scaling configuration (``min_capacity``, ``max_capacity``, ``seconds_until_auto_pause`` or None) and its HTTP
    endpoint (``http_endpoint``) as they are; else ''. The module's own comparison (module_utils/rds/serverless_v2)."""
    cluster = _one_cluster(clusters, asked["identifier"])
    if cluster is None:
        return ""
    scaling = cluster.get("serverless_v2_scaling_configuration") or {}
    before = normalise_scaling(
        {
            "MinCapacity": scaling.get("min_capacity"),
            "MaxCapacity": scaling.get("max_capacity"),
            "SecondsUntilAutoPause": scaling.get("seconds_until_auto_pause"),
        }
    )
    after = desired_scaling(
        before, float(asked["min_capacity"]), float(asked["max_capacity"]), asked.get("seconds_until_auto_pause")
    )
    same = before == after and bool(cluster.get("http_endpoint_enabled")) is bool(asked["http_endpoint"])
    return str(cluster["db_cluster_identifier"]) if same else ""
