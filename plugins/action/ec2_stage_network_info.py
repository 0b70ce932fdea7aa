# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""The module ec2_stage_network_info, with the caller's group/amazon.aws.aws connection options.

See plugins/plugin_utils/action.py.
"""

from __future__ import annotations

from ansible_collections.livestack.aws.plugins.plugin_utils.action import ConnectionAction


class ActionModule(ConnectionAction):
    pass
