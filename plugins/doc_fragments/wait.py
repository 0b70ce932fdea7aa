# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)

from __future__ import annotations


class ModuleDocFragment:
    # Mirrors WAIT_ARG_SPEC in plugins/module_utils/waiters.py.
    DOCUMENTATION = r"""
options:
  wait:
    description:
      - Wait until the resource reaches its final state (available, associated, deleted, ...).
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait at most.
    type: int
    default: 900
"""
