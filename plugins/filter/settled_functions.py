# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Filter ``settled_functions``: the Lambda functions that need no wait, from amazon.aws.lambda's results.

Documented in settled_functions.yml.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def settled_functions(results: Sequence[Mapping[str, Any]]) -> list[str]:
    """The names of the functions whose configuration, as amazon.aws.lambda read it last (after its change, if it made
    one), is ``Active`` with its last update ``Successful``: Lambda takes AddPermission, updates and invocations for
    them. A result without a configuration (check mode, a failure, a skipped item) settles nothing."""
    settled = []
    for result in results or []:
        configuration = (result.get("configuration") if isinstance(result, Mapping) else None) or {}
        if configuration.get("state") == "Active" and configuration.get("last_update_status") == "Successful":
            settled.append(str(configuration.get("function_name")))
    return settled


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"settled_functions": settled_functions}
