# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Filter ``dev_relay_policies``: the dev_relay role's IAM policy documents, built in Python.

The documents live once, in ``module_utils/relay_iam.py``. Documented in dev_relay_policies.yml.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.livestack.aws.plugins.module_utils.relay_iam import Relay, policies


def dev_relay_policies(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    flags = ("live", "developer_assumes_app_role")
    relay = Relay(**{key: boolean(value) if key in flags else str(value) for key, value in values.items()})
    return policies(relay)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"dev_relay_policies": dev_relay_policies}
