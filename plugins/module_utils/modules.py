# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""The module class of livestack.aws: amazon.aws's, with our collection name in the user agent."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.common import set_collection_info
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

LIVESTACK_COLLECTION_NAME = "livestack.aws"
LIVESTACK_COLLECTION_VERSION = "0.1.0"


class LivestackAWSModule(AnsibleAWSModule):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        set_collection_info(collection_name=LIVESTACK_COLLECTION_NAME, collection_version=LIVESTACK_COLLECTION_VERSION)

    def fail_on_errors(self, errors: list[str]) -> None:
        """Fail with every input error at once (joined in msg, listed in errors), before any change; else return."""
        if errors:
            self.fail_json(msg="; ".join(errors), errors=errors)
