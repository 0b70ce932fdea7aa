# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""The posture rules of a converged stage, once, in Python: the verify role reads, these judge.

Each rule is a function of a ``Posture`` (what the verify role's ``lookup.yml`` registered, in the shapes
amazon.aws's, community.aws's and our ``*_info`` modules return, plus the stage's settings) and returns the
rule's problems, an empty list when it holds. ``rules`` runs them all, in order, for the role's assert.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ansible_collections.livestack.aws.plugins.module_utils import stage as stage_names
from ansible_collections.livestack.aws.plugins.module_utils.rds import proxy_iam

GROUPS = ("app", "vpn", "database")
PUBLIC_ACCESS_BLOCK = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
PUBLIC_GRANTEES = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)
SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")
OPEN = re.compile(r" from (0\.0\.0\.0/0|::/0)$")


def _first(items: Sequence[Mapping[str, Any]] | None) -> Mapping[str, Any]:
    return items[0] if items else {}


def _whole_or_inner(value: Any, key: str) -> Mapping[str, Any]:
    """amazon.aws 10's s3_bucket_info gives S3's answer whole ({key: {...}}, as its RETURN says), 11 the inner dict."""
    value = value or {}
    return value.get(key, value) if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class Posture:
    """The stage as read back: ``described`` maps each kind to the list its ``*_info`` module returned.

    Keys of ``described`` (each a list; a missing key is an empty list): vpcs, subnets, route_tables,
    internet_gateways, nat_gateways, addresses, security_groups, clusters, instances, cluster_users, proxies,
    proxy_roles, proxy_role_policies, vpn_endpoints, vpn_log_groups, certificates, buckets, tables,
    functions, apis, relay_roles.
    """

    described: Mapping[str, Sequence[Mapping[str, Any]]]
    prefix: str
    stage: str
    account: str
    database_port: int = 3306
    db_users: Sequence[str] = field(default_factory=list)

    def __getitem__(self, kind: str) -> Sequence[Mapping[str, Any]]:
        return self.described.get(kind) or []

    # --- names -----------------------------------------------------------------------------------------

    @property
    def cluster_identifier(self) -> str:
        return f"{self.prefix}-aurora".lower()

    @property
    def bucket_name(self) -> str:
        return stage_names.payload_bucket(self.prefix, self.account)

    # --- the stage's resources ------------------------------------------------------------------------

    @property
    def cluster(self) -> Mapping[str, Any]:
        return _first(self["clusters"])

    @property
    def proxy(self) -> Mapping[str, Any]:
        return _first(self["proxies"])

    @property
    def proxy_role(self) -> Mapping[str, Any]:
        return _first(self["proxy_roles"])

    @property
    def proxy_role_name(self) -> str:
        return (self.proxy.get("role_arn") or "").split("/")[-1]

    @property
    def vpn_endpoint(self) -> Mapping[str, Any]:
        return _first(self["vpn_endpoints"])

    @property
    def bucket(self) -> Mapping[str, Any]:
        return _first(self["buckets"])

    @property
    def end_to_end_iam(self) -> bool:
        return (self.proxy.get("default_auth_scheme") or "NONE") == "IAM_AUTH"

    @property
    def proxy_secret_arns(self) -> list[str]:
        return [entry.get("secret_arn") or "" for entry in self.proxy.get("auth") or []]

    @cached_property
    def internet_subnet_ids(self) -> set[str]:
        """Subnets whose route table (their own, else the main one) sends traffic to an internet gateway."""
        main_public = False
        explicit: dict[str, bool] = {}
        for table in self["route_tables"]:
            public = any(str(route.get("gateway_id") or "").startswith("igw-") for route in table.get("routes") or [])
            for association in table.get("associations") or []:
                if association.get("main"):
                    main_public = public
                elif association.get("subnet_id"):
                    explicit[association["subnet_id"]] = public
        return {subnet["subnet_id"] for subnet in self["subnets"] if explicit.get(subnet["subnet_id"], main_public)}

    @cached_property
    def group_ids(self) -> dict[str, str]:
        """The stage's groups app, vpn and database by name: their ids ('' for one not found)."""
        by_name = {group["group_name"]: group["group_id"] for group in self["security_groups"]}
        return {name: by_name.get(f"{self.prefix}-{name}", "") for name in GROUPS}

    @cached_property
    def ingress(self) -> dict[str, list[str]]:
        """Every ingress rule of each group as ``<protocol> <from>-<to> from <source>``, one per source, sorted."""
        found = {}
        for group in self["security_groups"]:
            rules = []
            for permission in group.get("ip_permissions") or []:
                low, high = permission.get("from_port", "all"), permission.get("to_port", "all")
                ports = f"{permission['ip_protocol']} {low}-{high}"
                sources = (
                    [r["cidr_ip"] for r in permission.get("ip_ranges") or []]
                    + [r["cidr_ipv6"] for r in permission.get("ipv6_ranges") or []]
                    + [r["prefix_list_id"] for r in permission.get("prefix_list_ids") or []]
                    + [r["group_id"] for r in permission.get("user_id_group_pairs") or []]
                )
                rules += [f"{ports} from {source}" for source in sources]
            found[group["group_id"]] = sorted(rules)
        return found

    @property
    def allowed_database_ingress(self) -> list[str]:
        port = self.database_port
        return sorted(f"tcp {port}-{port} from {group_id}" for group_id in self.group_ids.values() if group_id)

    @cached_property
    def proxy_role_problems(self) -> dict[str, list[str]]:
        """What the proxy's role grants beyond reading its secret and connecting as the declared users."""
        arn = (self.proxy.get("db_proxy_arn") or "arn:aws:rds:-:-:db-proxy:-").split(":")
        resource_id = self.cluster.get("db_cluster_resource_id") or ""
        policy = proxy_iam.proxy_connect_policy(self.db_users, arn[1], arn[3], arn[4], resource_id)
        connect_arns = policy["Statement"][0]["Resource"] if policy else []
        return proxy_iam.proxy_role_problems(
            self["proxy_role_policies"],
            self.proxy_role.get("managed_policies") or [],
            self.proxy_secret_arns,
            connect_arns,
        )

    def tagged(self) -> list[tuple[str, dict[str, str]]]:
        """Every resource of the stage found by name or by the VPC, as ``(kind id, tags)``.

        The main route table and the default security group are made by AWS with the VPC, untagged: left out.
        """
        main_tables = {
            association.get("route_table_id")
            for table in self["route_tables"]
            for association in table.get("associations") or []
            if association.get("main")
        }
        kinds: list[tuple[str, Sequence[Mapping[str, Any]], str, str]] = [
            ("VPC", self["vpcs"], "id", "tags"),
            ("subnet", self["subnets"], "subnet_id", "tags"),
            ("route table", [t for t in self["route_tables"] if t.get("id") not in main_tables], "id", "tags"),
            ("internet gateway", self["internet_gateways"], "internet_gateway_id", "tags"),
            ("NAT gateway", self["nat_gateways"], "nat_gateway_id", "tags"),
            ("Elastic IP", self["addresses"], "allocation_id", "tags"),
            (
                "security group",
                [g for g in self["security_groups"] if g["group_name"] != "default"],
                "group_id",
                "tags",
            ),
            ("cluster", self["clusters"], "db_cluster_identifier", "tags"),
            ("instance", self["instances"], "db_instance_identifier", "tags"),
            ("proxy", self["proxies"], "db_proxy_name", "tags"),
            ("IAM role", [*self["proxy_roles"], *self["relay_roles"]], "role_name", "tags"),
            ("Client VPN endpoint", self["vpn_endpoints"], "client_vpn_endpoint_id", "tags"),
            ("log group", self["vpn_log_groups"], "log_group_name", "tags"),
            ("certificate", self["certificates"], "certificate_arn", "tags"),
            ("bucket", self["buckets"], "name", "bucket_tagging"),
            ("table", self["tables"], "table_name", "tags"),
            ("function", self["functions"], "function_name", "tags"),
            ("API", self["apis"], "name", "tags"),
        ]
        return [
            (f"{kind} {item[id_key]}", stage_names.tag_dict(item.get(tags_key)))
            for kind, items, id_key, tags_key in kinds
            for item in items
        ]


