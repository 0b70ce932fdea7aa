"""The one connection contract: only the settings the user set, and the caller's group/amazon.aws.aws under them."""

from __future__ import annotations

from ansible_collections.livestack.aws.plugins.module_utils.connection import inherited, settings


def test_only_the_variables_set_become_settings():
    variables = {
        "livestack_region": "eu-west-1",
        "livestack_profile": "",  # AWS_PROFILE unset in the aws inventory
        "livestack_endpoint_url": None,
        "livestack_aws_config": {"retries": {"mode": "standard"}},
        "livestack_project": "livestack",  # not a connection setting
    }
    assert settings(variables) == {"region": "eu-west-1", "aws_config": {"retries": {"mode": "standard"}}}


def test_nothing_set_gives_no_settings():
    assert settings({}) == {}


def test_lookups_get_only_the_options_they_take():
    variables = {"livestack_access_key": "AKIA", "livestack_secret_key": "s", "livestack_aws_config": {"a": 1}}
    assert settings(variables, for_lookups=True) == {"access_key": "AKIA", "secret_key": "s"}


def test_the_callers_group_fills_in_what_the_task_does_not_set():
    assert inherited([{"profile": "dev", "region": "eu-west-1"}], {"region": "us-east-1"}) == {"profile": "dev"}


def test_an_alias_set_by_the_task_counts_as_set():
    assert inherited([{"aws_profile": "dev", "aws_region": "eu-west-1"}], {"aws_region": "us-east-1"}) == {
        "profile": "dev"
    }


def test_the_later_group_wins_and_other_keys_are_not_passed_on():
    groups = [{"profile": "one", "wait": True}, {"aws_profile": "two"}]
    assert inherited(groups, {}) == {"profile": "two"}
