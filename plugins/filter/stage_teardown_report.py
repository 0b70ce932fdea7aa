# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Filter ``stage_teardown_report``: what a teardown found and deleted (the rules in module_utils/stage.py)."""

from __future__ import annotations

from ansible_collections.livestack.aws.plugins.module_utils.stage import teardown_report


class FilterModule:
    def filters(self):
        return {"stage_teardown_report": teardown_report}
