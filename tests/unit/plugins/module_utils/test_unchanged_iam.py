"""The IAM roles, inline policies and managed policies that amazon.aws's modules would leave as they are."""

from __future__ import annotations

import pytest

from ansible_collections.livestack.aws.plugins.filter.unchanged_ids import unchanged_ids

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Resource": "arn:t"}],
}
TAGS = {"livestack:stage": "dev", "Name": "livestack-dev-relay"}
ARN = "arn:aws:iam::123456789012:policy/livestack-dev-proxy-client-app"
ROLE = {
    "role_name": "livestack-dev-relay",
    "arn": "arn:aws:iam::123456789012:role/livestack-dev-relay",
    "description": "",
    "assume_role_policy_document": TRUST,
    "tags": TAGS,
    "attached_policy_arns": [ARN],
    "inline_policies": {"livestack-dev-relay": DOCUMENT},
}
ASKED = {"name": "livestack-dev-relay", "trust": TRUST, "tags": TAGS}


def test_a_role_as_asked_is_unchanged_whatever_the_order_of_its_documents():
    reordered = {**TRUST, "Statement": [{**TRUST["Statement"][0], "Action": ["sts:AssumeRole"]}]}
    assert unchanged_ids([{**ROLE, "assume_role_policy_document": reordered}], "iam_roles", [ASKED]) == [ASKED["name"]]
    assert unchanged_ids([ROLE], "iam_roles", [{**ASKED, "managed_policies": [ARN]}]) == [ASKED["name"]]


@pytest.mark.parametrize(
    ("change", "asked"),
    [
        ({"assume_role_policy_document": {**TRUST, "Statement": []}}, {}),
        ({"tags": {**TAGS, "extra": "x"}}, {}),
        ({"tags": {"Name": "livestack-dev-relay"}}, {}),
        ({}, {"description": "the relay"}),
        ({"attached_policy_arns": []}, {"managed_policies": [ARN]}),
        ({"attached_policy_arns": [ARN, "arn:aws:iam::aws:policy/AdministratorAccess"]}, {"managed_policies": [ARN]}),
    ],
)
def test_any_difference_iam_role_acts_on_makes_the_role_changed(change, asked):
    assert unchanged_ids([{**ROLE, **change}], "iam_roles", [{**ASKED, **asked}]) == []


def test_managed_policies_not_asked_are_left_as_they_are():
    assert unchanged_ids([{**ROLE, "attached_policy_arns": []}], "iam_roles", [ASKED]) == [ASKED["name"]]


def test_a_role_not_found_goes_to_its_module():
    assert unchanged_ids([], "iam_roles", [ASKED]) == []
    assert unchanged_ids([ROLE], "iam_roles", [ASKED, {**ASKED, "name": "other"}]) == [ASKED["name"]]


POLICY = {"role": "livestack-dev-relay", "name": "livestack-dev-relay", "document": DOCUMENT}


def test_inline_policies_as_asked_are_unchanged_and_others_go_to_iam_policy():
    assert unchanged_ids([ROLE], "iam_role_policies", [POLICY]) == ["livestack-dev-relay"]
    changed = {**DOCUMENT, "Statement": [{**DOCUMENT["Statement"][0], "Resource": "arn:other"}]}
    assert unchanged_ids([ROLE], "iam_role_policies", [{**POLICY, "document": changed}]) == []
    assert unchanged_ids([{**ROLE, "inline_policies": {}}], "iam_role_policies", [POLICY]) == []  # deleted
    assert unchanged_ids([], "iam_role_policies", [POLICY]) == []  # role not found


def test_an_inline_policy_the_role_must_not_have_is_unchanged_only_when_absent():
    absent = {"role": "livestack-dev-relay", "name": "old", "document": {}}
    assert unchanged_ids([ROLE], "iam_role_policies", [absent]) == ["old"]
    present = {**ROLE, "inline_policies": {"old": DOCUMENT}}
    assert unchanged_ids([present], "iam_role_policies", [absent]) == []


MANAGED = {"policy_name": "client-app", "arn": ARN, "description": "", "tags": TAGS, "document": DOCUMENT}


def test_managed_policies_as_asked_are_unchanged():
    asked = {"name": "client-app", "document": DOCUMENT, "tags": TAGS}
    assert unchanged_ids([MANAGED], "iam_managed_policies", [asked]) == ["client-app"]
    assert unchanged_ids([{**MANAGED, "tags": {}}], "iam_managed_policies", [asked]) == []
    assert unchanged_ids([{**MANAGED, "document": TRUST}], "iam_managed_policies", [asked]) == []
    assert unchanged_ids([], "iam_managed_policies", [asked]) == []
