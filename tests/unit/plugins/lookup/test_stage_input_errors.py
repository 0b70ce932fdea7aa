"""The rules that span roles: each broken rule names every variable it involves; a rule needs all its variables."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.livestack.aws.plugins.lookup.stage_input_errors import LookupModule, stage_input_errors

USERS = [{"name": "app", "grants": [{"database": "app", "privileges": ["ALL"]}]}, {"name": "reporting"}]
# The roles' defaults (dev_relay's and rds_proxy's as they evaluate once aurora's users are known).
DEFAULTS = {
    "network_vpc_cidr": "11.0.0.0/16",
    "network_private_subnet_cidrs": ["11.0.128.0/20", "11.0.144.0/20"],
    "network_public_subnet_cidr": "11.0.160.0/20",
    "network_nat_per_az": False,
    "network_public_subnet_b_cidr": "11.0.176.0/20",
    "client_vpn_client_cidr": "192.168.128.0/22",
    "aurora_state": "present",
    "aurora_with_proxy": True,
    "aurora_master_username": "admin",
    "aurora_users": USERS,
    "aurora_databases": ["app"],
    "rds_proxy_state": "present",
    "rds_proxy_auth_scheme": "IAM_AUTH",
    "rds_proxy_db_users": ["app", "reporting"],
    "dev_relay_state": "present",
    "dev_relay_db_user": "app",
    "dev_relay_db_name": "app",
}


def test_the_defaults_break_no_rule():
    assert stage_input_errors(DEFAULTS) == []
    assert stage_input_errors({}) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"network_vpc_cidr": "11.0.0.0/33"}, "network_vpc_cidr '11.0.0.0/33' must be an IPv4 network"),
        ({"network_vpc_cidr": "11.0.0.1/16"}, "no host bits set"),
        ({"network_vpc_cidr": "11.0.0.0/15"}, "with a prefix between /16 and /28"),
        ({"network_vpc_cidr": "garbage"}, "network_vpc_cidr 'garbage' must be an IPv4 network"),
        (
            {"network_private_subnet_cidrs": ["11.0.128.0/20", "12.0.0.0/20"]},
            "network_private_subnet_cidrs[1] '12.0.0.0/20' lies outside network_vpc_cidr '11.0.0.0/16'",
        ),
        (
            {"network_private_subnet_cidrs": ["11.0.128.0/20", "11.0.128.0/21"]},
            "network_private_subnet_cidrs[0] 11.0.128.0/20 overlaps network_private_subnet_cidrs[1] 11.0.128.0/21:"
            " subnets must not overlap",
        ),
        (
            {"network_public_subnet_cidr": "11.0.144.0/24"},
            "network_private_subnet_cidrs[1] 11.0.144.0/20 overlaps network_public_subnet_cidr 11.0.144.0/24",
        ),
        (
            {"network_nat_per_az": "true", "network_public_subnet_b_cidr": "11.0.160.0/20"},
            "network_public_subnet_cidr 11.0.160.0/20 overlaps network_public_subnet_b_cidr 11.0.160.0/20",
        ),
        (
            {"network_private_subnet_cidrs": ["11.0.128.0/20", "not-a-cidr"]},
            "network_private_subnet_cidrs[1] 'not-a-cidr' must be an IPv4 network",
        ),
        (
            {"network_private_subnet_cidrs": ["11.0.128.0/20"]},
            "network_private_subnet_cidrs must list exactly two CIDRs (private subnets A and B), got 1",
        ),
        (
            {"client_vpn_client_cidr": "192.168.128.0/24"},
            "client_vpn_client_cidr '192.168.128.0/24' must be an IPv4 network in CIDR notation (no host bits set)"
            " with a prefix between /12 and /22",
        ),
        (
            {"client_vpn_client_cidr": "11.0.0.0/22"},
            "client_vpn_client_cidr '11.0.0.0/22' overlaps network_vpc_cidr '11.0.0.0/16': client addresses must not"
            " overlap the VPC",
        ),
        (
            {"client_vpn_client_cidr": "11.0.0.0/12"},
            "client_vpn_client_cidr '11.0.0.0/12' overlaps network_vpc_cidr '11.0.0.0/16'",
        ),
        ({"aurora_state": "absent"}, "rds_proxy_state present needs aurora_state present"),
        ({"aurora_with_proxy": "false"}, "aurora_with_proxy false contradicts rds_proxy_state present"),
        (
            {"rds_proxy_db_users": ["app", "ghost"]},
            "rds_proxy_db_users[1] 'ghost' is not one of the users of aurora_users (app, reporting)",
        ),
        ({"dev_relay_db_user": "ghost"}, "dev_relay_db_user 'ghost' is not one of the users of aurora_users"),
        ({"dev_relay_db_name": "shop"}, "dev_relay_db_name 'shop' is not one of aurora_databases (app)"),
        (
            {"dev_relay_db_user": "reporting"},
            "aurora_users 'reporting' (dev_relay_db_user) has no grant on 'app' (dev_relay_db_name)",
        ),
        (
            {"rds_proxy_db_users": ["reporting"]},
            "dev_relay_db_user 'app' is not a user the proxy lets connect, rds_proxy_db_users (reporting)",
        ),
        (
            {"rds_proxy_auth_scheme": "SECRETS"},
            "dev_relay_db_user 'app' is not a user the proxy lets connect, aurora_master_username"
            " (rds_proxy_auth_scheme SECRETS) (admin)",
        ),
    ],
)
def test_each_broken_rule_is_named(changes, expected):
    errors = stage_input_errors({**DEFAULTS, **changes})
    assert any(expected in error for error in errors), errors


@pytest.mark.parametrize(
    "changes",
    [
        # A rule needs every variable it involves: the roles run alone give what they have.
        {"network_vpc_cidr": None, "client_vpn_client_cidr": "11.0.0.0/22"},
        {"aurora_users": [], "rds_proxy_db_users": ["ghost"], "dev_relay_db_user": "ghost", "rds_proxy_state": "info"},
        {"aurora_databases": [], "dev_relay_db_name": "shop"},
        # The relay is not converged, the proxy is kept as it is.
        {"dev_relay_state": "absent", "dev_relay_db_user": "ghost", "rds_proxy_state": "info"},
        # A proxy that is not end-to-end IAM lets connect the master user only, which aurora_users never lists.
        {"rds_proxy_auth_scheme": "SECRETS", "dev_relay_db_user": "admin"},
        {"network_nat_per_az": "false", "network_public_subnet_b_cidr": "11.0.160.0/20"},
        {"aurora_with_proxy": "no", "rds_proxy_state": "absent"},
        {"aurora_with_proxy": True, "rds_proxy_state": "absent"},
    ],
)
def test_a_rule_holds_or_is_not_checked(changes):
    values = {key: value for key, value in {**DEFAULTS, **changes}.items() if value is not None}
    assert stage_input_errors(values) == []


def test_every_broken_rule_is_reported_at_once():
    errors = stage_input_errors({**DEFAULTS, "client_vpn_client_cidr": "11.0.0.0/22", "dev_relay_db_name": "shop"})
    assert len(errors) == 2, errors


def lookup(variables, *roles):
    module = LookupModule()
    module._templar = SimpleNamespace(template=lambda value: value)
    return module.run(list(roles), variables)


def test_the_lookup_checks_the_rules_of_the_roles_named_with_the_variables_defined():
    bad = {**DEFAULTS, "client_vpn_client_cidr": "11.0.0.0/22", "dev_relay_db_name": "shop"}
    assert lookup(bad, "network") == []
    assert [error.split(" ")[0] for error in lookup(bad, "client_vpn", "dev_relay")] == [
        "client_vpn_client_cidr",
        "dev_relay_db_name",
    ]
    # Used alone, the client_vpn role may not know the VPC's CIDR from the network role's options.
    assert lookup({"client_vpn_client_cidr": "11.0.0.0/22"}, "client_vpn") == []


def test_the_lookup_refuses_an_unknown_role():
    with pytest.raises(AnsibleLookupError, match="no rules for aurora"):
        lookup(DEFAULTS, "aurora")


def test_the_users_the_aurora_role_published_win_over_its_options():
    """Run after the aurora role (or given its facts), the rules read what it published."""
    published = {**DEFAULTS, "aurora_user_names": ["app", "report"], "aurora_users": [{"name": "livestack"}]}
    assert stage_input_errors({**published, "rds_proxy_db_users": ["app", "report"]}) == []
    errors = stage_input_errors({**published, "rds_proxy_db_users": ["app", "reporting"]})
    assert errors == [
        "rds_proxy_db_users[1] 'reporting' is not one of the users of aurora_users (app, report): the proxy would"
        " let connect a user the cluster does not have"
    ]
    assert (
        "dev_relay_db_name 'app' is not one of aurora_databases (shop)"
        in stage_input_errors({**DEFAULTS, "aurora_database_names": ["shop"]})[0]
    )
