#!/usr/bin/python
# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
# ruff: noqa: E402 - Ansible modules import after their DOCUMENTATION strings

from __future__ import annotations

DOCUMENTATION = r"""
---
module: stage_info
short_description: Check a stage's names, and find every resource that carries one of them, refusing foreign ones
version_added: 0.1.0
description:
  - Checks O(project) and O(stage) against the naming rules of every service that holds a name made from them
    (lowercase letters, digits and single hyphens; the longest generated name within its service's limit),
    before any request.
  - Then looks up, by name, every resource the roles of O(parts) name C(<project>-<stage>-<part>), and reads its
    tags. A resource that carries one of the stage's names but not the tags C(livestack:project=<project>) and
    C(livestack:stage=<stage>) belongs to someone else (another stage whose names collide, such as project
    C(livestack-a) stage C(b) for project C(livestack) stage C(a-b)), and the module fails naming both owners,
    so that nothing of it is changed or deleted.
  - Makes only read requests.
author:
  - livestack developers (@livestack)
options:
  project:
    description: The project, C(livestack_project).
    type: str
    required: true
  stage:
    description: The stage, C(livestack_stage).
    type: str
    required: true
  parts:
    description: The parts whose resources are looked up; empty checks the names only.
    type: list
    elements: str
    choices: [network, aurora, rds_proxy, client_vpn, dev_relay]
    default: [network, aurora, rds_proxy, client_vpn, dev_relay]
  check_quotas:
    description:
      - For a new stage (its VPC does not exist yet, and O(parts) has C(network)), refuse when the region's
        quotas of VPCs, Elastic IPs or Client VPN endpoints (with C(client_vpn) in O(parts)) cannot hold the
        stage's, naming the quota, its value, its use and how to raise it. The values are the account's, read
        with Service Quotas C(GetServiceQuota) where allowed, else AWS's defaults (5 each). An existing stage
        is never refused.
    type: bool
    default: false
  elastic_ips:
    description: The Elastic IPs a new stage allocates (one per NAT gateway), for O(check_quotas).
    type: int
    default: 1
  warn_when_none:
    description:
      - Warn when no resource of the stage exists in the region (a teardown given the wrong region, stage or
        project).
    type: bool
    default: false
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode).
    support: none
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Check the stage before changing anything
  livestack.aws.stage_info:
    project: livestack
    stage: alice
  register: stage
"""

RETURN = r"""
resources:
  description: The resources of the stage that exist, all owned by it (a foreign one fails the module).
  returned: always
  type: list
  elements: dict
  contains:
    part:
      description: The role that makes the resource.
      type: str
      sample: aurora
    kind:
      description: What the resource is.
      type: str
      sample: db_cluster
    name:
      description: Its name (or Name tag).
      type: str
      sample: livestack-alice-aurora
    id:
      description: Its id or ARN.
      type: str
    regional:
      description:
        - Whether the resource is in the module's region; false for IAM roles and policies (global) and for a
          bucket in another region.
      type: bool
    pending_deletion:
      description: A secret scheduled for deletion (kept in its recovery window).
      type: bool
account_id:
  description: The account of the credentials (STS GetCallerIdentity), which the payload bucket's name holds.
  returned: when O(parts) is not empty
  type: str
  sample: "123456789012"
payload_bucket:
  description: The name of the relay's payload bucket, unique per account (S3 bucket names are global).
  returned: when O(parts) is not empty
  type: str
  sample: livestack-alice-relay-123456789012
found_here:
  description: Whether any resource of the stage is in the region (a teardown anywhere else deletes nothing).
  returned: always
  type: bool
"""

from collections.abc import Callable, Iterator

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.livestack.aws.plugins.module_utils.modules import LivestackAWSModule
from ansible_collections.livestack.aws.plugins.module_utils.quotas import QUOTAS, quota_errors
from ansible_collections.livestack.aws.plugins.module_utils.stage import (
    PARTS,
    name_errors,
    owner_error,
    payload_bucket,
    region_errors,
    tag_dict,
)

# (kind, id or ARN, name, tags)
Found = tuple[str, str, str, dict]


def _absent(error: ClientError, *codes: str) -> bool:
    return error.response["Error"]["Code"] in codes


