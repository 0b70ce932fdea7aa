# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Filter ``rds_cluster_input_errors``: Aurora input checked with the modules' own rules, naming the caller's variables.

The rules live once, in ``module_utils`` (``role_inputs.cluster_input_errors``, which applies those of
``module_utils/rds``). Documented in rds_cluster_input_errors.yml.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.livestack.aws.plugins.module_utils.role_inputs import (
    cluster_input_errors as rds_cluster_input_errors,
)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"rds_cluster_input_errors": rds_cluster_input_errors}