# --- the rules --------------------------------------------------------------------------------------------


def database_not_public(p: Posture) -> list[str]:
    cluster, problems = p.cluster, []
    if not cluster:
        problems.append(f"cluster {p.cluster_identifier} not found")
    if cluster.get("publicly_accessible"):
        problems.append("the cluster is publicly accessible")
    if cluster and not p["instances"]:
        problems.append("the cluster has no instance")
    for instance in p["instances"]:
        name = instance["db_instance_identifier"]
        if instance.get("publicly_accessible"):
            problems.append(f"instance {name} is publicly accessible")
        problems += [
            f"instance {name} may use subnet {subnet}, routed to an internet gateway"
            for subnet in (s["subnet_identifier"] for s in (instance.get("db_subnet_group") or {}).get("subnets") or [])
            if subnet in p.internet_subnet_ids
        ]
    groups = [group["vpc_security_group_id"] for group in cluster.get("vpc_security_groups") or []]
    if cluster and groups != [p.group_ids["database"]]:
        problems.append(f"the cluster is in security groups {','.join(groups)}, not only the database group")
    return problems


def database_users_iam_only(p: Posture) -> list[str]:
    problems = []
    for user in p["cluster_users"]:
        if not user.get("iam"):
            problems.append(
                f"user '{user['name']}' has a password (plugin {user.get('plugin')}, not AWSAuthenticationPlugin)"
            )
        elif user.get("ssl_type") != "ANY":
            problems.append(f"IAM user '{user['name']}' does not require TLS")
    return problems


