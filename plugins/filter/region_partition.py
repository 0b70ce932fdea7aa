# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Filter ``region_partition``: the AWS partition of a region, from botocore's endpoint data.

Documented in region_partition.yml.
"""

from __future__ import annotations

from typing import Any

import botocore.session
from ansible.errors import AnsibleFilterError


def region_partition(region: str) -> str:
    """``aws``, ``aws-cn``, ``aws-us-gov``, ... for ``region`` (what ARNs of its resources hold)."""
    if not region:
        raise AnsibleFilterError("region_partition: no region given")
    return botocore.session.get_session().get_partition_for_region(str(region))


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"region_partition": region_partition}
