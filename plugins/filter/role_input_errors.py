# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Filters ``<role>_input_errors``: each role checks its options with its rules, which live once in
``module_utils/role_inputs.py`` (unit-tested there, case by case, on the bad-input catalogue). Documented in the .yml
file of each filter.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.livestack.aws.plugins.module_utils import role_inputs


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "network_input_errors": role_inputs.network_input_errors,
            "client_vpn_input_errors": role_inputs.client_vpn_input_errors,
            "client_vpn_network_errors": role_inputs.client_vpn_network_errors,
            "aurora_input_errors": role_inputs.aurora_input_errors,
            "rds_proxy_input_errors": role_inputs.rds_proxy_input_errors,
            "rds_proxy_fact_errors": role_inputs.rds_proxy_fact_errors,
            "dev_relay_input_errors": role_inputs.dev_relay_input_errors,
        }
