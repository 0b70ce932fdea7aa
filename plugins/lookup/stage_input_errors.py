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

from typing import Any

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

# The rules live in module_utils/role_inputs.py.
from ansible_collections.livestack.aws.plugins.module_utils.role_inputs import RULES, VARIABLES, stage_input_errors


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
