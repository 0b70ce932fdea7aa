"""The bad-input catalogue (tests/integration/bad_inputs.yml), case by case, on the Python the roles call.

site.yml checks a role's input with three calls, all Python: the ``option_errors`` lookup (the role's argument spec,
strictly), the role's ``<role>_input_errors`` filter (its validate*.yml) and the ``stage_input_errors`` lookup (the
rules that span roles). Each case is given here the variables site.yml would see: the local inventory's, every
role's defaults (site.yml imports every role) and the ``aurora_user_names``/``aurora_database_names`` its
pre-phase sets, rendered by Ansible's own templar, then the case's vars as extra vars; the case's ``message`` must
be among the errors. The cases marked ``aws_facts`` need what the role looks up in AWS (regions, zones, an engine
version's capacity): the options alone must not refuse them, and test_bad_input.py runs them through site.yml.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.livestack.aws.plugins.filter.role_input_errors import FilterModule
from ansible_collections.livestack.aws.plugins.lookup.option_errors import role_options
from ansible_collections.livestack.aws.plugins.module_utils import role_inputs
from ansible_collections.livestack.aws.plugins.module_utils.inputs import option_errors

ROOT = Path(__file__).resolve().parents[2]
CASES = yaml.safe_load((ROOT / "tests" / "integration" / "bad_inputs.yml").read_text())
ROLES = ("network", "aurora", "client_vpn", "rds_proxy", "dev_relay")
# What each role's validate*.yml passes to its filter: the role's function, from the variables by name.
CHECKS = {
    "network": role_inputs.network_input_errors,
    "aurora": role_inputs.aurora_input_errors,
    "client_vpn": role_inputs.client_vpn_input_errors,
    "rds_proxy": role_inputs.rds_proxy_input_errors,
    "dev_relay": role_inputs.dev_relay_input_errors,
}


def _trusted(value: Any) -> Any:
    """Role defaults and inventory variables are trusted templates to Ansible (files of the collection)."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, list):
        return [_trusted(item) for item in value]
    if isinstance(value, dict):
        return {key: _trusted(item) for key, item in value.items()}
    return value


@functools.cache
def _defaults() -> dict[str, Any]:
    variables: dict[str, Any] = {}
    variables.update(yaml.safe_load((ROOT / "inventories" / "local" / "group_vars" / "all.yml").read_text()))
    for role in ROLES:
        variables.update(yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text()))
    # site.yml's pre-phase block vars.
    variables["aurora_user_names"] = "{{ aurora_users | map(attribute='name') | list }}"
    variables["aurora_database_names"] = "{{ aurora_databases }}"
    return variables


def defaults() -> dict[str, Any]:
    """The inventory's variables and every role's defaults, as site.yml sees them before extra vars."""
    return copy.deepcopy(_defaults())


role_options = functools.cache(role_options)


