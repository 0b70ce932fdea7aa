"""The dev relay's IAM documents: exactly what each role needs, for its own stage, API and bucket only."""

from __future__ import annotations

import pytest

from ansible_collections.livestack.aws.plugins.filter.dev_relay_policies import FilterModule, dev_relay_policies
from ansible_collections.livestack.aws.plugins.module_utils import relay_iam

ACCOUNT = "123456789012"
VALUES = {
    "caller_arn": f"arn:aws-cn:sts::{ACCOUNT}:assumed-role/Developer/alice@example.com",
    "region": "cn-north-1",
    "prefix": "livestack-dev",
    "table": "livestack-dev-relay",
    "bucket": f"livestack-dev-relay-{ACCOUNT}",
    "api_id": "a1b2c3",
    "api_stage": "dev",
    "live": True,
    "developer_assumes_app_role": True,
}
LOGS = f"arn:aws-cn:logs:cn-north-1:{ACCOUNT}:log-group:/aws/lambda/livestack-dev-*"
EXECUTE_API = f"arn:aws-cn:execute-api:cn-north-1:{ACCOUNT}:a1b2c3/dev"
LAMBDA = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
LOGGING = {
    "Sid": "Logs",
    "Effect": "Allow",
    "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
    "Resource": [LOGS, f"{LOGS}:*"],
}
NETWORK = {
    "Sid": "VpcNetworkInterfaces",
    "Effect": "Allow",
    "Resource": "*",
    "Action": [
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
    ],
}


def test_the_relay_lambdas_use_their_table_and_the_connections_of_their_own_api_and_stage():
    policies = dev_relay_policies(VALUES)
    assert policies["relay_trust"] == {"Version": "2012-10-17", "Statement": [LAMBDA]}
    assert policies["relay"] == {
        "Version": "2012-10-17",
        "Statement": [
            LOGGING,
            {
                "Sid": "Registry",
                "Effect": "Allow",
                "Action": [
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:Query",
                ],
                "Resource": f"arn:aws-cn:dynamodb:cn-north-1:{ACCOUNT}:table/livestack-dev-relay",
            },
            {
                "Sid": "Connections",
                "Effect": "Allow",
                "Action": "execute-api:ManageConnections",
                "Resource": [f"{EXECUTE_API}/POST/@connections/*", f"{EXECUTE_API}/DELETE/@connections/*"],
            },
        ],
    }


def test_live_the_app_connects_to_the_relay_and_uses_the_payload_prefixes_and_the_developer_may_assume_it():
    policies = dev_relay_policies(VALUES)
    bucket = f"arn:aws-cn:s3:::livestack-dev-relay-{ACCOUNT}"
    assert policies["app"]["Statement"] == [
        LOGGING,
        NETWORK,
        {
            "Sid": "ConnectToRelay",
            "Effect": "Allow",
            "Action": "execute-api:Invoke",
            "Resource": f"{EXECUTE_API}/$connect",
        },
        {
            "Sid": "Payloads",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:GetObject"],
            "Resource": [f"{bucket}/requests/*", f"{bucket}/responses/*"],
        },
    ]
    developer = {
        "Sid": "LiveDeveloper",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws-cn:iam::{ACCOUNT}:role/Developer"},
        "Action": "sts:AssumeRole",
    }
    assert policies["app_trust"]["Statement"] == [LAMBDA, developer]


@pytest.mark.parametrize(
    ("live", "assumes", "app_statements"),
    [(False, True, [LOGGING, NETWORK]), ("false", "true", [LOGGING, NETWORK]), (True, False, None)],
    ids=["not-live", "strings", "not-asked"],
)
def test_only_lambda_assumes_the_app_role_unless_live_and_asked_and_only_live_it_reaches_the_relay(
    live, assumes, app_statements
):
    policies = dev_relay_policies({**VALUES, "live": live, "developer_assumes_app_role": assumes})
    assert policies["app_trust"]["Statement"] == [LAMBDA]
    if app_statements:
        assert policies["app"]["Statement"] == app_statements
    else:
        assert [s["Sid"] for s in policies["app"]["Statement"]] == [
            "Logs",
            "VpcNetworkInterfaces",
            "ConnectToRelay",
            "Payloads",
        ]


@pytest.mark.parametrize(
    ("caller", "principal"),
    [
        (f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/session", f"arn:aws:iam::{ACCOUNT}:role/Admin"),
        (f"arn:aws:iam::{ACCOUNT}:user/alice", f"arn:aws:iam::{ACCOUNT}:user/alice"),
    ],
)
def test_an_assumed_role_session_is_trusted_through_its_role(caller, principal):
    assert relay_iam.principal(caller) == principal


def test_the_filter_is_registered():
    assert FilterModule().filters() == {"dev_relay_policies": dev_relay_policies}