class Lookup:
    def __init__(self, module: LivestackAWSModule, prefix: str) -> None:
        self.module = module
        self.region = module.region
        self.prefix = prefix
        self.cluster = f"{prefix}-aurora"
        self._clients: dict[str, object] = {}
        self.account_id = self.client("sts").get_caller_identity()["Account"]
        self.bucket = payload_bucket(prefix, self.account_id)
        self.pending_deletion: set[str] = set()
        # IAM is global, and a bucket may be in another region: not evidence that the stage lives in this one.
        self.not_regional: set[str] = set()

    def client(self, service: str):
        if service not in self._clients:
            self._clients[service] = self.module.client(service)
        return self._clients[service]

    def names(self, *parts: str) -> list[str]:
        return [f"{self.prefix}-{part}" for part in parts]

    # --- network: EC2 resources by their Name tag (security groups by group name) -------------------------
    def network(self) -> Iterator[Found]:
        ec2 = self.client("ec2")

        def by_name(*parts: str) -> list[dict]:
            return [{"Name": "tag:Name", "Values": self.names(*parts)}]

        for vpc in ec2.describe_vpcs(Filters=by_name("vpc"))["Vpcs"]:
            yield "vpc", vpc["VpcId"], _name(vpc), tag_dict(vpc.get("Tags"))
        subnets = by_name("private-a", "private-b", "public-a", "public-b")
        for subnet in ec2.describe_subnets(Filters=subnets)["Subnets"]:
            yield "subnet", subnet["SubnetId"], _name(subnet), tag_dict(subnet.get("Tags"))
        for gateway in ec2.describe_internet_gateways(Filters=by_name("igw"))["InternetGateways"]:
            yield "internet_gateway", gateway["InternetGatewayId"], _name(gateway), tag_dict(gateway.get("Tags"))
        for address in ec2.describe_addresses(Filters=by_name("nat-a", "nat-b"))["Addresses"]:
            yield "elastic_ip", address["AllocationId"], _name(address), tag_dict(address.get("Tags"))
        nat_filter = [*by_name("nat-a", "nat-b"), {"Name": "state", "Values": ["pending", "available"]}]
        for nat in ec2.describe_nat_gateways(Filter=nat_filter)["NatGateways"]:
            yield "nat_gateway", nat["NatGatewayId"], _name(nat), tag_dict(nat.get("Tags"))
        tables = by_name("public", "private-a", "private-b")
        for table in ec2.describe_route_tables(Filters=tables)["RouteTables"]:
            yield "route_table", table["RouteTableId"], _name(table), tag_dict(table.get("Tags"))
        groups = [{"Name": "group-name", "Values": self.names("app", "vpn", "database")}]
        for group in ec2.describe_security_groups(Filters=groups)["SecurityGroups"]:
            yield "security_group", group["GroupId"], group["GroupName"], tag_dict(group.get("Tags"))

    # --- aurora ------------------------------------------------------------------------------------------
    def aurora(self) -> Iterator[Found]:
        rds = self.client("rds")
        try:
            for cluster in rds.describe_db_clusters(DBClusterIdentifier=self.cluster)["DBClusters"]:
                yield (
                    "db_cluster",
                    cluster["DBClusterArn"],
                    cluster["DBClusterIdentifier"],
                    tag_dict(cluster.get("TagList")),
                )
        except ClientError as error:
            if not _absent(error, "DBClusterNotFoundFault"):
                raise
        instances = [f"{self.cluster}-{number}" for number in range(1, 17)]
        found = rds.describe_db_instances(Filters=[{"Name": "db-instance-id", "Values": instances}])["DBInstances"]
        for instance in found:
            arn, name = instance["DBInstanceArn"], instance["DBInstanceIdentifier"]
            yield "db_instance", arn, name, tag_dict(instance.get("TagList"))
        groups: list[tuple[str, Callable, str, str, str]] = [
            (
                "db_subnet_group",
                rds.describe_db_subnet_groups,
                "DBSubnetGroupName",
                "DBSubnetGroups",
                "DBSubnetGroupArn",
            ),
            (
                "db_cluster_parameter_group",
                rds.describe_db_cluster_parameter_groups,
                "DBClusterParameterGroupName",
                "DBClusterParameterGroups",
                "DBClusterParameterGroupArn",
            ),
        ]
        for kind, describe, key, listed, arn_key in groups:
            try:
                for group in describe(**{key: self.cluster})[listed]:
                    tags = rds.list_tags_for_resource(ResourceName=group[arn_key])["TagList"]
                    yield kind, group[arn_key], group[key], tag_dict(tags)
            except ClientError as error:
                if not _absent(error, "DBSubnetGroupNotFoundFault", "DBParameterGroupNotFound"):
                    raise
        yield from self.secret(f"{self.prefix}/aurora/master")

    def secret(self, name: str) -> Iterator[Found]:
        try:
            secret = self.client("secretsmanager").describe_secret(SecretId=name)
        except ClientError as error:
            if _absent(error, "ResourceNotFoundException"):
                return
            raise
        if secret["Name"] == name:  # SecretId also matches ARNs and partial ARNs
            if secret.get("DeletedDate"):
                self.pending_deletion.add(secret["ARN"])
            yield "secret", secret["ARN"], name, tag_dict(secret.get("Tags"))

    # --- rds_proxy ---------------------------------------------------------------------------------------
    def rds_proxy(self) -> Iterator[Found]:
        rds = self.client("rds")
        try:
            for proxy in rds.describe_db_proxies(DBProxyName=f"{self.prefix}-proxy")["DBProxies"]:
                tags = rds.list_tags_for_resource(ResourceName=proxy["DBProxyArn"])["TagList"]
                yield "db_proxy", proxy["DBProxyArn"], proxy["DBProxyName"], tag_dict(tags)
        except ClientError as error:
            if not _absent(error, "DBProxyNotFoundFault"):
                raise
        yield from self.roles("proxy")
        # The client policies: <prefix>-proxy-connect-<user>, one per database user (and the single
        # <prefix>-proxy-connect of earlier versions).
        name = f"{self.prefix}-proxy-connect"
        iam = self.client("iam")
        for page in iam.get_paginator("list_policies").paginate(Scope="Local"):
            for policy in page["Policies"]:
                if policy["PolicyName"] == name or policy["PolicyName"].startswith(f"{name}-"):
                    tags = iam.list_policy_tags(PolicyArn=policy["Arn"])["Tags"]
                    self.not_regional.add(policy["Arn"])
                    yield "iam_managed_policy", policy["Arn"], policy["PolicyName"], tag_dict(tags)

    def roles(self, *parts: str) -> Iterator[Found]:
        iam = self.client("iam")
        for name in self.names(*parts):
            try:
                role = iam.get_role(RoleName=name)["Role"]
            except ClientError as error:
                if _absent(error, "NoSuchEntity"):
                    continue
                raise
            self.not_regional.add(role["Arn"])
            # GetRole answers the role's tags (up to 50, IAM's limit per role): no ListRoleTags.
            yield "iam_role", role["Arn"], name, tag_dict(role.get("Tags"))

    # --- client_vpn --------------------------------------------------------------------------------------
    def client_vpn(self) -> Iterator[Found]:
        ec2 = self.client("ec2")
        for page in ec2.get_paginator("describe_client_vpn_endpoints").paginate():
            for endpoint in page["ClientVpnEndpoints"]:
                tags = tag_dict(endpoint.get("Tags"))
                if tags.get("Name") == f"{self.prefix}-vpn" and endpoint["Status"]["Code"] != "deleted":
                    yield "client_vpn_endpoint", endpoint["ClientVpnEndpointId"], tags["Name"], tags
        acm = self.client("acm")
        names = self.names("vpn-server", "vpn-client-ca")
        for page in acm.get_paginator("list_certificates").paginate():
            for certificate in page["CertificateSummaryList"]:
                arn = certificate["CertificateArn"]
                tags = tag_dict(acm.list_tags_for_certificate(CertificateArn=arn).get("Tags"))
                if tags.get("Name") in names:
                    yield "acm_certificate", arn, tags["Name"], tags
        logs = self.client("logs")
        name = f"/livestack/{self.prefix}/client-vpn"
        for group in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]:
            if group["logGroupName"] == name:
                tags = logs.list_tags_log_group(logGroupName=name).get("tags")
                yield "log_group", group["arn"].removesuffix(":*"), name, tag_dict(tags)

    # --- dev_relay ---------------------------------------------------------------------------------------
    def dev_relay(self) -> Iterator[Found]:
        lam = self.client("lambda")
        for name in self.names("relay-connect", "relay-disconnect", "relay-message", "app"):
            try:
                function = lam.get_function(FunctionName=name)
            except ClientError as error:
                if _absent(error, "ResourceNotFoundException"):
                    continue
                raise
            yield "lambda_function", function["Configuration"]["FunctionArn"], name, tag_dict(function.get("Tags"))
        yield from self.roles("relay", "app")
        names = self.names("relay", "app")
        for api in self.client("apigatewayv2").get_apis().get("Items", []):
            if api["Name"] in names:
                yield "apigatewayv2_api", api["ApiId"], api["Name"], tag_dict(api.get("Tags"))
        dynamodb = self.client("dynamodb")
        table = f"{self.prefix}-relay"
        try:
            arn = dynamodb.describe_table(TableName=table)["Table"]["TableArn"]
        except ClientError as error:
            if not _absent(error, "ResourceNotFoundException"):
                raise
        else:
            yield "dynamodb_table", arn, table, tag_dict(dynamodb.list_tags_of_resource(ResourceArn=arn).get("Tags"))
        bucket = self.bucket
        try:
            tags = self.client("s3").get_bucket_tagging(Bucket=bucket)["TagSet"]
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code == "NoSuchBucket":
                return
            if code == "NoSuchTagSet":
                tags = []
            elif code in ("AccessDenied", "403"):
                tags = {"livestack:project": "(another AWS account)", "livestack:stage": "(unknown)"}
            else:
                raise
        if code_region(self.client("s3").get_bucket_location(Bucket=bucket).get("LocationConstraint")) != self.region:
            self.not_regional.add(f"arn:aws:s3:::{bucket}")
        yield "s3_bucket", f"arn:aws:s3:::{bucket}", bucket, tag_dict(tags)

    # --- quotas of a new stage ----------------------------------------------------------------------------
    def quota_errors(self, needed: dict[str, int]) -> list[str]:
        ec2 = self.client("ec2")
        used = {
            "vpcs": sum(len(page["Vpcs"]) for page in ec2.get_paginator("describe_vpcs").paginate()),
            "elastic_ips": len(ec2.describe_addresses()["Addresses"]),
            "client_vpn_endpoints": sum(
                1
                for page in ec2.get_paginator("describe_client_vpn_endpoints").paginate()
                for endpoint in page["ClientVpnEndpoints"]
                if endpoint["Status"]["Code"] != "deleted"
            ),
        }
        values = {}
        for quota in QUOTAS:
            try:
                answer = self.client("service-quotas").get_service_quota(
                    ServiceCode=quota.service_code, QuotaCode=quota.quota_code
                )
                values[quota.key] = (answer["Quota"]["Value"], "the account's, from Service Quotas")
            except (BotoCoreError, ClientError):
                pass  # not allowed (servicequotas:GetServiceQuota) or unknown there: AWS's default
        return quota_errors(self.region, needed, used, values)


