# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Filter ``stage_idle_cost``: what the converged stage costs while nobody uses it, line by line.

The rule and the price table live once, in ``module_utils/cost.py``. Documented in stage_idle_cost.yml.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.livestack.aws.plugins.module_utils.cost import idle_cost, report


def stage_idle_cost(outputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    cost = idle_cost(outputs, region)
    return dict(cost, report=report(cost))


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"stage_idle_cost": stage_idle_cost}
