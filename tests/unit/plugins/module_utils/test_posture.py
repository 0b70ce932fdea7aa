"""The posture rules, each on a converged stage as its *_info modules describe it, then on that stage broken.

``STAGE`` is what the verify role's lookups register for a stage converged with the defaults (end-to-end IAM, one
declared user), in the shapes amazon.aws 11, community.aws 11 and our modules return (snake_case, tags as dicts,
S3's answers as returned). Each test breaks one thing and asserts the exact problem the role prints.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from ansible_collections.livestack.aws.plugins.filter.stage_posture import FilterModule, stage_posture
from ansible_collections.livestack.aws.plugins.module_utils import posture
from ansible_collections.livestack.aws.plugins.module_utils.posture import Posture

ACCOUNT = "123456789012"
PREFIX = "livestack-dev"
TAGS = {"Name": "x", "livestack:project": "livestack", "livestack:stage": "dev"}
VPC, IGW, NAT, EIP = "vpc-0a1", "igw-0b2", "nat-0c3", "eipalloc-0d4"
PRIVATE_A, PRIVATE_B, PUBLIC = "subnet-0a", "subnet-0b", "subnet-0c"
MAIN_TABLE, PRIVATE_TABLE, PUBLIC_TABLE = "rtb-0main", "rtb-0private", "rtb-0public"
APP, VPN, DATABASE, DEFAULT = "sg-0app", "sg-0vpn", "sg-0database", "sg-0default"
CLUSTER_RESOURCE = "cluster-ABCDEFGHIJKLMNOP"
SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:{PREFIX}/aurora/master-AbCdEf"
PROXY_ARN = f"arn:aws:rds:us-east-1:{ACCOUNT}:db-proxy:prx-0123456789abcdef0"
DBUSER = f"arn:aws:rds-db:us-east-1:{ACCOUNT}:dbuser:{CLUSTER_RESOURCE}/livestack"
SERVER_CERT = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/1111"
LOG_GROUP = f"/aws/clientvpn/{PREFIX}"
BUCKET = f"{PREFIX}-relay-{ACCOUNT}"
OTHER_SECRET = SECRET.replace(PREFIX, "livestack-prod")
# S3 PutPublicAccessBlock's four settings, as GetPublicAccessBlock returns them.
ACCESS_BLOCK = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def association(table: str, subnet: str | None = None) -> dict[str, Any]:
    found = {"route_table_association_id": f"rtbassoc-{table}", "route_table_id": table, "main": subnet is None}
    return found | ({"subnet_id": subnet} if subnet else {})


def route_table(table: str, routes: list[dict], associations: list[dict], tags: dict | None) -> dict[str, Any]:
    local = {"destination_cidr_block": "11.0.0.0/16", "gateway_id": "local", "origin": "CreateRouteTable"}
    return {
        "id": table,
        "route_table_id": table,
        "vpc_id": VPC,
        "routes": [local, *routes],
        "associations": associations,
        "tags": tags or {},
    }


def group(group_id: str, name: str, permissions: list[dict]) -> dict[str, Any]:
    return {
        "group_id": group_id,
        "group_name": name,
        "vpc_id": VPC,
        "owner_id": ACCOUNT,
        "ip_permissions": permissions,
        "ip_permissions_egress": [{"ip_protocol": "-1", "ip_ranges": [{"cidr_ip": "0.0.0.0/0"}]}],
        "tags": {} if name == "default" else TAGS,
    }


def from_group(source: str, protocol: str = "tcp", port: int | None = 3306) -> dict[str, Any]:
    ports = {} if port is None else {"from_port": port, "to_port": port}
    pair = {"group_id": source, "user_id": ACCOUNT}
    return {
        "ip_protocol": protocol,
        **ports,
        "ip_ranges": [],
        "ipv6_ranges": [],
        "prefix_list_ids": [],
        "user_id_group_pairs": [pair],
    }


def function(name: str) -> dict[str, Any]:
    return {"function_name": name, "runtime": "python3.12", "tags": TAGS}


STAGE: dict[str, list[dict[str, Any]]] = {
    "vpcs": [{"id": VPC, "vpc_id": VPC, "cidr_block": "11.0.0.0/16", "state": "available", "tags": TAGS}],
    "subnets": [
        {"subnet_id": subnet, "id": subnet, "vpc_id": VPC, "cidr_block": cidr, "tags": TAGS}
        for subnet, cidr in ((PRIVATE_A, "11.0.1.0/24"), (PRIVATE_B, "11.0.2.0/24"), (PUBLIC, "11.0.0.0/24"))
    ],
    "route_tables": [
        route_table(MAIN_TABLE, [], [association(MAIN_TABLE)], None),
        route_table(
            PRIVATE_TABLE,
            [{"destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": NAT, "gateway_id": None}],
            [association(PRIVATE_TABLE, PRIVATE_A), association(PRIVATE_TABLE, PRIVATE_B)],
            TAGS,
        ),
        route_table(
            PUBLIC_TABLE,
            [{"destination_cidr_block": "0.0.0.0/0", "gateway_id": IGW}],
            [association(PUBLIC_TABLE, PUBLIC)],
            TAGS,
        ),
    ],
    "internet_gateways": [{"internet_gateway_id": IGW, "attachments": [{"vpc_id": VPC}], "tags": TAGS}],
    "nat_gateways": [
        {
            "nat_gateway_id": NAT,
            "state": "available",
            "subnet_id": PUBLIC,
            "nat_gateway_addresses": [{"allocation_id": EIP, "public_ip": "198.51.100.7"}],
            "tags": TAGS,
        }
    ],
    "addresses": [{"allocation_id": EIP, "public_ip": "198.51.100.7", "domain": "vpc", "tags": TAGS}],
    "security_groups": [
        group(DEFAULT, "default", [from_group(DEFAULT, "-1", None)]),
        group(APP, f"{PREFIX}-app", []),
        group(VPN, f"{PREFIX}-vpn", []),
        group(DATABASE, f"{PREFIX}-database", [from_group(APP), from_group(VPN), from_group(DATABASE)]),
    ],
    "clusters": [
        {
            "db_cluster_identifier": f"{PREFIX}-aurora",
            "db_cluster_resource_id": CLUSTER_RESOURCE,
            "engine": "aurora-mysql",
            "http_endpoint_enabled": False,
            "iam_database_authentication_enabled": True,
            "vpc_security_groups": [{"vpc_security_group_id": DATABASE, "status": "active"}],
            "tags": TAGS,
        }
    ],
    "instances": [
        {
            "db_instance_identifier": f"{PREFIX}-aurora-1",
            "db_instance_class": "db.serverless",
            "publicly_accessible": False,
            "db_subnet_group": {
                "db_subnet_group_name": f"{PREFIX}-aurora",
                "subnets": [
                    {"subnet_identifier": PRIVATE_A, "subnet_status": "Active"},
                    {"subnet_identifier": PRIVATE_B, "subnet_status": "Active"},
                ],
            },
            "tags": TAGS,
        }
    ],
    "cluster_users": [],
    "proxies": [
        {
            "db_proxy_name": f"{PREFIX}-proxy",
            "db_proxy_arn": PROXY_ARN,
            "status": "available",
            "engine_family": "MYSQL",
            "default_auth_scheme": "IAM_AUTH",
            "auth": [],
            "role_arn": f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}-proxy",
            "vpc_subnet_ids": [PRIVATE_A, PRIVATE_B],
            "vpc_security_group_ids": [DATABASE],
            "require_tls": True,
            "tags": TAGS,
        }
    ],
    "proxy_roles": [
        {
            "role_name": f"{PREFIX}-proxy",
            "arn": f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}-proxy",
            "managed_policies": [],
            "inline_policies": [f"{PREFIX}-proxy-connect-db-users"],
            "tags": TAGS,
        }
    ],
    "proxy_role_policies": [
        {
            "policy_name": f"{PREFIX}-proxy-connect-db-users",
            "policy_document": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "ConnectToTheClusterAsTheDeclaredUsers",
                        "Effect": "Allow",
                        "Action": ["rds-db:connect"],
                        "Resource": [DBUSER],
                    }
                ],
            },
        }
    ],
    "vpn_endpoints": [
        {
            "client_vpn_endpoint_id": "cvpn-endpoint-0abc",
            "server_certificate_arn": SERVER_CERT,
            "client_root_certificate_chain_arn": SERVER_CERT,
            "split_tunnel": True,
            "connection_log": {"enabled": True, "cloudwatch_log_group": LOG_GROUP, "cloudwatch_log_stream": None},
            "tags": TAGS,
        }
    ],
    "vpn_log_groups": [{"log_group_name": LOG_GROUP, "retention_in_days": 30, "tags": TAGS}],
    "certificates": [{"certificate_arn": SERVER_CERT, "domain_name": f"vpn.{PREFIX}.livestack", "tags": TAGS}],
    "buckets": [
        {
            "name": BUCKET,
            "public_access_block": dict.fromkeys(ACCESS_BLOCK, True),
            "bucket_policy_status": {},  # no bucket policy: GetBucketPolicyStatus fails, s3_bucket_info leaves {}
            "bucket_acl": {
                "Owner": {"ID": "owner"},
                "Grants": [{"Grantee": {"ID": "owner", "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}],
            },
            "bucket_encryption": {
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]
            },
            "bucket_tagging": TAGS,
        }
    ],
    "tables": [{"table_name": f"{PREFIX}-relay", "billing_mode": "PAY_PER_REQUEST", "tags": TAGS}],
    "functions": [
        function(f"{PREFIX}-{name}") for name in ("relay-connect", "relay-disconnect", "relay-message", "app")
    ],
    "apis": [{"name": f"{PREFIX}-{name}", "api_id": name, "tags": TAGS} for name in ("relay", "app")],
    "relay_roles": [{"role_name": f"{PREFIX}-{name}", "tags": TAGS} for name in ("relay", "app")],
}


def judged(described: dict[str, Any]) -> Posture:
    return Posture(described, PREFIX, "dev", ACCOUNT, 3306, ["livestack"])


def broken(change: Callable[[dict[str, Any]], object]) -> Posture:
    """The converged stage with one change made to a deep copy of it."""
    described = copy.deepcopy(STAGE)
    change(described)
    return judged(described)


def test_the_converged_stage_breaks_no_rule():
    results = stage_posture(STAGE, PREFIX, "dev", ACCOUNT, 3306, ["livestack"])
    assert [result["rule"] for result in results] == [rule.name for rule in posture.RULES]
    assert len(results) == 16
    assert {result["rule"]: result["problems"] for result in results if result["problems"]} == {}
    assert FilterModule().filters()["stage_posture"] is stage_posture


def test_descriptions_name_the_port_the_users_and_the_stage():
    descriptions = {r["rule"]: r["description"] for r in stage_posture(STAGE, PREFIX, "dev", ACCOUNT, 3307, ["a", "b"])}
    assert descriptions["security-group-ingress"].startswith("MySQL (3307) into the database group")
    assert (
        "as the declared users only (a, b; no wildcard user"
        in descriptions["proxy-role-connects-only-as-declared-users"]
    )
    assert descriptions["stage-tags"] == "every resource of the stage is tagged livestack:stage=dev"


def test_only_the_subnets_routed_to_an_internet_gateway_are_public():
    assert judged(STAGE).internet_subnet_ids == {PUBLIC}
    # A subnet with no table of its own uses the main one: public once the main table routes to the gateway.
    loose = broken(lambda d: d["route_tables"][1]["associations"].pop())
    assert loose.internet_subnet_ids == {PUBLIC}
    public_main = broken(
        lambda d: (
            d["route_tables"][1]["associations"].pop(),
            d["route_tables"][0]["routes"].append({"destination_cidr_block": "0.0.0.0/0", "gateway_id": IGW}),
        )
    )
    assert public_main.internet_subnet_ids == {PUBLIC, PRIVATE_B}


def test_ingress_rules_read_one_per_source_with_all_for_missing_ports():
    stage = broken(
        lambda d: d["security_groups"][1]["ip_permissions"].append(
            {
                "ip_protocol": "tcp",
                "from_port": 443,
                "to_port": 443,
                "ip_ranges": [{"cidr_ip": "10.0.0.0/8"}],
                "ipv6_ranges": [{"cidr_ipv6": "::/0"}],
                "prefix_list_ids": [{"prefix_list_id": "pl-0a"}],
                "user_id_group_pairs": [],
            }
        )
    )
    assert stage.ingress[APP] == ["tcp 443-443 from 10.0.0.0/8", "tcp 443-443 from ::/0", "tcp 443-443 from pl-0a"]
    assert stage.ingress[DEFAULT] == [f"-1 all-all from {DEFAULT}"]


def set_in(path: tuple, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(described: dict[str, Any]) -> None:
        *parents, last = path
        target: Any = described
        for key in parents:
            target = target[key]
        target[last] = value

    return change


def open_ingress(described: dict[str, Any]) -> None:
    described["security_groups"][3]["ip_permissions"].append(
        {"ip_protocol": "tcp", "from_port": 22, "to_port": 22, "ip_ranges": [{"cidr_ip": "0.0.0.0/0"}]}
    )


def without(kind: str) -> Callable[[dict[str, Any]], None]:
    return set_in((kind,), [])


def add_statement(statement: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(described: dict[str, Any]) -> None:
        described["proxy_role_policies"].append(
            {"policy_name": f"{PREFIX}-extra", "policy_document": {"Version": "2012-10-17", "Statement": statement}}
        )

    return change


SECRETS_SCHEME = {"auth_scheme": "SECRETS", "secret_arn": SECRET, "iam_auth": "REQUIRED"}
READ_SECRET = {
    "Sid": "ReadTheDatabaseSecret",
    "Effect": "Allow",
    "Action": ["secretsmanager:GetSecretValue"],
    "Resource": [SECRET],
}


def secrets_scheme(iam_auth: str = "REQUIRED", secret: str = SECRET) -> Callable[[dict[str, Any]], None]:
    def change(described: dict[str, Any]) -> None:
        described["proxies"][0]["default_auth_scheme"] = "NONE"
        described["proxies"][0]["auth"] = [{**SECRETS_SCHEME, "iam_auth": iam_auth, "secret_arn": secret}]
        described["proxy_role_policies"] = [
            {"policy_name": f"{PREFIX}-proxy-read-secret", "policy_document": {"Statement": [READ_SECRET]}}
        ]

    return change


# (rule, what breaks it, the exact problems the rule reports)
BROKEN = [
    ("database-not-public", without("clusters"), [f"cluster {PREFIX}-aurora not found"]),
    (
        "database-not-public",
        set_in(("clusters", 0, "publicly_accessible"), True),
        ["the cluster is publicly accessible"],
    ),
    ("database-not-public", without("instances"), ["the cluster has no instance"]),
    (
        "database-not-public",
        set_in(("instances", 0, "publicly_accessible"), True),
        [f"instance {PREFIX}-aurora-1 is publicly accessible"],
    ),
    (
        "database-not-public",
        set_in(("instances", 0, "db_subnet_group", "subnets", 1, "subnet_identifier"), PUBLIC),
        [f"instance {PREFIX}-aurora-1 may use subnet {PUBLIC}, routed to an internet gateway"],
    ),
    (
        "database-not-public",
        set_in(("clusters", 0, "vpc_security_groups"), [{"vpc_security_group_id": g} for g in (DATABASE, APP)]),
        [f"the cluster is in security groups {DATABASE},{APP}, not only the database group"],
    ),
    (
        "database-users-iam-only",
        set_in(
            ("cluster_users",),
            [{"name": "by_hand", "host": "%", "plugin": "mysql_native_password", "iam": False, "ssl_type": ""}],
        ),
        ["user 'by_hand' has a password (plugin mysql_native_password, not AWSAuthenticationPlugin)"],
    ),
    (
        "database-users-iam-only",
        set_in(("cluster_users",), [{"name": "app", "plugin": "AWSAuthenticationPlugin", "iam": True, "ssl_type": ""}]),
        ["IAM user 'app' does not require TLS"],
    ),
    (
        "data-api-only-for-users",
        set_in(("clusters", 0, "http_endpoint_enabled"), True),
        ["the HTTP endpoint is enabled and the cluster has no application user"],
    ),
    ("proxy-not-public", without("proxies"), [f"proxy {PREFIX}-proxy not found"]),
    (
        "proxy-not-public",
        set_in(("proxies", 0, "vpc_subnet_ids"), [PRIVATE_A, PUBLIC]),
        [f"the proxy uses subnet {PUBLIC}, routed to an internet gateway"],
    ),
    (
        "proxy-not-public",
        set_in(("proxies", 0, "vpc_security_group_ids"), [APP, DATABASE]),
        [f"the proxy is in security groups {APP},{DATABASE}, not only the database group"],
    ),
    (
        "security-group-ingress",
        lambda d: d["security_groups"].pop(2),
        [f"security group {PREFIX}-vpn not found", f"{PREFIX}-database allows tcp 3306-3306 from {VPN}"],
    ),
    (
        "security-group-ingress",
        lambda d: d["security_groups"].append(group("sg-0hand", "by-hand", [])),
        ["unexpected security group by-hand (sg-0hand) in the VPC"],
    ),
    (
        "security-group-ingress",
        open_ingress,
        [f"{PREFIX}-database allows tcp 22-22 from 0.0.0.0/0"],
    ),
    (
        "security-group-ingress",
        lambda d: d["security_groups"][3]["ip_permissions"].pop(0),
        [f"{PREFIX}-database lacks tcp 3306-3306 from {APP}"],
    ),
    (
        "security-group-ingress",
        lambda d: d["security_groups"][1]["ip_permissions"].append(from_group(VPN, port=443)),
        [f"{PREFIX}-app allows tcp 443-443 from {VPN}"],
    ),
    ("no-open-ingress", open_ingress, [f"{PREFIX}-database ({DATABASE}) allows tcp 22-22 from 0.0.0.0/0"]),
    (
        "no-open-ingress",
        lambda d: d["security_groups"][0]["ip_permissions"].append(
            {"ip_protocol": "-1", "ipv6_ranges": [{"cidr_ipv6": "::/0"}]}
        ),
        [f"default ({DEFAULT}) allows -1 all-all from ::/0"],
    ),
    (
        "proxy-requires-tls",
        set_in(("proxies", 0, "require_tls"), False),
        ["RequireTLS is off (or the proxy is missing)"],
    ),
    ("proxy-requires-tls", without("proxies"), ["RequireTLS is off (or the proxy is missing)"]),
    (
        "proxy-requires-iam-auth",
        set_in(("proxies", 0, "default_auth_scheme"), "NONE"),
        ["the proxy has no authentication entry and no end-to-end IAM"],
    ),
    ("proxy-requires-iam-auth", secrets_scheme("DISABLED"), [f"IAMAuth is not REQUIRED for {SECRET}"]),
    (
        "proxy-role-reads-only-its-secret",
        set_in(("proxies", 0, "auth"), [SECRETS_SCHEME]),
        [
            "the proxy has 1 secrets, not 0",
            f"no statement grants secretsmanager:GetSecretValue on the secret {SECRET}",
        ],
    ),
    (
        "proxy-role-reads-only-its-secret",
        secrets_scheme(secret=OTHER_SECRET),
        [
            f"the proxy reads secret {OTHER_SECRET}, not {PREFIX}/aurora/master",
            f"policy {PREFIX}-proxy-read-secret statement ReadTheDatabaseSecret allows secretsmanager:getsecretvalue"
            f" on {SECRET}",
            f"no statement grants secretsmanager:GetSecretValue on the secret {OTHER_SECRET}",
        ],
    ),
    (
        "proxy-role-reads-only-its-secret",
        without("proxy_roles"),
        [f"IAM role {PREFIX}-proxy of the proxy not found"],
    ),
    (
        "proxy-role-reads-only-its-secret",
        add_statement({"Sid": "Broader", "Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"}),
        [f"policy {PREFIX}-extra statement Broader allows secretsmanager:* on *"],
    ),
    (
        "proxy-role-reads-only-its-secret",
        set_in(
            ("proxy_roles", 0, "managed_policies"),
            [{"policy_arn": f"arn:aws:iam::{ACCOUNT}:policy/broader", "policy_name": "broader"}],
        ),
        [f"managed policy arn:aws:iam::{ACCOUNT}:policy/broader is attached"],
    ),
    (
        "proxy-role-connects-only-as-declared-users",
        add_statement(
            {
                "Sid": "AnyUser",
                "Effect": "Allow",
                "Action": "rds-db:connect",
                "Resource": DBUSER.replace("/livestack", "/*"),
            }
        ),
        [f"policy {PREFIX}-extra statement AnyUser allows rds-db:connect on {DBUSER.replace('/livestack', '/*')}"],
    ),
    (
        "proxy-role-connects-only-as-declared-users",
        add_statement({"Effect": "Allow", "Action": ["rds-db:*"], "Resource": "*"}),
        [f"policy {PREFIX}-extra statement 1 allows rds-db:* on *"],
    ),
    ("vpn-mutual-authentication", without("vpn_endpoints"), [f"Client VPN endpoint {PREFIX}-vpn not found"]),
    (
        "vpn-mutual-authentication",
        set_in(("vpn_endpoints", 0, "client_root_certificate_chain_arn"), None),
        ["the endpoint has no certificate-authentication (mutual) option"],
    ),
    (
        "vpn-split-tunnel",
        set_in(("vpn_endpoints", 0, "split_tunnel"), False),
        ["split tunnel is off (or the endpoint is missing)"],
    ),
    (
        "vpn-connection-logging",
        set_in(("vpn_endpoints", 0, "connection_log"), {"enabled": False}),
        ["connection logging is off (or the endpoint is missing)"],
    ),
    (
        "vpn-connection-logging",
        without("vpn_log_groups"),
        [f"the connection log group {LOG_GROUP} does not exist"],
    ),
    (
        "bucket-private",
        without("buckets"),
        [f"bucket {BUCKET} not found"] + [f"public access block {key} is not true" for key in ACCESS_BLOCK],
    ),
    (
        "bucket-private",
        set_in(("buckets", 0, "public_access_block", "BlockPublicPolicy"), False),
        ["public access block BlockPublicPolicy is not true"],
    ),
    (
        "bucket-private",
        # amazon.aws 10 returns S3's answer whole
        set_in(
            ("buckets", 0, "public_access_block"),
            {
                "PublicAccessBlockConfiguration": {
                    **dict.fromkeys(ACCESS_BLOCK, True),
                    "IgnorePublicAcls": "true",
                }
            },
        ),
        ["public access block IgnorePublicAcls is not true"],
    ),
    (
        "bucket-private",
        set_in(("buckets", 0, "bucket_policy_status"), {"PolicyStatus": {"IsPublic": True}}),
        ["the bucket policy is public"],
    ),
    (
        "bucket-private",
        lambda d: d["buckets"][0]["bucket_acl"]["Grants"].append(
            {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"}
        ),
        [f"the ACL grants to {ALL_USERS}"],
    ),
    (
        "bucket-encrypted",
        set_in(("buckets", 0, "bucket_encryption"), {}),
        [f"no default encryption on bucket {BUCKET}"],
    ),
    (
        "bucket-encrypted",
        set_in(
            ("buckets", 0, "bucket_encryption", "Rules", 0, "ApplyServerSideEncryptionByDefault", "SSEAlgorithm"),
            "none",
        ),
        [f"no default encryption on bucket {BUCKET}"],
    ),
    (
        "stage-tags",
        lambda d: (d.update(functions=[], tables=[]), d["subnets"][0].update(tags={"Name": "x"})),
        [
            "relay table not found",
            "relay and app functions not found",
            f"subnet {PRIVATE_A} has no livestack:stage tag",
        ],
    ),
    (
        "stage-tags",
        lambda d: (
            d["buckets"][0].update(bucket_tagging={**TAGS, "livestack:stage": "prod"}),
            d["relay_roles"][1].update(tags={}),
        ),
        [f"IAM role {PREFIX}-app has no livestack:stage tag", f"bucket {BUCKET} is tagged with another stage"],
    ),
    (
        "stage-tags",
        # The main route table and the default group are AWS's, untagged; another route table is the stage's.
        lambda d: d["route_tables"][1].update(tags={}),
        [f"route table {PRIVATE_TABLE} has no livestack:stage tag"],
    ),
]


@pytest.mark.parametrize(
    ("rule", "change", "problems"), BROKEN, ids=[f"{case[0]}-{i}" for i, case in enumerate(BROKEN)]
)
def test_a_broken_stage_breaks_the_rule_with_its_problems(rule, change, problems):
    found = {result["rule"]: result["problems"] for result in posture.rules(broken(change))}
    assert found[rule] == problems


@pytest.mark.parametrize("rule", posture.RULES, ids=[rule.name for rule in posture.RULES])
def test_every_rule_has_a_breaking_case(rule):
    assert rule.name in {case[0] for case in BROKEN}
    assert rule.check(judged(STAGE)) == []
