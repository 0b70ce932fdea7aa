"""The stage's naming and ownership rules (module_utils/stage.py)."""

from __future__ import annotations

import pytest

from ansible_collections.livestack.aws.plugins.module_utils import names
from ansible_collections.livestack.aws.plugins.module_utils.stage import (
    STAGE_NAMES,
    name_errors,
    owner_error,
    payload_bucket,
    region_errors,
    tag_dict,
    teardown_report,
)


@pytest.mark.parametrize(
    ("project", "stage"), [("livestack", "alice"), ("livestack", "a-b"), ("p2", "0"), ("x", "dev-2")]
)
def test_good_names_pass(project, stage):
    assert name_errors(project, stage) == []


@pytest.mark.parametrize(
    ("project", "stage", "message"),
    [
        ("livestack", "Alice", "livestack_stage 'Alice' must be lowercase letters, digits and single hyphens"),
        ("livestack", "Alice", "Aurora identifiers ignore case, so 'Alice' would be 'alice'"),
        ("LiveStack", "dev", "livestack_project 'LiveStack' must be lowercase"),
        ("livestack", "a_b", "livestack_stage 'a_b' must be"),
        ("livestack", "a--b", "livestack_stage 'a--b' must be"),
        ("livestack", "dev-", "livestack_stage 'dev-' must be"),
        ("livestack", "", "livestack_stage '' must be"),
        ("livestack", "a.b", "livestack_stage 'a.b' must be"),
        (
            "1project",
            "dev",
            "digits and single hyphens, starting with a lowercase letter",
        ),
        ("livestack", 5, "livestack_stage 5 must be"),
        ("livestack", "a" * 64, "is 64 characters, longer than the 63 of a DNS label"),
        ("sthree-x", "dev", "the S3 bucket name 'sthree-x-dev-relay-<account id>' must have no reserved prefix"),
        # Each service's own rule, naming the option, the generated name, the service and the rule.
        ("livestack", "Alice", "make the S3 bucket name 'livestack-Alice-relay-<account id>' must have only lowercase"),
        ("livestack", "a_b", "make the RDS DB cluster identifier 'livestack-a_b-aurora' must have only letters"),
        ("livestack", "a_b", "make the S3 bucket name 'livestack-a_b-relay-<account id>' must have only lowercase"),
    ],
)
def test_bad_names_are_refused_naming_the_variable(project, stage, message):
    assert message in " ".join(name_errors(project, stage))


def test_the_longest_name_is_held_to_its_service_limit():
    # S3's 63 characters for <prefix>-relay-<12-digit account> bind first: project + stage at most 43 characters.
    assert name_errors("p" * 20, "s" * 23) == []
    errors = name_errors("p" * 20, "s" * 24)
    assert len(errors) == 1
    assert "S3 bucket name" in errors[0] and "must have 3 to 63 characters (it has 64)" in errors[0]
    assert "together they may be at most 43 characters" in errors[0]
    # Then Lambda's 64 for <prefix>-relay-disconnect, and the IAM role and RDS limits after it.
    errors = " ".join(name_errors("p" * 20, "s" * 27))
    assert "Lambda function name '" + "p" * 20 + "-" in errors and "(it has 65)" in errors
    assert "IAM role name" not in errors
    errors = " ".join(name_errors("p" * 20, "s" * 60))
    for service in ("IAM role name", "RDS DB cluster identifier", "RDS Proxy name", "RDS DB instance identifier"):
        assert f"the {service} " in errors


def test_every_generated_name_has_a_rule_that_can_refuse_it():
    reached = {
        kind
        for n in range(40, 600, 7)
        for error in name_errors("p", "s" * n)
        for kind, _ in STAGE_NAMES
        if f"the {names.RULES[kind].service} " in error
    }
    assert reached == {kind for kind, _ in STAGE_NAMES}


def test_the_payload_bucket_holds_the_account():
    assert payload_bucket("livestack-dev", "123456789012") == "livestack-dev-relay-123456789012"
    assert names.errors("s3_bucket", payload_bucket("p" * 20 + "-" + "s" * 23, "123456789012")) == []


def test_a_resource_is_owned_only_when_both_tags_say_so():
    ours = {"livestack:project": "livestack", "livestack:stage": "a-b", "Name": "x"}
    assert owner_error("aurora: db cluster", "livestack-a-b-aurora", ours, "livestack", "a-b") is None
    other = {"livestack:project": "livestack-a", "livestack:stage": "b"}
    assert owner_error("aurora: db cluster", "livestack-a-b-aurora", other, "livestack", "a-b") == (
        "aurora: db cluster livestack-a-b-aurora belongs to project livestack-a stage b (tags), not to project"
        " livestack stage a-b; refusing to change it"
    )
    untagged = owner_error("k", "n", {}, "p", "s")
    assert "carries no livestack:project and livestack:stage tags" in untagged
    assert untagged.endswith("(if it is this stage's, tag it livestack:project=p livestack:stage=s)")
    assert "belongs to project p stage None" in owner_error("k", "n", {"livestack:project": "p"}, "p", "s")


def test_tags_in_every_aws_form():
    assert tag_dict([{"Key": "a", "Value": "1"}]) == {"a": "1"}
    assert tag_dict([{"key": "a", "value": "1"}]) == {"a": "1"}
    assert tag_dict({"a": "1"}) == {"a": "1"}
    assert tag_dict(None) == {}


def test_teardown_report_says_what_was_found_deleted_and_kept():
    cluster = {"id": "c", "kind": "db_cluster", "name": "p-s-aurora"}
    secret = {"id": "s", "kind": "secret", "name": "p-s/aurora/master"}
    lines = teardown_report([cluster, secret], [secret | {"pending_deletion": True}])
    assert lines == [
        "found 2: db_cluster p-s-aurora, secret p-s/aurora/master",
        "deleted 1: db_cluster p-s-aurora",
        "kept in its recovery window 1: secret p-s/aurora/master",
        "still there 0: none",
    ]


def test_region_names_have_the_form_of_aws_ones():
    assert region_errors("eu-west-1") == [] and region_errors("us-gov-west-1") == []
    assert region_errors("Frankfurt") == ["livestack_region 'Frankfurt' is not an AWS region name (like eu-west-1)"]