def code_region(location: str | None) -> str:
    """The region of a bucket from GetBucketLocation's LocationConstraint (None for us-east-1, EU of old)."""
    return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(location, location)


def _name(resource: dict) -> str:
    return tag_dict(resource.get("Tags")).get("Name", "")


def main() -> None:
    module = LivestackAWSModule(
        argument_spec={
            "project": {"type": "str", "required": True},
            "stage": {"type": "str", "required": True},
            "parts": {"type": "list", "elements": "str", "choices": list(PARTS), "default": list(PARTS)},
            "check_quotas": {"type": "bool", "default": False},
            "elastic_ips": {"type": "int", "default": 1},
            "warn_when_none": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    project, stage = module.params["project"], module.params["stage"]
    module.fail_on_errors(
        name_errors(project, stage) + (region_errors(module.region) if module.params["parts"] else [])
    )
    if not module.params["parts"]:
        module.exit_json(changed=False, resources=[], found_here=False)
    resources, refused = [], []
    try:
        lookup = Lookup(module, f"{project}-{stage}")
        for part in module.params["parts"]:
            for kind, resource_id, name, tags in getattr(lookup, part)():
                problem = owner_error(f"{part}: {kind.replace('_', ' ')}", name, tags, project, stage)
                if problem:
                    refused.append(problem)
                    continue
                found = {"part": part, "kind": kind, "name": name, "id": resource_id}
                found["regional"] = resource_id not in lookup.not_regional
                resources.append(found | ({"pending_deletion": True} if resource_id in lookup.pending_deletion else {}))
    except (BotoCoreError, ClientError) as error:
        module.fail_json_aws(
            error, msg=f"livestack_region '{module.region}' cannot be reached, or refused to list the stage's resources"
        )
    if refused:
        module.fail_json(msg="; ".join(refused), refused=refused, resources=resources)
    kinds = {resource["kind"] for resource in resources}
    if module.params["check_quotas"] and "network" in module.params["parts"] and "vpc" not in kinds:
        needed = {"vpcs": 1, "elastic_ips": module.params["elastic_ips"]}
        if "client_vpn" in module.params["parts"] and "client_vpn_endpoint" not in kinds:
            needed["client_vpn_endpoints"] = 1
        try:
            module.fail_on_errors(lookup.quota_errors(needed))
        except (BotoCoreError, ClientError) as error:
            module.fail_json_aws(error, msg="cannot count the region's VPCs, Elastic IPs and Client VPN endpoints")
    found_here = any(resource["regional"] for resource in resources)
    if not found_here and module.params["warn_when_none"]:
        elsewhere = ", ".join(f"{resource['kind']} {resource['name']}" for resource in resources)
        module.warn(
            f"found no resource of project {project} stage {stage} in region {module.region}: nothing to do"
            " (is it the right region, project and stage?)"
            + (
                f"; its resources outside any region or in another ({elsewhere}) are left as they are"
                if elsewhere
                else ""
            )
        )
    module.exit_json(
        changed=False,
        resources=resources,
        found_here=found_here,
        account_id=lookup.account_id,
        payload_bucket=lookup.bucket,
    )


if __name__ == "__main__":
    main()