class SiteVariables(Mapping):
    """The variables of site.yml's pre-phase for ``extra_vars`` (given as tests/conftest.py gives them), each
    rendered by Ansible's templar when it is read, as Ansible renders a variable when it is used."""

    def __init__(self, extra_vars: dict[str, Any]) -> None:
        self._variables = _trusted(defaults())
        # Extra vars (conftest.py: the stage, and the directories of the tests) win, and are data, not templates.
        self._variables.update(
            {"livestack_stage": "badinput", "client_vpn_config_dir": "/tmp/livestack-tests/badinput", **extra_vars}
        )
        self._templar = Templar(loader=DataLoader(), variables=self._variables)

    def __getitem__(self, name: str) -> Any:
        return self._templar.template(self._variables[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._variables)

    def __len__(self) -> int:
        return len(self._variables)


def input_errors(role: str, extra_vars: dict[str, Any]) -> list[str]:
    """Every error site.yml's pre-phase reports for ``role`` (without what it looks up in AWS)."""
    values = SiteVariables(extra_vars)
    options = role_options(role)
    errors = option_errors(options, {name: values[name] for name in options if name in values})
    if errors:  # site.yml stops on these before any role's check runs
        return errors
    stage = {name: values[name] for name in role_inputs.VARIABLES if name in values}
    return CHECKS[role](values) + role_inputs.stage_input_errors(stage, [role] if role in role_inputs.RULES else [])


def case_id(case: dict) -> str:
    return f"{case['role']}:{sorted(case['vars'].items())}"


OPTION_CASES = [case for case in CASES if not case.get("aws_facts")]
FACT_CASES = [case for case in CASES if case.get("aws_facts")]


@pytest.mark.parametrize("role", ROLES)
def test_the_defaults_break_no_rule(role):
    assert input_errors(role, {}) == []


@pytest.mark.parametrize("case", OPTION_CASES, ids=map(case_id, OPTION_CASES))
def test_each_bad_input_is_refused_with_its_message(case):
    errors = input_errors(case["role"], case["vars"])
    assert any(case["message"] in " ".join(error.split()) for error in errors), errors


@pytest.mark.parametrize("case", FACT_CASES, ids=map(case_id, FACT_CASES))
def test_the_cases_marked_aws_facts_need_them(case):
    """The options alone let these through: only what the role looks up refuses them (test_bad_input.py)."""
    assert input_errors(case["role"], case["vars"]) == []


def test_every_role_has_a_case_and_a_filter():
    assert {case["role"] for case in CASES} == set(ROLES)
    filters = FilterModule().filters()
    assert {filters[f"{role}_input_errors"] for role in ROLES} == set(CHECKS.values())


@pytest.mark.parametrize(
    ("engine", "expected"),
    [
        (
            {"engine_version_found": False},
            "aurora_engine_version '8.0.mysql_aurora.3.08.2' is not an aurora-mysql version that"
            " DescribeDBEngineVersions knows in us-east-1",
        ),
        ({"engine_version_found": True, "serverless_v2_supported": False}, "has no Serverless v2"),
    ],
)
def test_aurora_refuses_an_engine_version_aws_does_not_offer(engine, expected):
    errors = role_inputs.aurora_input_errors(SiteVariables({}), engine)
    assert len(errors) == 1 and expected in errors[0], errors


def test_aurora_checks_the_capacity_against_the_engine_version():
    engine = {
        "engine_version_found": True,
        "serverless_v2_supported": True,
        "exportable_log_types": ["audit", "error", "general", "slowquery"],
        "supported_capacity": {"min_capacity": 0.5, "max_capacity": 128},
    }
    assert role_inputs.aurora_input_errors(SiteVariables({}), engine) == []
    errors = role_inputs.aurora_input_errors(SiteVariables({"aurora_max_capacity": 200}), engine)
    assert any("aurora_max_capacity 200 is above the 128 ACU" in error for error in errors), errors


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"aurora_backup_retention_period": 36}, "aurora_backup_retention_period 36 must be 1 to 35 days"),
        ({"aurora_reader_count": 16}, "aurora_reader_count 16 0 to 15"),
        ({"aurora_secret_recovery_window": 3}, "aurora_secret_recovery_window 3 0 or 7 to 30 days"),
        ({"aurora_port": 80}, "aurora_port 80 1150 to 65535"),
    ],
)
def test_aurora_ranges(changes, expected):
    errors = role_inputs.aurora_input_errors(SiteVariables(changes))
    assert any(expected in error for error in errors), errors


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"client_vpn_dns_servers": ["dns.example"]}, "client_vpn_dns_servers: 'dns.example' is not an IPv4 address"),
        ({"client_vpn_log_retention_days": 2}, "client_vpn_log_retention_days 2 is not a CloudWatch Logs retention"),
        ({"client_vpn_renew_days": 0}, "client_vpn_renew_days 0 must be positive"),
        ({"client_vpn_port": "1194"}, None),
    ],
)
def test_client_vpn_rules_beyond_the_catalogue(changes, expected):
    errors = role_inputs.client_vpn_input_errors(SiteVariables(changes))
    assert errors == [] if expected is None else any(expected in error for error in errors), errors


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"dev_relay_payload_expiry_days": 0}, "dev_relay_payload_expiry_days 0 must be at least 1"),
        ({"dev_relay_wait_delay": 0}, "dev_relay_wait_delay (0) must be at least 1 second"),
        ({"dev_relay_eni_wait_timeout": -1}, "dev_relay_eni_wait_timeout (-1) at least 0 seconds"),
        ({"dev_relay_db_ca_bundle_url": "http://127.0.0.1:5000/ca.pem"}, None),
        ({"dev_relay_db_ca_bundle_url": "file:///etc/ssl/bundle.pem"}, None),
        ({"dev_relay_app_timeout": "thirty"}, "dev_relay_app_timeout 'thirty' must be a whole number"),
    ],
)
def test_dev_relay_rules_beyond_the_catalogue(changes, expected):
    errors = role_inputs.dev_relay_input_errors(SiteVariables(changes))
    assert errors == [] if expected is None else any(expected in error for error in errors), errors


