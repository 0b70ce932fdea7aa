# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Filter ``replacement_errors``: a role compares what exists with what it was asked, before any change.

The rules live in ``module_utils/replacement.py``, one function per resource kind; this filter lets a
role apply them and name its own variables. Documented in replacement_errors.yml.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.livestack.aws.plugins.module_utils.replacement import (
    client_vpn_replacement_errors,
    rds_cluster_replacement_errors,
    subnet_replacement_errors,
    vpc_replacement_errors,
)


def replacement_errors(existing: Any, kind: str, asked: Any, names: dict[str, str] | None = None) -> list[str]:
    """One message per setting of ``existing`` that ``asked`` would change but AWS cannot change in place."""
    if kind == "vpc":
        return vpc_replacement_errors(existing or None, str(asked), (names or {}).get("cidr", "cidr_block"))
    if kind == "subnets":
        return subnet_replacement_errors(existing or [], asked)
    if kind == "rds_cluster":
        return rds_cluster_replacement_errors(existing or None, asked, names)
    if kind == "client_vpn":
        return client_vpn_replacement_errors(existing or None, asked, names)
    raise AnsibleFilterError(f"replacement_errors: unknown kind '{kind}' (vpc, subnets, rds_cluster, client_vpn)")


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"replacement_errors": replacement_errors}
