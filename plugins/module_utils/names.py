# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""The naming rules of the AWS services that hold a name the collection makes: once, for every check.

Each rule is its service's own (length and characters from the botocore model's shape, or the user guide
where the model has no pattern); ``errors(kind, name)`` says every rule ``name`` breaks, naming the service.
Sources:

- S3 bucket: S3 User Guide, "General purpose bucket naming rules" (3-63; lowercase letters, digits, dots,
  hyphens; a letter or digit first and last; no "..", no IP address form; not ``xn--``, ``sthree-``,
  ``amzn-s3-demo-`` first; not ``-s3alias``, ``--ol-s3``, ``.mrap``, ``--x-s3``, ``--table-s3`` last).
- IAM role (``roleNameType``: 1-64, ``[\\w+=,.@-]+``), managed policy (``policyNameType``: 1-128, same).
- Lambda function name: 1-64, ``[a-zA-Z0-9-_]`` (CreateFunction: "The length constraint applies only to the
  full ARN. If you specify only the function name, it is limited to 64 characters in length").
- RDS DB cluster and instance identifiers, DB proxy names: 1-63 letters, digits, hyphens, a letter first,
  no ``--``, no trailing hyphen (RDS User Guide, "Naming constraints"; CreateDBProxy DBProxyName).
- DB subnet group and cluster parameter group: 1-255 (RDS User Guide, "Naming constraints").
- DynamoDB table (``TableName``: 3-255, ``[a-zA-Z0-9_.-]+``), CloudWatch Logs group (``LogGroupName``: 1-512,
  ``[\\.\\-_/#A-Za-z0-9]+``), Secrets Manager secret (``NameType``: 1-512; letters, digits, ``/_+=.@-``),
  API Gateway v2 API name (at most 128, API Gateway quotas), EC2 and ACM ``Name`` tag values (at most 256).
"""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple


class Rule(NamedTuple):
    service: str
    least: int
    most: int
    characters: str  # a regular expression of one allowed character
    described: str  # the characters, as a person says them


_RDS = "letters, digits and hyphens, a letter first, no '--' and no trailing hyphen"

RULES = {
    "s3_bucket": Rule("S3 bucket name", 3, 63, r"[a-z0-9.-]", "lowercase letters, digits, dots and hyphens"),
    "iam_role": Rule("IAM role name", 1, 64, r"[\w+=,.@-]", "letters, digits and +=,.@_-"),
    "iam_policy": Rule("IAM managed policy name", 1, 128, r"[\w+=,.@-]", "letters, digits and +=,.@_-"),
    "lambda_function": Rule("Lambda function name", 1, 64, r"[a-zA-Z0-9_-]", "letters, digits, hyphens and _"),
    "rds_cluster": Rule("RDS DB cluster identifier", 1, 63, r"[a-zA-Z0-9-]", _RDS),
    "rds_instance": Rule("RDS DB instance identifier", 1, 63, r"[a-zA-Z0-9-]", _RDS),
    "rds_proxy": Rule("RDS Proxy name", 1, 63, r"[a-zA-Z0-9-]", _RDS),
    "rds_group": Rule("RDS DB subnet or parameter group name", 1, 255, r"[a-zA-Z0-9-]", _RDS),
    "dynamodb_table": Rule("DynamoDB table name", 3, 255, r"[a-zA-Z0-9_.-]", "letters, digits and _.-"),
    "log_group": Rule("CloudWatch Logs group name", 1, 512, r"[.\-_/#A-Za-z0-9]", "letters, digits and ._-/#"),
    "secret": Rule("Secrets Manager secret name", 1, 512, r"[A-Za-z0-9/_+=.@-]", "letters, digits and /_+=.@-"),
    "api": Rule("API Gateway API name", 1, 128, r".", "any characters"),
    "name_tag": Rule("Name tag value", 0, 256, r".", "any characters"),
}

_S3_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_S3_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def errors(kind: str, name: str) -> list[str]:
    """Every rule of the service ``kind`` (a key of RULES) that ``name`` breaks, each naming the service."""
    rule = RULES[kind]
    found = []
    if not rule.least <= len(name) <= rule.most:
        found.append(f"{rule.least} to {rule.most} characters (it has {len(name)})")
    bad = sorted(set(re.sub(rule.characters, "", name)))
    if bad:
        found.append(f"only {rule.described} (not {''.join(bad)!r})")
    if kind.startswith("rds") and name:
        if not name[0].isalpha():
            found.append("a letter first")
        if "--" in name or name.endswith("-"):
            found.append("no '--' and no trailing hyphen")
    if kind == "s3_bucket" and name:
        found += _bucket_errors(name)
    return [f"the {rule.service} {name!r} must have {what}" for what in found]


def _bucket_errors(name: str) -> list[str]:
    found = []
    if not (name[0].isalnum() and name[-1].isalnum()):
        found.append("a letter or digit first and last")
    if ".." in name:
        found.append("no two adjacent dots")
    try:
        ipaddress.IPv4Address(name)
        found.append("not the form of an IP address")
    except ValueError:
        pass
    found += [f"no reserved prefix {prefix!r}" for prefix in _S3_PREFIXES if name.startswith(prefix)]
    found += [f"no reserved suffix {suffix!r}" for suffix in _S3_SUFFIXES if name.endswith(suffix)]
    return found
