"""A census of one stage: every resource the stack makes, in every service, found by its tag or name.

EC2 resources and ACM certificates are found by the ``livestack:stage`` tag; the rest by their
names, which all start with ``livestack-<stage>`` (the secret with ``livestack-<stage>/``).
Only live resources count: a NAT gateway being deleted, a secret scheduled for deletion and the
final cluster snapshot are what a teardown is meant to leave, and ``kept`` lists them apart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

PROJECT = "livestack"
GONE = ("deleting", "deleted", "deleted-complete")


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> list[dict]:
    if client.can_paginate(operation):
        return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page[key]]
    return getattr(client, operation)(**kwargs)[key]


def _tagged(resources: Iterable[dict], stage: str, tag_key: str = "Tags") -> list[dict]:
    return [r for r in resources if {"Key": "livestack:stage", "Value": stage} in r.get(tag_key, [])]


def _ours(stage: str) -> re.Pattern[str]:
    """Names of the stage's resources, at the start of the name or of a path component (log groups)."""
    return re.compile(rf"(^|/){PROJECT}-{re.escape(stage)}([-/.]|$)")


def stage_resources(client: Callable[[str], Any], stage: str) -> dict[str, list[str]]:
    """Ids of the stage's live resources by kind; ``client(service)`` gives a boto3 client."""
    ours = _ours(stage)

    def named(items: Iterable[dict], field: str) -> list[str]:
        return sorted(item[field] for item in items if ours.search(item[field]))

    ec2, rds = client("ec2"), client("rds")
    stage_tag = [{"Name": "tag:livestack:stage", "Values": [stage]}]
    census: dict[str, list[str]] = {
        "vpc": [v["VpcId"] for v in _pages(ec2, "describe_vpcs", "Vpcs", Filters=stage_tag)],
        "subnet": [s["SubnetId"] for s in _pages(ec2, "describe_subnets", "Subnets", Filters=stage_tag)],
        "internet_gateway": [
            g["InternetGatewayId"]
            for g in _pages(ec2, "describe_internet_gateways", "InternetGateways", Filters=stage_tag)
        ],
        "elastic_ip": [a["AllocationId"] for a in ec2.describe_addresses(Filters=stage_tag)["Addresses"]],
        "nat_gateway": [
            n["NatGatewayId"]
            for n in _pages(ec2, "describe_nat_gateways", "NatGateways", Filter=stage_tag)
            if n["State"] not in GONE
        ],
        "route_table": [
            r["RouteTableId"] for r in _pages(ec2, "describe_route_tables", "RouteTables", Filters=stage_tag)
        ],
        "security_group": [
            g["GroupId"] for g in _pages(ec2, "describe_security_groups", "SecurityGroups", Filters=stage_tag)
        ],
        "client_vpn_endpoint": [
            e["ClientVpnEndpointId"]
            for e in _tagged(_pages(ec2, "describe_client_vpn_endpoints", "ClientVpnEndpoints"), stage)
            if e["Status"]["Code"] not in GONE
        ],
        "db_cluster": named(_pages(rds, "describe_db_clusters", "DBClusters"), "DBClusterIdentifier"),
        "db_instance": named(_pages(rds, "describe_db_instances", "DBInstances"), "DBInstanceIdentifier"),
        "db_subnet_group": named(_pages(rds, "describe_db_subnet_groups", "DBSubnetGroups"), "DBSubnetGroupName"),
        "db_cluster_parameter_group": named(
            _pages(rds, "describe_db_cluster_parameter_groups", "DBClusterParameterGroups"),
            "DBClusterParameterGroupName",
        ),
        "db_proxy": named(_pages(rds, "describe_db_proxies", "DBProxies"), "DBProxyName"),
        "secret": named(_pages(client("secretsmanager"), "list_secrets", "SecretList"), "Name"),
        "iam_role": named(_pages(client("iam"), "list_roles", "Roles"), "RoleName"),
        "iam_policy": named(_pages(client("iam"), "list_policies", "Policies", Scope="Local"), "PolicyName"),
        "log_group": named(_pages(client("logs"), "describe_log_groups", "logGroups"), "logGroupName"),
        "lambda_function": named(_pages(client("lambda"), "list_functions", "Functions"), "FunctionName"),
        "apigatewayv2_api": named(client("apigatewayv2").get_apis()["Items"], "Name"),
        "dynamodb_table": sorted(
            name for name in _pages(client("dynamodb"), "list_tables", "TableNames") if ours.search(name)
        ),
        "s3_bucket": named(client("s3").list_buckets()["Buckets"], "Name"),
        "acm_certificate": _stage_certificates(client("acm"), stage),
    }
    census["client_vpn_association"] = [
        a["AssociationId"]
        for endpoint in census["client_vpn_endpoint"]
        for a in _pages(
            ec2, "describe_client_vpn_target_networks", "ClientVpnTargetNetworks", ClientVpnEndpointId=endpoint
        )
        if a["Status"]["Code"] not in ("disassociating", "disassociated")
    ]
    return census


def _stage_certificates(acm: Any, stage: str) -> list[str]:
    arns = [c["CertificateArn"] for c in _pages(acm, "list_certificates", "CertificateSummaryList")]
    return [arn for arn in arns if _tagged([acm.list_tags_for_certificate(CertificateArn=arn)], stage)]


def counts(census: dict[str, list[str]]) -> dict[str, int]:
    """How many of each kind, kinds with none left out."""
    return {kind: len(ids) for kind, ids in census.items() if ids}


