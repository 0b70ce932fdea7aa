"""The input rules no AWS API checks for us: strict option types, log retention, local paths."""

from __future__ import annotations

import pytest

from ansible_collections.livestack.aws.plugins.module_utils.inputs import (
    AWS_ONLY_LOG_RETENTION_DAYS,
    LOG_RETENTION_DAYS,
    local_path_errors,
    log_retention_errors,
    option_errors,
)

OPTIONS = {
    "users": {"type": "list", "elements": "str", "default": ["me"], "description": "x"},
    "flag": {"type": "bool", "default": False},
    "tags": {"type": "dict", "default": {}},
    "state": {"type": "str", "choices": ["present", "absent"]},
    "port": {"type": "int"},
    "directory": {"type": "path"},
    "project": {"type": "str", "required": True},
}


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"users": ["alice", "bob"], "flag": True, "tags": {"a": "b"}, "state": "absent", "port": 3306},
        # What -e name=value gives: strings, which the roles convert (| bool, | int) after this check.
        {"flag": "false", "port": "3306"},
        {"flag": "no"},
        {"directory": "/home/me/.livestack"},
        {"directory": "~/.livestack"},
        {"unknown_option": "ignored", "project": "livestack"},
    ],
)
def test_good_values_have_no_errors(values):
    assert option_errors(OPTIONS, values) == []


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"users": "alice"},
            "users is 'alice', not a list: give a list, for example as JSON: -e '{\"users\": [\"alice\"]}'",
        ),
        ({"users": "alice,bob"}, "users is 'alice,bob', not a list"),
        ({"users": 7}, "users is 7, not a list: give a list, for example as JSON: -e '{\"users\": [...]}'"),
        ({"tags": "Owner=me"}, "tags is 'Owner=me', not a dict: give a mapping"),
        ({"flag": "maybe"}, "argument 'flag' is of type str and we were unable to convert to bool"),
        ({"port": "mysql"}, "argument 'port' is of type str and we were unable to convert to int"),
        ({"state": "gone"}, "value of state must be one of: present, absent, got: gone"),
        ({"directory": "relative/dir"}, "directory 'relative/dir' is a relative path: give an absolute one"),
    ],
)
def test_each_broken_rule_names_the_option(values, expected):
    errors = option_errors(OPTIONS, values)
    assert len(errors) == 1 and errors[0].startswith(expected), errors


def test_every_error_is_reported_and_a_refused_list_is_not_judged_again():
    errors = option_errors(OPTIONS, {"users": "alice", "tags": "x", "flag": "maybe", "directory": "rel"})
    assert [error.split(" ", 2)[:2] for error in errors] == [
        ["users", "is"],
        ["tags", "is"],
        ["argument", "'flag'"],
        ["directory", "'rel'"],
    ]


@pytest.mark.parametrize("days", [*LOG_RETENTION_DAYS, "30"])
def test_retentions_both_cloudwatch_and_amazon_aws_accept(days):
    assert log_retention_errors(days, "client_vpn_log_retention_days") == []


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (45, "client_vpn_log_retention_days 45 is not a CloudWatch Logs retention: use one of 1, 3, 5"),
        (0, "client_vpn_log_retention_days 0 is not a CloudWatch Logs retention"),
        ("month", "client_vpn_log_retention_days 'month' is not a number of days"),
        *[
            (days, f"client_vpn_log_retention_days {days} is a retention CloudWatch Logs accepts but amazon.aws's")
            for days in AWS_ONLY_LOG_RETENTION_DAYS
        ],
    ],
)
def test_retentions_that_would_make_amazon_aws_delete_the_log_group(days, expected):
    errors = log_retention_errors(days, "client_vpn_log_retention_days")
    assert len(errors) == 1 and errors[0].startswith(expected), errors


def test_relative_paths_are_refused_and_empty_ones_skipped():
    paths = {"a": "/abs", "b": "~/home", "c": "", "d": "rel", "e": "./here", "f": None}
    assert [error.split(" ", 1)[0] for error in local_path_errors(paths)] == ["d", "e"]