def data_api_only_for_users(p: Posture) -> list[str]:
    if p.cluster.get("http_endpoint_enabled") and not p["cluster_users"]:
        return ["the HTTP endpoint is enabled and the cluster has no application user"]
    return []


def proxy_not_public(p: Posture) -> list[str]:
    proxy, problems = p.proxy, []
    if not proxy:
        problems.append(f"proxy {p.prefix}-proxy not found")
    problems += [
        f"the proxy uses subnet {subnet}, routed to an internet gateway"
        for subnet in proxy.get("vpc_subnet_ids") or []
        if subnet in p.internet_subnet_ids
    ]
    groups = list(proxy.get("vpc_security_group_ids") or [])
    if proxy and groups != [p.group_ids["database"]]:
        problems.append(f"the proxy is in security groups {','.join(groups)}, not only the database group")
    return problems


def security_group_ingress(p: Posture) -> list[str]:
    problems = [f"security group {p.prefix}-{name} not found" for name, group_id in p.group_ids.items() if not group_id]
    database = p.group_ids["database"]
    for group in p["security_groups"]:
        name, group_id = group["group_name"], group["group_id"]
        if group_id == database:
            allowed = p.allowed_database_ingress
        else:
            allowed = [f"-1 all-all from {group_id}"] if name == "default" else []
        if name != "default" and group_id not in p.group_ids.values():
            problems.append(f"unexpected security group {name} ({group_id}) in the VPC")
        problems += [f"{name} allows {rule}" for rule in p.ingress[group_id] if rule not in allowed]
        if group_id == database:
            problems += [f"{name} lacks {rule}" for rule in allowed if rule not in p.ingress[group_id]]
    return problems


def no_open_ingress(p: Posture) -> list[str]:
    return [
        f"{group['group_name']} ({group['group_id']}) allows {rule}"
        for group in p["security_groups"]
        for rule in p.ingress[group["group_id"]]
        if OPEN.search(rule)
    ]


