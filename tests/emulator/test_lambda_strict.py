"""Strict mode for Lambda (extensions/lambda_strict.py): IAM propagation, function states, VPC interfaces."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError
from conftest import emulator_with
from lambda_functions import TRUST, zip_code

# Windows short enough for a test, long enough to be met (seconds).
WINDOWS = {
    "iam_propagation": 2,
    "lambda_pending": 1,
    "lambda_pending_vpc": 2,
    "lambda_update": 1,
    "lambda_eni_deletion": 2,
}
CODE = zip_code("def handler(event, context):\n    return event\n")


@pytest.fixture(scope="module")
def strict_emulator(tmp_path_factory):
    with emulator_with(tmp_path_factory.mktemp("lambda-strict"), json.dumps(WINDOWS)) as emulator:
        yield emulator


def error_of(call, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def eventually(attempt, timeout: float = 10.0):
    """The result of ``attempt`` once it stops raising ClientError; how many attempts failed."""
    failures, deadline = 0, time.monotonic() + timeout
    while True:
        try:
            return attempt(), failures
        except ClientError:
            failures += 1
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def role(emulator, name: str) -> str:
    return emulator.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]


def network(emulator) -> tuple[list[str], str]:
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{n}.0/24")["Subnet"]["SubnetId"] for n in (1, 2)]
    group = ec2.create_security_group(VpcId=vpc, GroupName=f"app-{uuid.uuid4().hex[:6]}", Description="app")
    return subnets, group["GroupId"]


def spec(name: str, role_arn: str, **extra) -> dict:
    return {"FunctionName": name, "Runtime": "python3.12", "Role": role_arn, "Handler": "app.handler",
            "Code": {"ZipFile": CODE}, **extra}  # fmt: skip


def test_a_new_role_cannot_be_assumed_by_lambda_until_iam_has_propagated(strict_emulator):
    client = strict_emulator.client("lambda")
    arn = role(strict_emulator, "propagating")
    code, message = error_of(client.create_function, **spec("propagating", arn))
    assert (code, message) == (
        "InvalidParameterValueException",
        "The role defined for the function cannot be assumed by Lambda.",
    )
    created, failures = eventually(lambda: client.create_function(**spec("propagating", arn)))
    assert created["FunctionName"] == "propagating" and failures >= 1


def test_a_new_policy_is_not_yet_effective_for_a_vpc_function(strict_emulator):
    client, iam = strict_emulator.client("lambda"), strict_emulator.client("iam")
    arn = role(strict_emulator, "vpc-policy")
    subnets, group = network(strict_emulator)
    time.sleep(WINDOWS["iam_propagation"])  # the role has propagated; its policy is new
    statement = {"Effect": "Allow", "Action": "ec2:CreateNetworkInterface", "Resource": "*"}
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    iam.put_role_policy(RoleName="vpc-policy", PolicyName="eni", PolicyDocument=document)
    vpc = {"VpcConfig": {"SubnetIds": subnets, "SecurityGroupIds": [group]}}
    code, message = error_of(client.create_function, **spec("vpc-policy", arn, **vpc))
    assert code == "InvalidParameterValueException"
    assert message == "The provided execution role does not have permissions to call CreateNetworkInterface on EC2"
    # Outside a VPC the new policy does not matter.
    assert client.create_function(**spec("no-vpc-policy", arn))["FunctionName"] == "no-vpc-policy"
    eventually(lambda: client.create_function(**spec("vpc-policy", arn, **vpc)))


def test_a_new_function_is_pending_then_active_and_refuses_updates_and_invocations_meanwhile(strict_emulator):
    client = strict_emulator.client("lambda")
    arn = role(strict_emulator, "states")
    eventually(lambda: client.create_function(**spec("states", arn)))
    configuration = client.get_function_configuration(FunctionName="states")
    assert (configuration["State"], configuration["StateReasonCode"]) == ("Pending", "Creating")
    pending = (
        "The operation cannot be performed at this time. The function is currently in the following state: Pending"
    )
    assert error_of(client.update_function_code, FunctionName="states", ZipFile=CODE) == (
        "ResourceConflictException",
        pending,
    )
    assert error_of(client.invoke, FunctionName="states", Payload=b"{}") == ("ResourceConflictException", pending)
    client.get_waiter("function_active_v2").wait(FunctionName="states", WaiterConfig={"Delay": 0.2})
    assert client.get_function(FunctionName="states")["Configuration"]["State"] == "Active"
    assert json.loads(client.invoke(FunctionName="states", Payload=b'{"a": 1}')["Payload"].read()) == {"a": 1}

    client.update_function_configuration(FunctionName="states", Timeout=9)
    configuration = client.get_function_configuration(FunctionName="states")
    assert (configuration["State"], configuration["LastUpdateStatus"]) == ("Active", "InProgress")
    in_progress = (
        "The operation cannot be performed at this time. "
        f"An update is in progress for resource: {configuration['FunctionArn']}"
    )
    assert error_of(client.update_function_code, FunctionName="states", ZipFile=CODE) == (
        "ResourceConflictException",
        in_progress,
    )
    assert error_of(
        client.add_permission, FunctionName="states", StatementId="api", Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
    ) == ("ResourceConflictException", in_progress)  # fmt: skip
    assert client.invoke(FunctionName="states", Payload=b"{}")["StatusCode"] == 200  # the previous configuration runs
    client.get_waiter("function_updated_v2").wait(FunctionName="states", WaiterConfig={"Delay": 0.2})
    assert client.get_function_configuration(FunctionName="states")["LastUpdateStatus"] == "Successful"
    client.update_function_code(FunctionName="states", ZipFile=CODE)


def lambda_interfaces(emulator, name: str) -> list[dict]:
    return emulator.client("ec2").describe_network_interfaces(
        Filters=[{"Name": "description", "Values": [f"AWS Lambda VPC ENI-{name}-*"]}]
    )["NetworkInterfaces"]


def vpc_function(emulator, name: str) -> tuple[list[str], str]:
    client = emulator.client("lambda")
    subnets, group = network(emulator)
    arn = role(emulator, name)
    vpc = {"VpcConfig": {"SubnetIds": subnets, "SecurityGroupIds": [group]}}
    eventually(lambda: client.create_function(**spec(name, arn, **vpc)))
    configuration = client.get_function_configuration(FunctionName=name)
    assert configuration["State"] == "Pending"  # a VPC function a while longer
    client.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
    return subnets, group


def test_the_versions_a_new_function_and_an_update_publish_are_pending_and_in_progress_with_them(strict_emulator):
    client = strict_emulator.client("lambda")
    arn = role(strict_emulator, "published")
    created, _ = eventually(lambda: client.create_function(**spec("published", arn), Publish=True))
    assert (created["Version"], created["State"]) == ("1", "Pending")
    # amazon.aws.lambda reads the function back by the version it created.
    version = client.get_function(FunctionName="published", Qualifier="1")["Configuration"]
    assert (version["State"], version["LastUpdateStatus"]) == ("Pending", "InProgress")
    client.get_waiter("function_active_v2").wait(FunctionName="published", WaiterConfig={"Delay": 0.2})
    assert client.get_function(FunctionName="published", Qualifier="1")["Configuration"]["State"] == "Active"
    # So is the version an update of its code publishes: InProgress with the update.
    updated = client.update_function_code(FunctionName="published", ZipFile=CODE, Publish=True)
    version = client.get_function(FunctionName="published", Qualifier=updated["Version"])["Configuration"]
    assert (updated["Version"], version["LastUpdateStatus"]) == ("2", "InProgress")


def test_a_vpc_function_has_requester_managed_interfaces_that_aws_deletes_late(strict_emulator):
    ec2, client = strict_emulator.client("ec2"), strict_emulator.client("lambda")
    subnets, group = vpc_function(strict_emulator, "vpc-enis")
    interfaces = lambda_interfaces(strict_emulator, "vpc-enis")
    assert sorted(i["SubnetId"] for i in interfaces) == sorted(subnets)
    for interface in interfaces:
        assert interface["RequesterManaged"] is True and interface["InterfaceType"] == "lambda"
        assert [g["GroupId"] for g in interface["Groups"]] == [group]

    client.delete_function(FunctionName="vpc-enis")
    assert lambda_interfaces(strict_emulator, "vpc-enis"), "deleted with the function: AWS deletes them later"
    assert error_of(ec2.delete_security_group, GroupId=group)[0] == "DependencyViolation"
    assert error_of(ec2.delete_subnet, SubnetId=subnets[0])[0] == "DependencyViolation"
    _, failures = eventually(lambda: ec2.delete_security_group(GroupId=group))
    assert failures >= 1
    assert lambda_interfaces(strict_emulator, "vpc-enis") == []
    for subnet in subnets:
        ec2.delete_subnet(SubnetId=subnet)


def test_interfaces_stay_stranded_while_the_functions_role_is_gone(strict_emulator):
    ec2, iam = strict_emulator.client("ec2"), strict_emulator.client("iam")
    _, group = vpc_function(strict_emulator, "stranded")
    strict_emulator.client("lambda").delete_function(FunctionName="stranded")
    iam.delete_role(RoleName="stranded")
    time.sleep(WINDOWS["lambda_eni_deletion"] + 0.5)
    assert len(lambda_interfaces(strict_emulator, "stranded")) == 2
    assert error_of(ec2.delete_security_group, GroupId=group)[0] == "DependencyViolation"
    role(strict_emulator, "stranded")  # the role back: Lambda can delete them
    assert lambda_interfaces(strict_emulator, "stranded") == []
    ec2.delete_security_group(GroupId=group)


def test_health_lists_the_behaviours_and_windows(strict_emulator):
    import urllib.request

    with urllib.request.urlopen(f"{strict_emulator.url}/_livestack/health", timeout=10) as response:
        described = json.load(response)["strict"]
    assert {"iam_propagation", "lambda_states", "lambda_vpc_interfaces"} <= set(described["behaviours"])
    assert described["seconds"]["lambda_eni_deletion"] == WINDOWS["lambda_eni_deletion"]
