# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: option_errors
version_added: 0.1.0
short_description: Check the options given to roles of this collection against the roles' argument specs, strictly
description:
  - For each role named, reads C(roles/<role>/meta/argument_specs.yml) of this collection and checks each of its
    options that is defined (extra vars, inventory, play or role variables) against its entry point C(main).
  - Stricter than Ansible's role argument validation, which leaves C(-e client_vpn_users=alice) a string (that a
    loop then walks letter by letter) and accepts C(Owner=me) for a dict; a list or a dict given as a string is
    refused here. Types, choices and list elements are checked by Ansible's own argument spec validator.
  - Returns one message per broken rule, naming the option; none when every option is fine.
  - Run it before anything changes (site.yml and teardown.yml do, for every role), so that a mistyped value
    stops the run instead of doing the opposite of what was asked.
author:
  - livestack developers (@livestack)
options:
  _terms:
    description: Names of roles of this collection (C(network), C(aurora), C(client_vpn), C(dev_relay), C(rds_proxy)).
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Refuse mistyped options of the network and aurora roles
  ansible.builtin.assert:
    that: errors | length == 0
    fail_msg: "{{ errors | join('; ') }}"
  vars:
    errors: "{{ query('livestack.aws.option_errors', 'network', 'aurora') }}"
"""

RETURN = r"""
_raw:
  description: One message per broken rule, naming the option and the rule.
  type: list
  elements: str
"""

from pathlib import Path
from typing import Any

import yaml
from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.livestack.aws.plugins.module_utils.inputs import option_errors

ROLES = Path(__file__).resolve().parents[2] / "roles"


def role_options(role: str) -> dict[str, dict[str, Any]]:
    spec = ROLES / role / "meta" / "argument_specs.yml"
    if not spec.is_file():
        raise AnsibleLookupError(f"option_errors: {role!r} is not a role of livestack.aws (no {spec})")
    return yaml.safe_load(spec.read_text())["argument_specs"]["main"]["options"]


class LookupModule(LookupBase):
    def run(self, terms: list[str], variables: dict[str, Any] | None = None, **kwargs: Any) -> list[str]:
        variables = variables or {}
        errors: list[str] = []
        for role in terms:
            options = role_options(role)
            given = {name: self._templar.template(variables[name]) for name in options if name in variables}
            errors += [error for error in option_errors(options, given) if error not in errors]
        return errors
