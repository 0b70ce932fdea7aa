"""The emulator classifies and counts every API request by service, action and kind."""

from __future__ import annotations

import json
import threading
import urllib.error

import pytest

from livestack_emulator.requests import classify


def test_counts_reads_and_mutations_per_service(emulator):
    emulator.clear_requests()
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    ec2.describe_vpcs(VpcIds=[vpc])
    emulator.client("lambda").list_functions()
    emulator.client("logs").describe_log_groups()
    ec2.delete_vpc(VpcId=vpc)

    summary = emulator.requests(calls=True)
    actions = [(call["service"], call["action"], call["mutating"]) for call in summary["calls"]]
    assert actions == [
        ("ec2", "CreateVpc", True),
        ("ec2", "DescribeVpcs", False),
        ("lambda", "ListFunctions", False),
        ("logs", "DescribeLogGroups", False),
        ("ec2", "DeleteVpc", True),
    ]
    assert summary["mutating"] == 2
    assert summary["read"] == 3
    assert summary["by_service"]["ec2"] == {"mutating": 2, "read": 1}


def test_counts_the_stage_locks_writes_apart(emulator):
    """Writes to the stage locks' table (livestack.aws.stage_lock) change no stage: counted as stage_lock."""
    dynamodb = emulator.client("dynamodb", region="eu-north-1")  # a region no other test on this emulator uses
    for table in ("livestack-locks", "livestack-other-relay"):
        dynamodb.create_table(
            TableName=table,
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    emulator.clear_requests()
    for table in ("livestack-locks", "livestack-other-relay"):
        dynamodb.put_item(TableName=table, Item={"k": {"S": "x"}})
        dynamodb.get_item(TableName=table, Key={"k": {"S": "x"}})
    summary = emulator.requests(calls=True)
    kinds = [(c["action"], c["mutating"], c["stage_lock"]) for c in summary["calls"]]
    assert kinds == [
        ("PutItem", False, True),
        ("GetItem", False, False),
        ("PutItem", True, False),
        ("GetItem", False, False),
    ]
    assert (summary["mutating"], summary["stage_lock"], summary["read"]) == (1, 1, 2)
    assert summary["by_service"]["dynamodb"] == {"stage_lock": 1, "mutating": 1, "read": 2}
    for table in ("livestack-locks", "livestack-other-relay"):
        dynamodb.delete_table(TableName=table)


@pytest.mark.parametrize(
    ("service", "call", "expected"),
    [
        ("apigatewayv2", lambda c: c.get_apis(), ("apigatewayv2", "GetApis", False)),
        ("s3", lambda c: c.list_buckets(), ("s3", "ListBuckets", False)),
        ("secretsmanager", lambda c: c.list_secrets(), ("secretsmanager", "ListSecrets", False)),
        ("rds", lambda c: c.describe_db_clusters(), ("rds", "DescribeDBClusters", False)),
        ("iam", lambda c: c.list_roles(), ("iam", "ListRoles", False)),
    ],
)
def test_names_the_action_of_every_protocol(emulator, service, call, expected):
    emulator.clear_requests()
    call(emulator.client(service))
    recorded = emulator.requests(calls=True)["calls"]
    assert [(c["service"], c["action"], c["mutating"]) for c in recorded] == [expected]


def test_nat_gateway_tags_are_found_by_their_documented_resource_type(emulator):
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.0.0/24")["Subnet"]["SubnetId"]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(
        SubnetId=subnet,
        AllocationId=allocation,
        TagSpecifications=[{"ResourceType": "natgateway", "Tags": [{"Key": "Name", "Value": "n"}]}],
    )["NatGateway"]["NatGatewayId"]

    tags = ec2.describe_tags(
        Filters=[{"Name": "resource-id", "Values": [nat]}, {"Name": "resource-type", "Values": ["natgateway"]}]
    )["Tags"]
    assert [(t["Key"], t["Value"], t["ResourceType"]) for t in tags] == [("Name", "n", "natgateway")]


