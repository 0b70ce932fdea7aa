# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Filter ``unchanged_ids``: the resources that need no change, from one describe per kind.

The rules live in ``module_utils/unchanged.py``. Documented in unchanged_ids.yml.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.livestack.aws.plugins.module_utils.unchanged import (
    unchanged_bucket,
    unchanged_internet_gateway,
    unchanged_nat_gateways,
    unchanged_route_tables,
    unchanged_security_groups,
    unchanged_subnets,
    unchanged_vpc,
)


def unchanged_ids(existing: Any, kind: str, asked: Any) -> Any:
    """``vpc``, ``internet_gateway``: the id or ''; the other kinds: the unchanged ones' ids by name."""
    if kind == "vpc":
        return unchanged_vpc(existing or [], asked["cidr"], asked["tags"])
    if kind == "subnets":
        return unchanged_subnets(existing or [], asked)
    if kind == "route_tables":
        return unchanged_route_tables(existing or [], asked)
    if kind == "security_groups":
        return unchanged_security_groups(existing or [], asked)
    if kind == "internet_gateway":
        return unchanged_internet_gateway(existing or [], asked["vpc_id"], asked["tags"])
    if kind == "nat_gateways":
        return unchanged_nat_gateways(existing or [], asked)
    if kind == "s3_bucket":
        return unchanged_bucket(existing or [], asked)
    raise AnsibleFilterError(
        f"unchanged_ids: unknown kind '{kind}'"
        " (vpc, subnets, internet_gateway, nat_gateways, route_tables, security_groups, s3_bucket)"
    )


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"unchanged_ids": unchanged_ids}
