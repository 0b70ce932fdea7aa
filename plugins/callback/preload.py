# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: preload
type: aggregate
version_added: 0.1.0
short_description: Loads the plugins the roles use once, in the controller, before the first task forks a worker
description:
  - ansible-core runs every task in a worker process forked from the controller, and loads filter, test, lookup
    and action plugins lazily, where they are first used. The controller itself renders few templates, so a
    plugin is loaded, and its collection's metadata parsed, again in each worker whose task uses it, and thrown
    away with the worker. A converge of this collection's roles runs about a hundred such tasks.
  - This callback loads, when the playbook starts, every filter, test, lookup and action plugin of this
    collection, ansible.builtin's filters and tests, and botocore's endpoint data (the C(region_partition)
    filter's), so that every worker inherits them from the controller instead.
  - It prints nothing and changes no result; without it the playbooks behave the same, only slower. The
    collection's C(ansible.cfg) enables it; enable it in yours with C(callbacks_enabled = livestack.aws.preload).
author:
  - livestack developers (@livestack)
requirements:
  - enabled in C(callbacks_enabled)
"""

from pathlib import Path

from ansible.plugins.callback import CallbackBase
from ansible.plugins.loader import action_loader, filter_loader, lookup_loader, test_loader

COLLECTION = "livestack.aws"
PLUGINS = Path(__file__).resolve().parent.parent
# The loaders of the plugins a task's worker loads, by the folder of plugins/ that holds ours, and the files that
# name them: a filter or test file may hold several, each documented in a file of its name.
LOADERS = {
    "filter": (filter_loader, "[!_]*.yml"),
    "test": (test_loader, "[!_]*.yml"),
    "lookup": (lookup_loader, "[!_]*.py"),
    "action": (action_loader, "[!_]*.py"),
}
# Loading one plugin of ansible.builtin loads them all (and parses ansible.builtin's routing metadata).
BUILTIN = {filter_loader: "ansible.builtin.bool", test_loader: "ansible.builtin.skipped"}


def preload() -> list[str]:
    """Load the plugins; the names of those that failed to load (a worker will try again, and report it)."""
    failed = []
    names = list(BUILTIN.items())
    for folder, (loader, pattern) in LOADERS.items():
        names += [(loader, f"{COLLECTION}.{path.stem}") for path in sorted((PLUGINS / folder).glob(pattern))]
    for loader, name in names:
        try:
            # An action plugin is instantiated per task, with the task: only its class is loaded here.
            found = loader.get(name, class_only=True) if loader is action_loader else loader.get(name)
            if found is None:
                failed.append(name)
        except Exception:  # noqa: BLE001 - a plugin that cannot load here fails where it is used, with its message
            failed.append(name)
    try:
        from ansible_collections.livestack.aws.plugins.filter.region_partition import region_partition

        region_partition("us-east-1")
    except Exception:  # noqa: BLE001 - as above: the filter reports it when used
        failed.append(f"{COLLECTION}.region_partition (botocore)")
    return failed


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "livestack.aws.preload"
    CALLBACK_NEEDS_ENABLED = True

    def v2_playbook_on_start(self, playbook) -> None:
        failed = preload()
        if failed:
            self._display.vvv(f"livestack.aws.preload: not loaded in the controller: {', '.join(failed)}")