def test_reset_forgets_resources_and_counts(emulator):
    ec2 = emulator.client("ec2")
    ec2.create_vpc(CidrBlock="10.7.0.0/16")
    emulator.reset()
    assert emulator.requests()["total"] == 0
    assert [v for v in ec2.describe_vpcs()["Vpcs"] if v["CidrBlock"] == "10.7.0.0/16"] == []


def test_nat_gateways_are_filtered_by_tag(emulator):
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.6.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.6.0.0/24")["Subnet"]["SubnetId"]
    made = {}
    for stage in ("one", "two"):
        made[stage] = ec2.create_nat_gateway(
            SubnetId=subnet,
            AllocationId=ec2.allocate_address(Domain="vpc")["AllocationId"],
            TagSpecifications=[{"ResourceType": "natgateway", "Tags": [{"Key": "stage", "Value": stage}]}],
        )["NatGateway"]["NatGatewayId"]

    def found(filters):
        return {n["NatGatewayId"] for n in ec2.describe_nat_gateways(Filters=filters)["NatGateways"]}

    assert found([{"Name": "tag:stage", "Values": ["two"]}]) == {made["two"]}
    assert found([{"Name": "tag:stage", "Values": ["two"]}, {"Name": "vpc-id", "Values": [vpc]}]) == {made["two"]}
    assert found([{"Name": "tag-key", "Values": ["stage"]}, {"Name": "subnet-id", "Values": [subnet]}]) == set(
        made.values()
    )


def test_tripwire_carries_out_the_nth_mutation_and_holds_its_answer_until_disarmed(emulator):
    ec2 = emulator.client("ec2")
    emulator.arm_tripwire(after=2)
    first = ec2.create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
    ec2.describe_vpcs(VpcIds=[first])
    assert emulator.tripwire() == {"armed": True, "tripped": None}

    answered = threading.Event()
    held = threading.Thread(
        target=lambda: (ec2.create_vpc(CidrBlock="10.4.0.0/16"), answered.set()),
        daemon=True,
    )
    held.start()
    try:
        for _ in range(100):
            if emulator.tripwire()["tripped"]:
                break
            answered.wait(0.05)
        assert emulator.tripwire() == {"armed": False, "tripped": {"service": "ec2", "action": "CreateVpc"}}
        assert not answered.is_set()
        assert [v for v in ec2.describe_vpcs()["Vpcs"] if v["CidrBlock"] == "10.4.0.0/16"] != []
    finally:
        emulator.disarm_tripwire()
    held.join(timeout=30)
    assert answered.is_set()
    ec2.create_vpc(CidrBlock="10.3.0.0/16")  # answered at once: a tripwire trips once
    for vpc in ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.3.0.0/16", "10.4.0.0/16", "10.5.0.0/16"]}])[
        "Vpcs"
    ]:
        ec2.delete_vpc(VpcId=vpc["VpcId"])


def test_tripwire_refuses_a_count_below_one(emulator):
    with pytest.raises(urllib.error.HTTPError) as refused:
        emulator.arm_tripwire(after=0)
    assert refused.value.code == 400


@pytest.mark.parametrize(
    ("body", "mutating"),
    [
        ({"sql": "SELECT User, plugin FROM mysql.user"}, False),
        ({"sql": "  show grants for 'app'@'%'"}, False),
        ({"sql": "SELECT 1; DROP DATABASE app"}, True),
        ({"sql": "SHOW DATABASES; DROP DATABASE app"}, True),
        ({"sql": "SELECT * FROM t INTO OUTFILE '/tmp/x'"}, True),
        ({"sql": "SELECT * FROM t FOR UPDATE"}, True),
        ({"sql": "SELECT 1", "transactionId": "abc"}, True),
        ({"sql": "CREATE DATABASE app"}, True),
    ],
)
def test_a_data_api_statement_reads_only_when_its_sql_does(body, mutating):
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/Execute",
        "CONTENT_TYPE": "application/json",
        "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/rds-data/aws4_request",
    }
    request = classify(environ, json.dumps(body).encode())
    assert (request.service, request.action, request.mutating) == ("rds-data", "ExecuteStatement", mutating)