def proxy_requires_tls(p: Posture) -> list[str]:
    return [] if p.proxy.get("require_tls") else ["RequireTLS is off (or the proxy is missing)"]


def proxy_requires_iam_auth(p: Posture) -> list[str]:
    entries = p.proxy.get("auth") or []
    problems = [] if entries or p.end_to_end_iam else ["the proxy has no authentication entry and no end-to-end IAM"]
    return problems + [
        f"IAMAuth is not REQUIRED for {entry.get('secret_arn') or ''}"
        for entry in entries
        if entry.get("iam_auth") != "REQUIRED"
    ]


def proxy_role_reads_only_its_secret(p: Posture) -> list[str]:
    secrets, wanted = p.proxy_secret_arns, 0 if p.end_to_end_iam else 1
    problems = [] if len(secrets) == wanted else [f"the proxy has {len(secrets)} secrets, not {wanted}"]
    master = f"{p.prefix}/aurora/master"
    if any(f":secret:{master}-" not in arn for arn in secrets):
        problems.append(f"the proxy reads secret {','.join(secrets)}, not {master}")
    if not p.proxy_role:
        return [*problems, f"IAM role {p.proxy_role_name} of the proxy not found"]
    return problems + p.proxy_role_problems["secret"]


def proxy_role_connects_only_as_declared_users(p: Posture) -> list[str]:
    return p.proxy_role_problems["connect"] if p.proxy_role else []


def vpn_mutual_authentication(p: Posture) -> list[str]:
    if not p.vpn_endpoint:
        return [f"Client VPN endpoint {p.prefix}-vpn not found"]
    if not p.vpn_endpoint.get("client_root_certificate_chain_arn"):
        return ["the endpoint has no certificate-authentication (mutual) option"]
    return []


def vpn_split_tunnel(p: Posture) -> list[str]:
    return [] if p.vpn_endpoint.get("split_tunnel") else ["split tunnel is off (or the endpoint is missing)"]


def vpn_connection_logging(p: Posture) -> list[str]:
    log = p.vpn_endpoint.get("connection_log") or {}
    if not log.get("enabled"):
        return ["connection logging is off (or the endpoint is missing)"]
    group = log.get("cloudwatch_log_group")
    if group not in [found.get("log_group_name") for found in p["vpn_log_groups"]]:
        return [f"the connection log group {group} does not exist"]
    return []


def bucket_private(p: Posture) -> list[str]:
    bucket = p.bucket
    problems = [] if bucket else [f"bucket {p.bucket_name} not found"]
    block = _whole_or_inner(bucket.get("public_access_block"), "PublicAccessBlockConfiguration")
    problems += [f"public access block {key} is not true" for key in PUBLIC_ACCESS_BLOCK if block.get(key) is not True]
    if ((bucket.get("bucket_policy_status") or {}).get("PolicyStatus") or {}).get("IsPublic"):
        problems.append("the bucket policy is public")
    grants = (bucket.get("bucket_acl") or {}).get("Grants") or []
    return problems + [
        f"the ACL grants to {grant['Grantee']['URI']}"
        for grant in grants
        if (grant.get("Grantee") or {}).get("URI") in PUBLIC_GRANTEES
    ]


def bucket_encrypted(p: Posture) -> list[str]:
    encryption = _whole_or_inner(p.bucket.get("bucket_encryption"), "ServerSideEncryptionConfiguration")
    algorithms = [
        (rule.get("ApplyServerSideEncryptionByDefault") or {}).get("SSEAlgorithm")
        for rule in encryption.get("Rules") or []
    ]
    if any(algorithm in SSE_ALGORITHMS for algorithm in algorithms):
        return []
    return [f"no default encryption on bucket {p.bucket_name}"]


