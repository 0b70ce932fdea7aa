# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""The IAM policy documents of the dev relay's two roles, once, in Python.

- The relay role (its three Lambdas): its own log groups, the registry table, and ``@connections`` of its own
  WebSocket API and stage only.
- The app role (the app function, or in live mode its stub): its log groups and its network interfaces in the
  VPC; live, also connecting to the relay (``$connect``) and the payload bucket's two prefixes. Its database user
  through the proxy is the rds_proxy role's managed client policy, not one of these.
- Both trust Lambda; live, the developer who converges the stage may also assume the app role
  (``livestack-relay --as-function-role``): an assumed-role session is trusted through its role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

VERSION = "2012-10-17"
NETWORK_INTERFACE_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)
_ASSUMED_ROLE = re.compile(r"^arn:([^:]+):sts::([0-9]+):assumed-role/([^/]+)/.*$")


def principal(caller_arn: str) -> str:
    """The IAM principal of a caller (GetCallerIdentity's Arn): an assumed-role session's role, else itself."""
    return _ASSUMED_ROLE.sub(r"arn:\1:iam::\2:role/\3", caller_arn)


@dataclass(frozen=True)
class Relay:
    """Where the relay lives: ``caller_arn`` is the converging identity (its partition and account are the stage's)."""

    caller_arn: str
    region: str
    prefix: str
    table: str
    bucket: str
    api_id: str
    api_stage: str
    live: bool
    developer_assumes_app_role: bool

    def arn(self, service: str, resource: str, regional: bool = True) -> str:
        """An ARN of the stage's partition; ``regional`` ones hold its region and account (S3's hold neither)."""
        parts = self.caller_arn.split(":")
        partition, account = parts[1], parts[4]
        where = f"{self.region}:{account}" if regional else ":"
        return f"arn:{partition}:{service}:{where}:{resource}"

    @property
    def execute_api(self) -> str:
        return self.arn("execute-api", f"{self.api_id}/{self.api_stage}")

    @property
    def logging(self) -> dict[str, Any]:
        log_groups = self.arn("logs", f"log-group:/aws/lambda/{self.prefix}-*")
        return {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [log_groups, f"{log_groups}:*"],
        }


def _lambda_trust() -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}


def relay_trust_policy() -> dict[str, Any]:
    return {"Version": VERSION, "Statement": [_lambda_trust()]}


def app_trust_policy(relay: Relay) -> dict[str, Any]:
    statements = [_lambda_trust()]
    if relay.live and relay.developer_assumes_app_role:
        statements.append(
            {
                "Sid": "LiveDeveloper",
                "Effect": "Allow",
                "Principal": {"AWS": principal(relay.caller_arn)},
                "Action": "sts:AssumeRole",
            }
        )
    return {"Version": VERSION, "Statement": statements}


def relay_policy(relay: Relay) -> dict[str, Any]:
    return {
        "Version": VERSION,
        "Statement": [
            relay.logging,
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
                "Resource": relay.arn("dynamodb", f"table/{relay.table}"),
            },
            {
                "Sid": "Connections",
                "Effect": "Allow",
                "Action": "execute-api:ManageConnections",
                "Resource": [
                    f"{relay.execute_api}/POST/@connections/*",
                    f"{relay.execute_api}/DELETE/@connections/*",
                ],
            },
        ],
    }


def app_policy(relay: Relay) -> dict[str, Any]:
    statements = [
        relay.logging,
        {"Sid": "VpcNetworkInterfaces", "Effect": "Allow", "Resource": "*", "Action": list(NETWORK_INTERFACE_ACTIONS)},
    ]
    if relay.live:
        bucket = relay.arn("s3", relay.bucket, regional=False)
        statements += [
            {
                "Sid": "ConnectToRelay",
                "Effect": "Allow",
                "Action": "execute-api:Invoke",
                "Resource": f"{relay.execute_api}/$connect",
            },
            {
                "Sid": "Payloads",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:GetObject"],
                "Resource": [f"{bucket}/requests/*", f"{bucket}/responses/*"],
            },
        ]
    return {"Version": VERSION, "Statement": statements}


def policies(relay: Relay) -> dict[str, dict[str, Any]]:
    """The four documents: ``relay_trust``, ``app_trust``, ``relay`` and ``app``."""
    return {
        "relay_trust": relay_trust_policy(),
        "app_trust": app_trust_policy(relay),
        "relay": relay_policy(relay),
        "app": app_policy(relay),
    }
