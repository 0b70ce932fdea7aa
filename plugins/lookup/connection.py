# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: connection
version_added: 0.1.0
short_description: The AWS connection settings the user set, for every AWS module and lookup of the collection
description:
  - Returns one dict of amazon.aws's connection options (C(region), C(endpoint_url), C(profile), C(access_key),
    C(secret_key), C(session_token), C(aws_ca_bundle), C(validate_certs), C(aws_config)) holding only those whose
    variable C(livestack_<option>) is set (defined, not empty).
  - The roles give it to every module as C(module_defaults) of the group C(livestack.aws.connection), which
    the caller never sets itself, so that where the user set nothing the caller's own C(module_defaults)
    (C(group/amazon.aws.aws), C(group/livestack.aws.aws)) apply, and where the user set a variable it wins.
  - Lookups get no C(module_defaults); they take the dict as keyword arguments (C(for_lookups=true)).
author:
  - livestack developers (@livestack)
options:
  for_lookups:
    description:
      - Leave out the options amazon.aws's lookups do not take (C(aws_config), C(aws_ca_bundle), C(validate_certs)).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Every AWS module of the block gets the user's connection settings
  module_defaults:
    group/livestack.aws.connection: "{{ lookup('livestack.aws.connection') }}"
  block:
    - name: Read a secret with the same settings
      ansible.builtin.set_fact:
        secret: "{{ lookup('amazon.aws.secretsmanager_secret', 'name', **connection) }}"
      vars:
        connection: "{{ lookup('livestack.aws.connection', for_lookups=true) }}"
      no_log: true
"""

RETURN = r"""
_raw:
  description: One dict, the connection options set (empty when the user set none).
  type: list
  elements: dict
"""

from typing import Any

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.lookup import LookupBase

from ansible_collections.livestack.aws.plugins.module_utils.connection import OPTIONS, VARIABLE_PREFIX, settings


class LookupModule(LookupBase):
    def run(self, terms: list[Any], variables: dict[str, Any] | None = None, **kwargs: Any) -> list[dict[str, Any]]:
        variables = variables or {}
        names = [VARIABLE_PREFIX + option for option in OPTIONS]
        # Templated as one dict: a variable that templates to omit (an inventory's `... or omit` with no
        # AWS_PROFILE) drops out of it (ansible-core >= 2.19) or becomes the omit placeholder (before): not set.
        given = self._templar.template({name: variables[name] for name in names if name in variables})
        given = {name: value for name, value in given.items() if value != variables.get("omit")}
        return [settings(given, for_lookups=boolean(kwargs.get("for_lookups", False), strict=True))]
