# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Filter ``deleted_items``: what a role's teardown deleted, from its registered task results, for the summary
teardown.yml prints. Documented in deleted_items.yml."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _label(result: Mapping[str, Any]) -> str:
    label = result.get("_ansible_item_label", result.get("item", ""))
    return str(label)


def deleted_items(results: Mapping[str, Any]) -> list[str]:
    """``results``: what was deleted (a kind, with its name for a single task) to the task's registered result.

    A result that changed is one line; a loop result gives a line per changed item (its label); a result listing
    the files it deleted (managed_files) gives one per file."""
    found = []
    for kind, result in results.items():
        if not isinstance(result, Mapping) or result.get("skipped"):
            continue
        if "results" in result:
            found += [f"{kind} {_label(item)}" for item in result["results"] if item.get("changed")]
        elif "deleted" in result:
            found += [f"{kind} {path}" for path in result["deleted"]]
        elif result.get("changed"):
            found.append(str(kind))
    return found


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"deleted_items": deleted_items}