def kept(client: Callable[[str], Any], stage: str) -> dict[str, list[str]]:
    """What a teardown keeps on purpose: the final cluster snapshot and the secret awaiting deletion."""
    ours = _ours(stage)
    snapshots = _pages(client("rds"), "describe_db_cluster_snapshots", "DBClusterSnapshots")
    secrets = _pages(client("secretsmanager"), "list_secrets", "SecretList", IncludePlannedDeletion=True)
    return {
        "db_cluster_snapshot": sorted(
            s["DBClusterSnapshotIdentifier"]
            for s in snapshots
            if s["SnapshotType"] == "manual" and ours.search(s["DBClusterIdentifier"])
        ),
        "secret_pending_deletion": sorted(
            s["Name"] for s in secrets if ours.search(s["Name"]) and s.get("DeletedDate")
        ),
    }


def describe(client: Callable[[str], Any], stage: str) -> dict[str, list]:
    """The stage's resources as described by AWS, without ids and with the stage's name blanked out.

    Two stages converged from the same variables describe equal: a faulted converge is compared
    with a clean one this way.
    """
    ec2, rds = client("ec2"), client("rds")
    census = stage_resources(client, stage)
    groups = {
        g["GroupId"]: g for g in ec2.describe_security_groups(GroupIds=census["security_group"])["SecurityGroups"]
    }

    def name(resource: dict) -> str:
        return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}.get("Name", "")

    def rules(group: dict) -> list:
        return sorted(
            (p["IpProtocol"], p.get("FromPort"), name(groups.get(pair["GroupId"], {})) or "?")
            for p in group["IpPermissions"]
            for pair in p["UserIdGroupPairs"]
        ) + sorted(
            (p["IpProtocol"], p.get("FromPort"), r["CidrIp"]) for p in group["IpPermissions"] for r in p["IpRanges"]
        )

    endpoints = ec2.describe_client_vpn_endpoints(ClientVpnEndpointIds=census["client_vpn_endpoint"])[
        "ClientVpnEndpoints"
    ]
    proxies = [rds.describe_db_proxies(DBProxyName=p)["DBProxies"][0] for p in census["db_proxy"]]
    apis = [a for a in client("apigatewayv2").get_apis()["Items"] if a["Name"] in census["apigatewayv2_api"]]
    lambda_ = client("lambda")
    described = {
        "counts": counts(census),
        "subnet": sorted(
            (name(s), s["CidrBlock"], s["AvailabilityZone"])
            for s in ec2.describe_subnets(SubnetIds=census["subnet"])["Subnets"]
        ),
        "route_table": sorted(
            (name(r), len(r["Associations"]), sorted(x.get("DestinationCidrBlock", "") for x in r["Routes"]))
            for r in ec2.describe_route_tables(RouteTableIds=census["route_table"])["RouteTables"]
        ),
        "security_group": sorted((name(g), rules(g)) for g in groups.values()),
        "db_cluster": [
            (
                c["DBClusterIdentifier"],
                c["Engine"],
                c["EngineVersion"],
                c.get("ServerlessV2ScalingConfiguration"),
                c["IAMDatabaseAuthenticationEnabled"],
                sorted(c.get("EnabledCloudwatchLogsExports", [])),
                c["StorageEncrypted"],
            )
            for c in rds.describe_db_clusters()["DBClusters"]
            if c["DBClusterIdentifier"] in census["db_cluster"]
        ],
        "db_instance": [
            (i["DBInstanceIdentifier"], i["DBInstanceClass"], i["PubliclyAccessible"])
            for i in rds.describe_db_instances()["DBInstances"]
            if i["DBInstanceIdentifier"] in census["db_instance"]
        ],
        "db_proxy": [
            (
                p["DBProxyName"],
                p["RequireTLS"],
                p["IdleClientTimeout"],
                p.get("DebugLogging"),
                [(a["AuthScheme"], a["IAMAuth"]) for a in p["Auth"]],
                [
                    (t["TargetGroupName"], t["ConnectionPoolConfig"]["MaxConnectionsPercent"])
                    for t in rds.describe_db_proxy_target_groups(DBProxyName=p["DBProxyName"])["TargetGroups"]
                ],
                len(rds.describe_db_proxy_targets(DBProxyName=p["DBProxyName"])["Targets"]),
            )
            for p in proxies
        ],
        "client_vpn_endpoint": [
            (
                e["SplitTunnel"],
                e["VpnPort"],
                e["TransportProtocol"],
                e["ClientCidrBlock"],
                sorted(a["Type"] for a in e["AuthenticationOptions"]),
                e["ConnectionLogOptions"]["Enabled"],
                sorted(
                    r["DestinationCidr"]
                    for r in ec2.describe_client_vpn_authorization_rules(ClientVpnEndpointId=e["ClientVpnEndpointId"])[
                        "AuthorizationRules"
                    ]
                ),
            )
            for e in endpoints
        ],
        "lambda_function": [
            (f["FunctionName"], f["Runtime"], f["Handler"], len(f.get("VpcConfig", {}).get("SubnetIds", [])))
            for f in (lambda_.get_function(FunctionName=n)["Configuration"] for n in census["lambda_function"])
        ],
        "apigatewayv2_api": sorted(
            (
                a["Name"],
                a["ProtocolType"],
                sorted(r["RouteKey"] for r in client("apigatewayv2").get_routes(ApiId=a["ApiId"])["Items"]),
            )
            for a in apis
        ),
        "named": {kind: census[kind] for kind in NAMED},
    }
    return json.loads(re.sub(rf"\b{re.escape(stage)}\b", "STAGE", json.dumps(described, default=str)))


NAMED = ("secret", "iam_role", "iam_policy", "log_group", "dynamodb_table", "s3_bucket", "db_subnet_group")
