# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Filter ``stage_posture``: the verify role's posture rules, applied to what it read back.

The rules live once, in ``module_utils/posture.py``. Documented in stage_posture.yml.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.livestack.aws.plugins.module_utils.posture import Posture, rules


def stage_posture(
    described: Mapping[str, Sequence[Mapping[str, Any]]],
    prefix: str,
    stage: str,
    account: str,
    database_port: int = 3306,
    db_users: Sequence[str] = (),
) -> list[dict[str, Any]]:
    return rules(Posture(described, prefix, stage, str(account), int(database_port), list(db_users)))


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"stage_posture": stage_posture}
