"""Every resource a stage owns, found service by service (the tagging API misses what moto does not index).

``stage_resources(emulator_or_clients, stage)`` answers ``{kind: [id, ...]}`` for every kind of resource the
stack creates, empty lists included, so that a teardown check can assert that all are empty and the bench can
count the managed resources honestly. A resource belongs to the stage when it carries the tag
``livestack:stage`` (and ``livestack:project``) or, where a service has no cheap tag filter, when its name
starts with ``<project>-<stage>-`` (the roles name everything so).

``emulator_or_clients`` is anything with a ``client(service_name)`` method: the tests' ``Emulator``, a
``boto3.Session``, or a mapping of service name to boto3 client.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from botocore.exceptions import ClientError

# The kinds, in the order of the stack (network, aurora, rds_proxy, client_vpn, dev_relay).
KINDS = (
    "vpc", "subnet", "internet_gateway", "elastic_ip", "nat_gateway", "route_table", "security_group",
    "db_subnet_group", "db_cluster_parameter_group", "db_cluster", "db_instance", "secret",
    "iam_role", "iam_role_policy", "iam_managed_policy", "iam_instance_profile", "db_proxy", "db_proxy_target",
    "acm_certificate", "log_group", "client_vpn_endpoint", "client_vpn_association", "client_vpn_authorization_rule",
    "s3_bucket", "dynamodb_table", "lambda_function", "lambda_permission",
    "apigatewayv2_api", "apigatewayv2_route", "apigatewayv2_integration", "apigatewayv2_stage",
)  # fmt: skip


def stage_resources(emulator_or_clients: Any, stage: str, project: str = "livestack") -> dict[str, list[str]]:
    """Ids of every resource of ``project``/``stage``, by kind (see KINDS)."""
    client = _client_factory(emulator_or_clients)
    census = _Census(client, project, stage)
    found: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for collect in (census.network, census.database, census.identity, census.vpn, census.relay):
        for kind, ids in collect().items():
            found[kind].extend(ids)
    return found


def count(resources: Mapping[str, list[str]]) -> int:
    return sum(len(ids) for ids in resources.values())


def _client_factory(source: Any) -> Callable[[str], Any]:
    if isinstance(source, Mapping):
        return source.__getitem__
    return source.client


def _tags(tag_list: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in tag_list or []}


class _Census:
    def __init__(self, client: Callable[[str], Any], project: str, stage: str) -> None:
        self.client = client
        self.project, self.stage = project, stage
        self.prefix = f"{project}-{stage}-"
        self.ec2_filters = [
            {"Name": "tag:livestack:stage", "Values": [stage]},
            {"Name": "tag:livestack:project", "Values": [project]},
        ]

    def ours(self, tags: Mapping[str, str]) -> bool:
        return tags.get("livestack:stage") == self.stage and tags.get("livestack:project") == self.project

    def named(self, name: str) -> bool:
        return name.lower().startswith(self.prefix.lower())

    def pages(self, service: str, operation: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
        client = self.client(service)
        if client.can_paginate(operation):
            return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page.get(key, [])]
        return getattr(client, operation)(**kwargs).get(key, [])

    # --- network --------------------------------------------------------------------------------
    def network(self) -> dict[str, list[str]]:
        f = self.ec2_filters
        return {
            "vpc": [v["VpcId"] for v in self.pages("ec2", "describe_vpcs", "Vpcs", Filters=f)],
            "subnet": [s["SubnetId"] for s in self.pages("ec2", "describe_subnets", "Subnets", Filters=f)],
            "internet_gateway": [
                g["InternetGatewayId"]
                for g in self.pages("ec2", "describe_internet_gateways", "InternetGateways", Filters=f)
            ],
            "elastic_ip": [a["AllocationId"] for a in self.client("ec2").describe_addresses(Filters=f)["Addresses"]],
            "nat_gateway": [
                n["NatGatewayId"]
                for n in self.pages("ec2", "describe_nat_gateways", "NatGateways", Filter=f)
                if n["State"] not in ("deleted", "deleting", "failed")
            ],
            "route_table": [
                r["RouteTableId"] for r in self.pages("ec2", "describe_route_tables", "RouteTables", Filters=f)
            ],
            "security_group": [
                g["GroupId"] for g in self.pages("ec2", "describe_security_groups", "SecurityGroups", Filters=f)
            ],
        }

    # --- aurora and the proxy ---------------------------------------------------------------------
    def database(self) -> dict[str, list[str]]:
        rds = self.client("rds")
        clusters = [
            c for c in self.pages("rds", "describe_db_clusters", "DBClusters") if self.ours(_tags(c.get("TagList")))
        ]
        instances = [
            i for i in self.pages("rds", "describe_db_instances", "DBInstances") if self.ours(_tags(i.get("TagList")))
        ]
        proxies = [
            p
            for p in self.pages("rds", "describe_db_proxies", "DBProxies")
            if self.ours(_tags(rds.list_tags_for_resource(ResourceName=p["DBProxyArn"])["TagList"]))
        ]
        targets = [
            f"{p['DBProxyName']}/{t.get('RdsResourceId') or t.get('TrackedClusterId')}"
            for p in proxies
            for t in self.pages("rds", "describe_db_proxy_targets", "Targets", DBProxyName=p["DBProxyName"])
        ]
        return {
            "db_subnet_group": [
                g["DBSubnetGroupName"]
                for g in self.pages("rds", "describe_db_subnet_groups", "DBSubnetGroups")
                if self.named(g["DBSubnetGroupName"])
            ],
            "db_cluster_parameter_group": [
                g["DBClusterParameterGroupName"]
                for g in self.pages("rds", "describe_db_cluster_parameter_groups", "DBClusterParameterGroups")
                if self.named(g["DBClusterParameterGroupName"])
            ],
            "db_cluster": [c["DBClusterIdentifier"] for c in clusters],
            "db_instance": [i["DBInstanceIdentifier"] for i in instances],
            "db_proxy": [p["DBProxyName"] for p in proxies],
            "db_proxy_target": targets,
        }

    # --- secrets, IAM, certificates, logs -----------------------------------------------------------
    def identity(self) -> dict[str, list[str]]:
        iam = self.client("iam")
        secrets = self.pages(
            "secretsmanager",
            "list_secrets",
            "SecretList",
            Filters=[{"Key": "tag-key", "Values": ["livestack:stage"]}, {"Key": "tag-value", "Values": [self.stage]}],
        )
        roles = [r["RoleName"] for r in self.pages("iam", "list_roles", "Roles") if self.named(r["RoleName"])]
        role_policies = [
            f"{role}/{name}" for role in roles for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
        ]
        # None is wanted: a role only AWS services assume needs no EC2 instance profile (amazon.aws.iam_role makes
        # one by default), and one left behind outlives the teardown.
        profiles = [
            p["InstanceProfileName"]
            for p in self.pages("iam", "list_instance_profiles", "InstanceProfiles")
            if self.named(p["InstanceProfileName"])
        ]
        local_policies = self.pages("iam", "list_policies", "Policies", Scope="Local")
        policies = [p["Arn"] for p in local_policies if self.named(p["PolicyName"])]
        acm = self.client("acm")
        certificates = [
            c["CertificateArn"]
            for c in self.pages("acm", "list_certificates", "CertificateSummaryList")
            if self.ours(_tags(acm.list_tags_for_certificate(CertificateArn=c["CertificateArn"]).get("Tags")))
        ]
        log_groups = [
            g["logGroupName"]
            for g in self.pages("logs", "describe_log_groups", "logGroups")
            if self.prefix.rstrip("-") in g["logGroupName"].split("/")
            or g["logGroupName"].startswith(f"/aws/lambda/{self.prefix}")
        ]
        return {
            "secret": [s["ARN"] for s in secrets if self.ours(_tags(s.get("Tags")))],
            "iam_role": roles,
            "iam_role_policy": role_policies,
            "iam_managed_policy": policies,
            "iam_instance_profile": profiles,
            "acm_certificate": certificates,
            "log_group": log_groups,
        }

    # --- Client VPN -------------------------------------------------------------------------------
    def vpn(self) -> dict[str, list[str]]:
        ec2 = self.client("ec2")
        endpoints = [
            e["ClientVpnEndpointId"]
            for e in self.pages("ec2", "describe_client_vpn_endpoints", "ClientVpnEndpoints")
            if e["Status"]["Code"] != "deleted" and self.ours(_tags(e.get("Tags")))
        ]
        associations, rules = [], []
        for endpoint in endpoints:
            networks = ec2.describe_client_vpn_target_networks(ClientVpnEndpointId=endpoint)["ClientVpnTargetNetworks"]
            associations += [
                n["AssociationId"] for n in networks if n["Status"]["Code"] not in ("disassociated", "disassociating")
            ]
            found = ec2.describe_client_vpn_authorization_rules(ClientVpnEndpointId=endpoint)["AuthorizationRules"]
            rules += [f"{endpoint}/{r['DestinationCidr']}" for r in found if r["Status"]["Code"] != "revoked"]
        return {
            "client_vpn_endpoint": endpoints,
            "client_vpn_association": associations,
            "client_vpn_authorization_rule": rules,
        }

    # --- the relay --------------------------------------------------------------------------------
    def relay(self) -> dict[str, list[str]]:
        lam, apis = self.client("lambda"), self.client("apigatewayv2")
        all_functions = self.pages("lambda", "list_functions", "Functions")
        functions = [f["FunctionName"] for f in all_functions if self.named(f["FunctionName"])]
        permissions = []
        for function in functions:
            try:
                policy = lam.get_policy(FunctionName=function)["Policy"]
            except ClientError as error:
                if error.response["Error"]["Code"] != "ResourceNotFoundException":
                    raise
                continue
            permissions += [f"{function}/{s['Sid']}" for s in json.loads(policy).get("Statement", [])]
        found_apis = [a for a in apis.get_apis().get("Items", []) if self.ours(a.get("Tags") or {})]
        routes, integrations, stages = [], [], []
        for api in found_apis:
            api_id = api["ApiId"]
            routes += [f"{api_id}/{r['RouteKey']}" for r in apis.get_routes(ApiId=api_id).get("Items", [])]
            integrations += [
                f"{api_id}/{i['IntegrationId']}" for i in apis.get_integrations(ApiId=api_id).get("Items", [])
            ]
            stages += [f"{api_id}/{s['StageName']}" for s in apis.get_stages(ApiId=api_id).get("Items", [])]
        buckets = self.client("s3").list_buckets().get("Buckets", [])
        return {
            "s3_bucket": [b["Name"] for b in buckets if self.named(b["Name"])],
            "dynamodb_table": [t for t in self.pages("dynamodb", "list_tables", "TableNames") if self.named(t)],
            "lambda_function": functions,
            "lambda_permission": permissions,
            "apigatewayv2_api": [a["ApiId"] for a in found_apis],
            "apigatewayv2_route": routes,
            "apigatewayv2_integration": integrations,
            "apigatewayv2_stage": stages,
        }


def by_kind(resources: Mapping[str, list[str]]) -> dict[str, int]:
    """How many of each kind, the kinds with none left out."""
    return {kind: len(ids) for kind, ids in resources.items() if ids}


def kept(emulator_or_clients: Any, stage: str, project: str = "livestack") -> dict[str, list[str]]:
    """What a teardown keeps on purpose: the final cluster snapshot, and the secret in its recovery window."""
    client = _client_factory(emulator_or_clients)
    census = _Census(client, project, stage)
    snapshots = census.pages("rds", "describe_db_cluster_snapshots", "DBClusterSnapshots", SnapshotType="manual")
    secrets = census.pages("secretsmanager", "list_secrets", "SecretList", IncludePlannedDeletion=True)
    return {
        "db_cluster_snapshot": sorted(
            s["DBClusterSnapshotIdentifier"] for s in snapshots if census.named(s["DBClusterIdentifier"])
        ),
        "secret_pending_deletion": sorted(
            s["Name"] for s in secrets if s.get("DeletedDate") and census.ours(_tags(s.get("Tags")))
        ),
    }


def describe(emulator_or_clients: Any, stage: str) -> dict[str, Any]:
    """The stage's resources as AWS describes them, without ids and with the stage's name blanked out.

    Two stages converged from the same variables describe equal: the faulted converge is compared
    with a clean one this way.
    """
    client = _client_factory(emulator_or_clients)
    ec2, rds, apis = client("ec2"), client("rds"), client("apigatewayv2")
    found = stage_resources(emulator_or_clients, stage)
    groups = {g["GroupId"]: g for g in ec2.describe_security_groups(GroupIds=found["security_group"])["SecurityGroups"]}

    def name(resource: dict) -> str:
        return _tags(resource.get("Tags")).get("Name", "")

    def rules(group: dict) -> list:
        ingress = group["IpPermissions"]
        return sorted(
            (p["IpProtocol"], p.get("FromPort"), name(groups.get(pair["GroupId"], {})) or "?")
            for p in ingress
            for pair in p["UserIdGroupPairs"]
        ) + sorted((p["IpProtocol"], p.get("FromPort"), r["CidrIp"]) for p in ingress for r in p["IpRanges"])

    endpoints = ec2.describe_client_vpn_endpoints(ClientVpnEndpointIds=found["client_vpn_endpoint"])
    described = {
        "counts": by_kind(found),
        "subnet": sorted(
            (name(s), s["CidrBlock"], s["AvailabilityZone"])
            for s in ec2.describe_subnets(SubnetIds=found["subnet"])["Subnets"]
        ),
        "route_table": sorted(
            (name(r), len(r["Associations"]), sorted(x.get("DestinationCidrBlock", "") for x in r["Routes"]))
            for r in ec2.describe_route_tables(RouteTableIds=found["route_table"])["RouteTables"]
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
            for c in (rds.describe_db_clusters(DBClusterIdentifier=i)["DBClusters"][0] for i in found["db_cluster"])
        ],
        "db_instance": sorted(
            (i["DBInstanceIdentifier"], i["DBInstanceClass"], i["PubliclyAccessible"])
            for i in (rds.describe_db_instances(DBInstanceIdentifier=i)["DBInstances"][0] for i in found["db_instance"])
        ),
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
            )
            for p in (rds.describe_db_proxies(DBProxyName=n)["DBProxies"][0] for n in found["db_proxy"])
        ],
        "client_vpn_endpoint": [
            (
                e["SplitTunnel"],
                e["VpnPort"],
                e["TransportProtocol"],
                e["ClientCidrBlock"],
                sorted(a["Type"] for a in e["AuthenticationOptions"]),
                e["ConnectionLogOptions"]["Enabled"],
            )
            for e in endpoints["ClientVpnEndpoints"]
        ],
        "lambda_function": sorted(
            (f["FunctionName"], f["Runtime"], f["Handler"], len(f.get("VpcConfig", {}).get("SubnetIds", [])))
            for f in (client("lambda").get_function(FunctionName=n)["Configuration"] for n in found["lambda_function"])
        ),
        "apigatewayv2_api": sorted(
            (a["Name"], a["ProtocolType"], sorted(r["RouteKey"] for r in apis.get_routes(ApiId=a["ApiId"])["Items"]))
            for a in (apis.get_api(ApiId=i) for i in found["apigatewayv2_api"])
        ),
        "named": {kind: sorted(found[kind]) for kind in ("iam_role", "log_group", "dynamodb_table", "s3_bucket")},
    }
    return json.loads(re.sub(rf"\b{re.escape(stage)}\b", "STAGE", json.dumps(described, default=str)))
