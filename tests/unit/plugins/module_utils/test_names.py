"""The services' naming rules (module_utils/names.py)."""

from __future__ import annotations

import pytest

from ansible_collections.livestack.aws.plugins.module_utils.names import RULES, errors


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("s3_bucket", "abc"),
        ("s3_bucket", "a" * 63),
        ("s3_bucket", "livestack-dev-relay-123456789012"),
        ("s3_bucket", "my.bucket-1"),
        ("iam_role", "r" * 64),
        ("iam_role", "Role+=,.@_-1"),
        ("iam_policy", "p" * 128),
        ("lambda_function", "Fn_name-1" + "f" * 55),
        ("rds_cluster", "a" + "b" * 62),
        ("rds_proxy", "Proxy-1"),
        ("dynamodb_table", "t.a_b-c"),
        ("log_group", "/aws/lambda/x#1"),
        ("secret", "a/b_c+d=e.f@g-h"),
        ("api", "any name at all"),
    ],
)
def test_names_within_their_rules_pass(kind, name):
    assert errors(kind, name) == []


@pytest.mark.parametrize(
    ("kind", "name", "message"),
    [
        ("s3_bucket", "ab", "S3 bucket name 'ab' must have 3 to 63 characters (it has 2)"),
        ("s3_bucket", "a" * 64, "must have 3 to 63 characters (it has 64)"),
        ("s3_bucket", "Alice", "must have only lowercase letters, digits, dots and hyphens (not 'A')"),
        ("s3_bucket", "a_b", "(not '_')"),
        ("s3_bucket", "-ab", "a letter or digit first and last"),
        ("s3_bucket", "ab-", "a letter or digit first and last"),
        ("s3_bucket", "a..b", "no two adjacent dots"),
        ("s3_bucket", "192.168.5.4", "not the form of an IP address"),
        ("s3_bucket", "xn--abc", "no reserved prefix 'xn--'"),
        ("s3_bucket", "sthree-abc", "no reserved prefix 'sthree-'"),
        ("s3_bucket", "amzn-s3-demo-abc", "no reserved prefix 'amzn-s3-demo-'"),
        ("s3_bucket", "abc-s3alias", "no reserved suffix '-s3alias'"),
        ("s3_bucket", "abc--ol-s3", "no reserved suffix '--ol-s3'"),
        ("s3_bucket", "abc.mrap", "no reserved suffix '.mrap'"),
        ("s3_bucket", "abc--x-s3", "no reserved suffix '--x-s3'"),
        ("iam_role", "r" * 65, "IAM role name '" + "r" * 65 + "' must have 1 to 64 characters (it has 65)"),
        ("iam_role", "a b", "IAM role name 'a b' must have only letters, digits and +=,.@_- (not ' ')"),
        ("iam_policy", "p" * 129, "IAM managed policy name"),
        ("lambda_function", "f" * 65, "Lambda function name '" + "f" * 65 + "' must have 1 to 64 characters"),
        ("lambda_function", "a.b", "(not '.')"),
        ("rds_cluster", "1abc", "RDS DB cluster identifier '1abc' must have a letter first"),
        ("rds_cluster", "a--b", "no '--' and no trailing hyphen"),
        ("rds_instance", "ab-", "no '--' and no trailing hyphen"),
        ("rds_instance", "a_b", "RDS DB instance identifier 'a_b' must have only letters, digits and hyphens"),
        ("rds_proxy", "p" * 64, "RDS Proxy name"),
        ("dynamodb_table", "ab", "DynamoDB table name 'ab' must have 3 to 255 characters"),
        ("log_group", "a b", "CloudWatch Logs group name"),
        ("secret", "a b", "Secrets Manager secret name"),
        ("api", "a" * 129, "API Gateway API name"),
        ("name_tag", "a" * 257, "Name tag value"),
    ],
)
def test_names_breaking_a_rule_are_refused_naming_service_and_rule(kind, name, message):
    assert message in " ".join(errors(kind, name))


def test_every_rule_is_named_after_its_service():
    assert len({rule.service for rule in RULES.values()}) == len(RULES)
