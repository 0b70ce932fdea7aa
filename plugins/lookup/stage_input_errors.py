# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: stage_input_errors
version_added: 0.1.0
short_description: Check the rules that span the options of several roles, before anything changes
description:
  - For each role named, checks its rules that involve the options of other roles (and the network's CIDRs),
    reading the variables by their own names; a rule is checked only when every variable it needs is defined, so
    that site.yml, which imports every role, checks them all, and a role used alone what it is given.
  - C(network) - C(network_vpc_cidr) /16 to /28; two C(network_private_subnet_cidrs) and C(network_public_subnet_cidr)
    (and C(network_public_subnet_b_cidr) with C(network_nat_per_az)), each /16 to /28, inside the VPC, not overlapping.
  - C(client_vpn) - C(client_vpn_client_cidr) /12 to /22, not overlapping C(network_vpc_cidr) (AWS refuses it).
  - C(rds_proxy) - C(rds_proxy_state) C(present) needs C(aurora_state) other than C(absent); C(aurora_with_proxy)
    is true with it; C(rds_proxy_db_users) are users of C(aurora_users).
  - C(dev_relay) - C(dev_relay_db_user) is one of C(aurora_users) (or the master user) with a grant on
    C(dev_relay_db_name), one of C(aurora_databases), and a user the proxy lets connect (C(rds_proxy_db_users) with
    C(rds_proxy_auth_scheme) C(IAM_AUTH), else C(aurora_master_username)).
  - Returns one message per broken rule, naming every variable it involves; none when every rule holds.
author:
  - livestack developers (@livestack)
options:
  _terms:
    description: Roles whose rules to check (C(network), C(client_vpn), C(rds_proxy), C(dev_relay)).
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Check the rules that span the roles
  ansible.builtin.assert:
    that: errors | length == 0
    fail_msg: "{{ errors | join('; ') }}"
  vars:
    errors: "{{ query('livestack.aws.stage_input_errors', 'network', 'client_vpn') }}"
"""

RETURN = r"""
_raw:
  description: One message per broken rule, naming the variables and the rule.
  type: list
  elements: str
"""

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

# AWS: a VPC and its subnets are /16 to /28; a Client VPN endpoint's client range /12 to /22.
VPC_PREFIXES = (16, 28)
CLIENT_VPN_PREFIXES = (12, 22)


def _truthy(value: Any) -> bool:
    """A boolean option as Ansible's ``bool`` filter reads it (the roles convert strings the same way)."""
    return str(value).strip().lower() in ("true", "yes", "on", "1", "y", "t")


def _network(value: Any) -> ipaddress.IPv4Network | None:
    try:
        return ipaddress.IPv4Network(str(value), strict=True) if "/" in str(value) else None
    except ValueError:
        return None


def cidr_errors(option: str, value: Any, prefixes: tuple[int, int]) -> list[str]:
    network = _network(value)
    if network is None or not prefixes[0] <= network.prefixlen <= prefixes[1]:
        return [
            f"{option} '{value}' must be an IPv4 network in CIDR notation (no host bits set) with a prefix between"
            f" /{prefixes[0]} and /{prefixes[1]}"
        ]
    return []


def _subnets(values: Mapping[str, Any]) -> list[tuple[str, Any]]:
    private = values.get("network_private_subnet_cidrs")
    subnets = [(f"network_private_subnet_cidrs[{index}]", cidr) for index, cidr in enumerate(private or [])]
    if "network_public_subnet_cidr" in values:
        subnets.append(("network_public_subnet_cidr", values["network_public_subnet_cidr"]))
    if _truthy(values.get("network_nat_per_az", False)) and "network_public_subnet_b_cidr" in values:
        subnets.append(("network_public_subnet_b_cidr", values["network_public_subnet_b_cidr"]))
    return subnets


def network_errors(values: Mapping[str, Any]) -> list[str]:
    """The VPC CIDR, two private subnets, the public subnet(s): valid, inside the VPC, not overlapping."""
    errors: list[str] = []
    vpc = None
    if "network_vpc_cidr" in values:
        errors += cidr_errors("network_vpc_cidr", values["network_vpc_cidr"], VPC_PREFIXES)
        vpc = None if errors else _network(values["network_vpc_cidr"])
    private = values.get("network_private_subnet_cidrs")
    if private is not None and (not isinstance(private, list) or len(private) != 2):
        count = len(private) if isinstance(private, list) else private
        errors.append(
            f"network_private_subnet_cidrs must list exactly two CIDRs (private subnets A and B), got {count}"
        )
        return errors
    valid: list[tuple[str, ipaddress.IPv4Network]] = []
    for option, cidr in _subnets(values):
        problems = cidr_errors(option, cidr, VPC_PREFIXES)
        errors += problems
        if problems:
            continue
        network = _network(cidr)
        if vpc is not None and not network.subnet_of(vpc):
            errors.append(f"{option} '{cidr}' lies outside network_vpc_cidr '{values['network_vpc_cidr']}'")
        valid.append((option, network))
    for index, (option, network) in enumerate(valid):
        for other, other_network in valid[index + 1 :]:
            if network.overlaps(other_network):
                errors.append(f"{option} {network} overlaps {other} {other_network}: subnets must not overlap")
    return errors


def client_vpn_errors(values: Mapping[str, Any]) -> list[str]:
    """The client range: /12 to /22, and not overlapping the VPC (AWS refuses an endpoint whose range does)."""
    if "client_vpn_client_cidr" not in values:
        return []
    cidr = values["client_vpn_client_cidr"]
    errors = cidr_errors("client_vpn_client_cidr", cidr, CLIENT_VPN_PREFIXES)
    vpc = _network(values.get("network_vpc_cidr", ""))
    if not errors and vpc is not None and _network(cidr).overlaps(vpc):
        errors.append(
            f"client_vpn_client_cidr '{cidr}' overlaps network_vpc_cidr '{values['network_vpc_cidr']}':"
            " client addresses must not overlap the VPC"
        )
    return errors


def _declared_users(values: Mapping[str, Any]) -> list[str]:
    """The aurora role's users: as it published them (aurora_user_names), else as declared (aurora_users)."""
    if isinstance(values.get("aurora_user_names"), list):
        return [str(name) for name in values["aurora_user_names"]]
    return [str(user.get("name", "")) for user in values.get("aurora_users") or [] if isinstance(user, Mapping)]


def _declared_databases(values: Mapping[str, Any]) -> list[str]:
    found = values.get("aurora_database_names", values.get("aurora_databases"))
    return [str(name) for name in found] if isinstance(found, list) else []


def proxy_errors(values: Mapping[str, Any]) -> list[str]:
    """The proxy against the cluster: its target exists, the warning flag agrees, it serves declared users."""
    errors: list[str] = []
    state = values.get("rds_proxy_state")
    if state == "present" and values.get("aurora_state") == "absent":
        errors.append(
            "rds_proxy_state present needs aurora_state present (or info): the proxy's target is the stage's"
            " Aurora cluster, which aurora_state absent deletes"
        )
    # The other way round (a proxy absent, aurora_with_proxy true) costs only a warning that does not apply.
    if state == "present" and "aurora_with_proxy" in values and not _truthy(values["aurora_with_proxy"]):
        errors.append(
            "aurora_with_proxy false contradicts rds_proxy_state present: the stage gets a proxy, which keeps"
            " connections to the cluster open; set aurora_with_proxy true (the aurora role then warns when that"
            " keeps a scale-to-zero cluster awake)"
        )
    declared = _declared_users(values)
    if state == "present" and declared and isinstance(values.get("rds_proxy_db_users"), list):
        for index, user in enumerate(values["rds_proxy_db_users"]):
            if user not in declared:
                errors.append(
                    f"rds_proxy_db_users[{index}] '{user}' is not one of the users of aurora_users"
                    f" ({', '.join(declared)}): the proxy would let connect a user the cluster does not have"
                )
    return errors


def relay_errors(values: Mapping[str, Any]) -> list[str]:
    """The relay's database user and database: declared by the aurora role, and reachable through the proxy."""
    if values.get("dev_relay_state", "present") != "present":
        return []
    errors: list[str] = []
    user, database = values.get("dev_relay_db_user"), values.get("dev_relay_db_name")
    users = [item for item in values.get("aurora_users") or [] if isinstance(item, Mapping)]
    declared = _declared_users(values)
    # The master user is not among aurora_users (it keeps its password), but a proxy that is not end-to-end IAM
    # lets connect only it.
    if user is not None and declared and user not in declared and user != values.get("aurora_master_username"):
        errors.append(
            f"dev_relay_db_user '{user}' is not one of the users of aurora_users ({', '.join(declared)}):"
            " the sample handler would connect as a user the cluster does not have"
        )
    databases = _declared_databases(values)
    if database is not None and databases and database not in databases:
        errors.append(
            f"dev_relay_db_name '{database}' is not one of aurora_databases ({', '.join(map(str, databases))})"
        )
    entry = next((item for item in users if item.get("name") == user), None)
    granted = [grant.get("database") for grant in (entry or {}).get("grants") or [] if isinstance(grant, Mapping)]
    if entry is not None and database in databases and database not in granted:
        errors.append(
            f"aurora_users '{user}' (dev_relay_db_user) has no grant on '{database}' (dev_relay_db_name):"
            " the sample handler could not use its database"
        )
    if values.get("rds_proxy_state") == "present" and user is not None:
        if values.get("rds_proxy_auth_scheme") == "IAM_AUTH":
            proxy_users, rule = values.get("rds_proxy_db_users") or declared, "rds_proxy_db_users"
        else:
            proxy_users = [values.get("aurora_master_username")]
            rule = f"aurora_master_username (rds_proxy_auth_scheme {values.get('rds_proxy_auth_scheme')})"
        if "rds_proxy_auth_scheme" in values and proxy_users and user not in proxy_users:
            errors.append(
                f"dev_relay_db_user '{user}' is not a user the proxy lets connect, {rule}"
                f" ({', '.join(map(str, proxy_users))}): the app function's IAM token would be refused"
            )
    return errors


RULES = {
    "network": network_errors,
    "client_vpn": client_vpn_errors,
    "rds_proxy": proxy_errors,
    "dev_relay": relay_errors,
}
VARIABLES = (
    "network_vpc_cidr",
    "network_private_subnet_cidrs",
    "network_public_subnet_cidr",
    "network_nat_per_az",
    "network_public_subnet_b_cidr",
    "client_vpn_client_cidr",
    "aurora_state",
    "aurora_with_proxy",
    "aurora_master_username",
    "aurora_users",
    "aurora_user_names",
    "aurora_databases",
    "aurora_database_names",
    "rds_proxy_state",
    "rds_proxy_auth_scheme",
    "rds_proxy_db_users",
    "dev_relay_state",
    "dev_relay_db_user",
    "dev_relay_db_name",
)


def stage_input_errors(values: Mapping[str, Any], roles: Iterable[str] = tuple(RULES)) -> list[str]:
    """Every rule of ``roles`` that the variables in ``values`` break, each message naming the variables."""
    return [error for role in roles for error in RULES[role](values)]


class LookupModule(LookupBase):
    def run(self, terms: list[str], variables: dict[str, Any] | None = None, **kwargs: Any) -> list[str]:
        unknown = sorted(set(terms) - set(RULES))
        if unknown:
            raise AnsibleLookupError(
                f"stage_input_errors: no rules for {', '.join(unknown)} (known: {', '.join(RULES)})"
            )
        variables = variables or {}
        values = {name: self._templar.template(variables[name]) for name in VARIABLES if name in variables}
        return stage_input_errors(values, terms)
