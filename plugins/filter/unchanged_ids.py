# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Filter ``unchanged_ids``: the resources that need no change, from one describe per kind.

The rules live in ``module_utils/unchanged.py``. Documented in unchanged_ids.yml.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.livestack.aws.plugins.module_utils.unchanged import (
    unchanged_aurora_cluster,
    unchanged_aurora_scaling,
    unchanged_bucket,
    unchanged_route_tables,
    unchanged_security_groups,
    unchanged_subnets,
    unchanged_vpc,
)


def unchanged_ids(existing: Any, kind: str, asked: Any) -> Any:
    """``vpc``, ``aurora_cluster``, ``aurora_scaling``: the id or ''; the other kinds: the unchanged ones' ids by
    name."""
    if kind == "vpc":
        return unchanged_vpc(existing or [], asked["cidr"], asked["tags"])
    if kind == "subnets":
        return unchanged_subnets(existing or [], asked)
    if kind == "route_tables":
        return unchanged_route_tables(existing or [], asked)
    if kind == "security_groups":
        return unchanged_security_groups(existing or [], asked)
    if kind == "s3_bucket":
        return unchanged_bucket(existing or [], asked)
    if kind == "aurora_cluster":
        return unchanged_aurora_cluster(existing or [], asked)
    if kind == "aurora_scaling":
        return unchanged_aurora_scaling(existing or [], asked)
    raise AnsibleFilterError(
        f"unchanged_ids: unknown kind '{kind}' (vpc, subnets, route_tables, security_groups, s3_bucket, aurora_cluster,"
        " aurora_scaling)"
    )


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"unchanged_ids": unchanged_ids}
