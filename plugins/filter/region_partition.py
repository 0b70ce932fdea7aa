# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Filter ``region_partition``: the AWS partition of a region, from botocore's endpoint data.

Documented in region_partition.yml.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from ansible.errors import AnsibleFilterError


@cache
def _session() -> Any:
    """One botocore session per process: its endpoint data is read once (and, with the livestack.aws.preload
    callback, once in the controller for every worker)."""
    import botocore.session  # the controller's, as amazon.aws's modules need it; imported here for ansible-doc

    return botocore.session.get_session()


def region_partition(region: str) -> str:
    """``aws``, ``aws-cn``, ``aws-us-gov``, ... for ``region`` (what ARNs of its resources hold)."""
    if not region:
        raise AnsibleFilterError("region_partition: no region given")
    try:
        session = _session()
    except ImportError as error:
        raise AnsibleFilterError("region_partition needs botocore on the controller (pip install botocore)") from error
    return session.get_partition_for_region(str(region))


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"region_partition": region_partition}
