# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Filter ``log_retention_errors``: a role checks a log retention with the rule of ``module_utils/inputs.py``
before amazon.aws's log group module sees it. Documented in log_retention_errors.yml."""

from __future__ import annotations

from typing import Any

from ansible_collections.livestack.aws.plugins.module_utils.inputs import log_retention_errors


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"log_retention_errors": log_retention_errors}