def stage_tags(p: Posture) -> list[str]:
    expected = {
        "cluster": p["clusters"],
        "database instance": p["instances"],
        "proxy": p["proxies"],
        "Client VPN endpoint": p["vpn_endpoints"],
        "payload bucket": p["buckets"],
        "relay table": p["tables"],
        "relay and app functions": p["functions"],
        "relay APIs": p["apis"],
    }
    tagged = p.tagged()
    return (
        [f"{name} not found" for name, found in expected.items() if not found]
        + [f"{resource} has no livestack:stage tag" for resource, tags in tagged if stage_names.STAGE_TAG not in tags]
        + [
            f"{resource} is tagged with another stage"
            for resource, tags in tagged
            if tags.get(stage_names.STAGE_TAG, p.stage) != p.stage
        ]
    )


@dataclass(frozen=True)
class Rule:
    name: str
    description: str  # {port}, {users} and {stage}: the stage's settings
    check: Callable[[Posture], list[str]]


RULES = (
    Rule(
        "database-not-public",
        "the Aurora cluster and its instances are not publicly accessible and sit in subnets with no internet route",
        database_not_public,
    ),
    Rule(
        "database-users-iam-only",
        "no application user of the cluster has a password (IAM database authentication only, TLS required)",
        database_users_iam_only,
    ),
    Rule(
        "data-api-only-for-users",
        "the cluster's HTTP endpoint (RDS Data API) is enabled only while the stage manages database users",
        data_api_only_for_users,
    ),
    Rule(
        "proxy-not-public",
        "the RDS Proxy sits in subnets with no internet route, in the database security group only",
        proxy_not_public,
    ),
    Rule(
        "security-group-ingress",
        "MySQL ({port}) into the database group from the app, vpn and database groups, and no other ingress into any"
        " group of the VPC",
        security_group_ingress,
    ),
    Rule("no-open-ingress", "no security group of the VPC admits 0.0.0.0/0 or ::/0", no_open_ingress),
    Rule("proxy-requires-tls", "the RDS Proxy requires TLS", proxy_requires_tls),
    Rule(
        "proxy-requires-iam-auth",
        "clients of the RDS Proxy authenticate with IAM (end-to-end IAM, or IAMAuth REQUIRED on every entry)",
        proxy_requires_iam_auth,
    ),
    Rule(
        "proxy-role-reads-only-its-secret",
        "the proxy's IAM role has no managed policy and reads no secret but the stage's own (none with end-to-end IAM)",
        proxy_role_reads_only_its_secret,
    ),
    Rule(
        "proxy-role-connects-only-as-declared-users",
        "the proxy's IAM role may rds-db:connect to its cluster as the declared users only ({users}; no wildcard user,"
        " no other cluster)",
        proxy_role_connects_only_as_declared_users,
    ),
    Rule(
        "vpn-mutual-authentication",
        "the Client VPN endpoint authenticates clients by certificate (mutual authentication)",
        vpn_mutual_authentication,
    ),
    Rule("vpn-split-tunnel", "the Client VPN endpoint uses split tunnel", vpn_split_tunnel),
    Rule(
        "vpn-connection-logging",
        "the Client VPN endpoint logs connections to an existing CloudWatch log group",
        vpn_connection_logging,
    ),
    Rule(
        "bucket-private",
        "the payload bucket blocks all public access and has no public policy or ACL grant",
        bucket_private,
    ),
    Rule("bucket-encrypted", "the payload bucket encrypts objects by default (SSE-S3 or SSE-KMS)", bucket_encrypted),
    Rule("stage-tags", "every resource of the stage is tagged livestack:stage={stage}", stage_tags),
)


def rules(posture: Posture) -> list[dict[str, Any]]:
    """Every rule in order, as ``{rule, description, problems}`` (problems empty when the rule holds)."""
    settings = {"port": posture.database_port, "users": ", ".join(posture.db_users), "stage": posture.stage}
    return [
        {"rule": rule.name, "description": rule.description.format(**settings), "problems": rule.check(posture)}
        for rule in RULES
    ]
