# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""The action of every AWS module of livestack.aws (plugins/action/<module>.py): the module, with the caller's
``group/amazon.aws.aws`` defaults.

Ansible gives a module the ``module_defaults`` of the action groups it belongs to; ours belong to
``livestack.aws.aws`` (which extends amazon.aws's group) but cannot belong to ``amazon.aws.aws`` itself, so a play
that sets ``group/amazon.aws.aws: {profile: dev}`` would reach amazon.aws's modules of our roles and not ours.
This action passes that group's connection options (only those, and only those the task does not set under
any name) on to our modules too, so that one ``module_defaults`` of the caller serves every module of a role.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

from ansible_collections.livestack.aws.plugins.module_utils.connection import inherited

CALLER_GROUPS = ("group/amazon.aws.aws",)


class ConnectionAction(ActionBase):
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        wrap_async = self._task.async_val and not self._connection.has_native_async
        merged: dict = {}
        for defaults in self._task.module_defaults or []:
            merged.update(defaults)
        group_defaults = [self._templar.template(merged[group]) or {} for group in CALLER_GROUPS if group in merged]
        args = {**inherited(group_defaults, self._task.args), **self._task.args}
        result = merge_hash(result, self._execute_module(module_args=args, task_vars=task_vars, wrap_async=wrap_async))
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