PROXY_FACTS = {
    "rds_proxy_secret_arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:livestack/aurora/master-AbCdEf",
    "rds_proxy_cluster_identifier": "livestack-badinput-aurora",
    "rds_proxy_cluster_resource_id": "cluster-ABCDEFGHIJ",
    "rds_proxy_master_username": "admin",
    "rds_proxy_auth_scheme": "IAM_AUTH",
    "rds_proxy_subnet_ids": ["subnet-1", "subnet-2"],
    "rds_proxy_security_group_id": "sg-1",
}


@pytest.mark.parametrize(
    ("changes", "check_mode", "expected"),
    [
        ({}, False, None),
        ({"rds_proxy_secret_arn": "", "rds_proxy_security_group_id": ""}, True, None),
        ({"rds_proxy_secret_arn": ""}, False, "the proxy needs rds_proxy_secret_arn (a Secrets Manager ARN, got '')"),
        ({"rds_proxy_cluster_resource_id": ""}, False, "for end-to-end IAM, rds_proxy_cluster_resource_id ('')"),
        (
            {"rds_proxy_auth_scheme": "SECRETS", "rds_proxy_master_username": ""},
            False,
            "rds_proxy_master_username ('')",
        ),
        ({"rds_proxy_subnet_ids": ["subnet-1"]}, True, "rds_proxy_subnet_ids (two, got 1)"),
        ({"rds_proxy_security_group_id": ""}, False, "and rds_proxy_security_group_id ('')"),
    ],
)
def test_rds_proxy_needs_the_cluster_and_network_facts(changes, check_mode, expected):
    errors = role_inputs.rds_proxy_fact_errors({**PROXY_FACTS, **changes}, check_mode)
    assert errors == [] if expected is None else any(expected in error for error in errors), errors


VPC = {
    "id": "vpc-1",
    "cidr_block": "11.0.0.0/16",
    "cidr_block_association_set": [{"cidr_block": "11.0.0.0/16"}, {"cidr_block": "100.64.0.0/16"}],
}


def subnet(subnet_id: str, zone: str, vpc_id: str = "vpc-1") -> dict[str, str]:
    return {"id": subnet_id, "vpc_id": vpc_id, "availability_zone": zone}


@pytest.mark.parametrize(
    ("cidr", "subnets", "expected"),
    [
        ("192.168.128.0/22", [subnet("subnet-a", "us-east-1a"), subnet("subnet-b", "us-east-1b")], None),
        (
            "100.64.0.0/22",
            [],
            "client_vpn_client_cidr '100.64.0.0/22' overlaps the CIDR 100.64.0.0/16 of VPC vpc-1:"
            " client addresses must not overlap the VPC",
        ),
        (
            "192.168.128.0/22",
            [subnet("subnet-a", "us-east-1a"), subnet("subnet-b", "us-east-1a")],
            "client_vpn_subnet_ids: subnets subnet-a and subnet-b are both in us-east-1a",
        ),
        (
            "192.168.128.0/22",
            [subnet("subnet-a", "us-east-1a"), subnet("subnet-b", "us-east-1b", "vpc-2")],
            "client_vpn_subnet_ids: subnet subnet-b is in VPC vpc-2, not in client_vpn_vpc_id vpc-1",
        ),
    ],
)
def test_client_vpn_against_the_vpc_as_it_exists(cidr, subnets, expected):
    values = {"client_vpn_vpc_id": "vpc-1", "client_vpn_client_cidr": cidr}
    errors = role_inputs.client_vpn_network_errors(values, [VPC], subnets)
    assert errors == [] if expected is None else len(errors) == 1 and expected in errors[0], errors


def test_client_vpn_without_a_vpc_checks_nothing_against_it():
    values = {"client_vpn_vpc_id": "", "client_vpn_client_cidr": "11.0.0.0/22"}
    assert role_inputs.client_vpn_network_errors(values, [], []) == []
