# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Filter ``unchanged_ids``: the resources that need no change, from one describe per kind.

The rules live in ``module_utils/unchanged.py``. Documented in unchanged_ids.yml.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.livestack.aws.plugins.module_utils import unchanged

# kind: the rule, called with the described resources and what the role asks.
KINDS = {
    "vpc": lambda existing, asked: unchanged.unchanged_vpc(existing, asked["cidr"], asked["tags"]),
    "subnets": unchanged.unchanged_subnets,
    "internet_gateway": lambda existing, asked: unchanged.unchanged_internet_gateway(
        existing, asked["vpc_id"], asked["tags"]
    ),
    "nat_gateways": unchanged.unchanged_nat_gateways,
    "route_tables": unchanged.unchanged_route_tables,
    "security_groups": unchanged.unchanged_security_groups,
    "s3_bucket": unchanged.unchanged_bucket,
    "iam_roles": unchanged.unchanged_iam_roles,
    "iam_role_policies": unchanged.unchanged_iam_role_policies,
    "iam_managed_policies": unchanged.unchanged_iam_managed_policies,
    "aurora_cluster": unchanged.unchanged_aurora_cluster,
    "aurora_scaling": unchanged.unchanged_aurora_scaling,
}


def unchanged_ids(existing: Any, kind: str, asked: Any) -> Any:
    """``vpc``, ``internet_gateway`` and the aurora kinds: the id or ''; the IAM kinds: the unchanged names; the
    others: ids by name."""
    if kind not in KINDS:
        raise AnsibleFilterError(f"unchanged_ids: unknown kind '{kind}' ({', '.join(KINDS)})")
    return KINDS[kind](existing or [], asked)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"unchanged_ids": unchanged_ids}
