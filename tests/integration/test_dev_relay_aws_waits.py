"""The dev_relay and network roles against what AWS makes a client wait for (strict mode, windows made longer
here so that each is met for sure): IAM propagation, Lambda Pending and InProgress, the VPC function's network
interfaces deleted late (and only while its role exists), DependencyViolation meanwhile."""

from __future__ import annotations

import io
import json
import time
import zipfile

import pytest
from conftest import ansible_playbook, create_function, emulator_with, retried

pytestmark = [pytest.mark.playbook, pytest.mark.long]
STAGE = "awswaits"
TAGS = ("--tags", "network,dev_relay")
WINDOWS = {
    "iam_propagation": 20,  # longer than the tasks between iam_role and the functions, on a busy machine
    # Longer than the few tasks between a function's creation (or update) and the next call that needs it.
    "lambda_pending": 15,
    "lambda_pending_vpc": 20,
    "lambda_update": 15,
    "lambda_eni_deletion": 20,  # longer than deleting the four functions
}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


@pytest.fixture(scope="module")
def slow_aws(tmp_path_factory):
    with emulator_with(tmp_path_factory.mktemp("aws-waits"), json.dumps(WINDOWS)) as emulator:
        yield emulator


def run(emulator, playbook: str, *args: str):
    result = ansible_playbook(playbook, *args, stage=STAGE, port=emulator.port)
    assert result.rc == 0, result.output[-4000:]
    return result.output


def handler_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def lambda_interfaces(emulator, function: str) -> list[dict]:
    return emulator.client("ec2").describe_network_interfaces(
        Filters=[{"Name": "description", "Values": [f"AWS Lambda VPC ENI-{function}-*"]}]
    )["NetworkInterfaces"]


def test_converge_and_teardown_wait_for_what_aws_does_late(slow_aws):
    lambda_ = slow_aws.client("lambda")
    app = f"livestack-{STAGE}-app"
    output = run(slow_aws, "site.yml", *TAGS)
    # A new role is not yet assumable (the relay functions), a new policy not yet effective (the VPC app function).
    assert retried(output, "Deploy the relay functions"), output[-4000:]
    assert retried(output, "Deploy the app function in the private subnets"), output[-4000:]
    # A new function is Pending a while: the role waited before AddPermission (which AWS refuses meanwhile), and
    # ends with every function Active.
    configuration = lambda_.get_function_configuration(FunctionName=app)
    assert (configuration["State"], configuration["LastUpdateStatus"]) == ("Active", "Successful")
    subnets = configuration["VpcConfig"]["SubnetIds"]
    assert sorted(i["SubnetId"] for i in lambda_interfaces(slow_aws, app)) == sorted(subnets)

    # An update (the handler) leaves the app function InProgress (invocations run the previous code meanwhile): the
    # run ends once it is Successful.
    run(slow_aws, "site.yml", "--tags", "dev_relay", "-e", '{"dev_relay_live": false}')
    assert lambda_.get_function_configuration(FunctionName=app)["LastUpdateStatus"] == "Successful"

    # Teardown of the relay: the role of the app function stays until AWS has deleted its interfaces.
    output = run(slow_aws, "teardown.yml", "--tags", "dev_relay")
    assert retried(
        output, "Wait until AWS has deleted the app function's network interfaces (up to dev_relay_eni_wait_timeout)"
    )
    time.sleep(WINDOWS["lambda_eni_deletion"] + 1)
    assert lambda_interfaces(slow_aws, app) == [], "stranded: the role went before AWS deleted the interfaces"

    # A VPC function deleted by hand with its role just before the network's teardown: its interfaces stay (stranded)
    # and hold the app group and the subnets; the network role retries DependencyViolation, within its budget, and
    # once the role exists again AWS deletes them and the teardown ends.
    iam, ec2 = slow_aws.client("iam"), slow_aws.client("ec2")
    role = iam.create_role(RoleName="by-hand", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    group = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"livestack-{STAGE}-app"]}])
    vpc_config = {"SubnetIds": subnets, "SecurityGroupIds": [group["SecurityGroups"][0]["GroupId"]]}
    create_function(
        lambda_, timeout=60, FunctionName="by-hand", Runtime="python3.12", Role=role, Handler="app.handler",
        Code={"ZipFile": handler_zip()}, VpcConfig=vpc_config,
    )  # fmt: skip
    lambda_.delete_function(FunctionName="by-hand")
    iam.delete_role(RoleName="by-hand")
    stuck = ansible_playbook(
        "teardown.yml",
        "--tags",
        "network",
        stage=STAGE,
        port=slow_aws.port,
        extra_vars={"network_dependency_timeout": 3},
    )
    assert stuck.rc != 0 and "DependencyViolation" in stuck.output, stuck.output[-3000:]
    assert retried(
        stuck.output,
        "Delete the security groups (retrying while AWS reports dependencies, up to network_dependency_timeout)",
    )
    iam.create_role(RoleName="by-hand", AssumeRolePolicyDocument=json.dumps(TRUST))
    run(slow_aws, "teardown.yml", "--tags", "network")
    assert lambda_interfaces(slow_aws, "by-hand") == []
    assert ec2.describe_vpcs(Filters=[{"Name": "tag:livestack:stage", "Values": [STAGE]}])["Vpcs"] == []
