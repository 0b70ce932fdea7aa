"""livestack.aws.iam_roles_info: what iam_role, iam_policy and iam_managed_policy compare, read once."""

from __future__ import annotations

import json

from support.modules import run_module

from ansible_collections.livestack.aws.plugins.filter.unchanged_ids import unchanged_ids

MODULE = "livestack.aws.iam_roles_info"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
DOCUMENT = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


def test_roles_and_managed_policies_are_read_as_their_modules_compare_them(emulator):
    iam = emulator.client("iam")
    tags = [{"Key": "livestack:stage", "Value": "iaminfo"}]
    iam.create_role(RoleName="iaminfo-a", AssumeRolePolicyDocument=json.dumps(TRUST), Tags=tags)
    iam.put_role_policy(RoleName="iaminfo-a", PolicyName="inline", PolicyDocument=json.dumps(DOCUMENT))
    created = iam.create_policy(PolicyName="iaminfo-client", PolicyDocument=json.dumps(DOCUMENT), Tags=tags)
    arn = created["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="iaminfo-a", PolicyArn=arn)
    missing_arn = arn.replace("iaminfo-client", "iaminfo-missing")

    emulator.clear_requests()
    status, result = run_module(
        emulator, MODULE, {"roles": ["iaminfo-a", "iaminfo-missing"], "managed_policy_arns": [arn, missing_arn]}
    )
    assert status == "SUCCESS", result
    assert emulator.requests()["mutating"] == 0
    (role,) = result["roles"]
    assert role["role_name"] == "iaminfo-a"
    assert role["assume_role_policy_document"] == TRUST
    assert role["tags"] == {"livestack:stage": "iaminfo"}
    assert role["attached_policy_arns"] == [arn]
    assert role["inline_policies"] == {"inline": DOCUMENT}
    (policy,) = result["managed_policies"]
    assert (policy["policy_name"], policy["document"], policy["tags"]) == ("iaminfo-client", DOCUMENT, role["tags"])

    asked = [{"name": "iaminfo-a", "trust": TRUST, "tags": role["tags"], "managed_policies": [arn]}]
    assert unchanged_ids(result["roles"], "iam_roles", asked) == ["iaminfo-a"]
    iam.untag_role(RoleName="iaminfo-a", TagKeys=["livestack:stage"])  # drift
    _, again = run_module(emulator, MODULE, {"roles": ["iaminfo-a"]})
    assert unchanged_ids(again["roles"], "iam_roles", asked) == []
