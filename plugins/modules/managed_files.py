#!/usr/bin/python
# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
# ruff: noqa: E402 -- Ansible modules import after DOCUMENTATION, EXAMPLES and RETURN

from __future__ import annotations

DOCUMENTATION = r"""
---
module: managed_files
version_added: 0.1.0
short_description: Delete only the local files this collection wrote, as a manifest records them
description:
  - Keeps a manifest (JSON) of the files a role wrote into a directory on the controller, each with the SHA-256 of
    what was written, so that a later run deletes only those and never a user's own file beside them.
  - With O(state=present), records O(files) (the files this run wrote; those missing are left out) and, with
    O(prune), deletes the files the manifest listed before that are no longer among them (a revoked developer's
    profile); without it, keeps them listed.
  - With O(state=absent), deletes every file the manifest lists, then the manifest, then the directory if the
    manifest says this collection created it and it is empty.
  - A listed file whose content changed since it was written is the user's now and is kept (returned in RV(kept)).
author:
  - livestack developers (@livestack)
options:
  manifest:
    description: Path of the manifest, in the directory whose files it lists.
    type: path
    required: true
  files:
    description: With O(state=present), the files this run wrote (absolute paths, in the manifest's directory).
    type: list
    elements: path
    default: []
  prune:
    description: With O(state=present), delete the listed files that are no longer among O(files).
    type: bool
    default: true
  created_directory:
    description:
      - Whether this run created the manifest's directory. Once recorded, the directory stays this collection's,
        and O(state=absent) removes it when nothing else is left in it.
    type: bool
    default: false
  state:
    description: C(present) records the files and deletes the ones no longer written; C(absent) deletes them all.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
"""

EXAMPLES = r"""
- name: Record the profiles written, delete those of developers who left
  livestack.aws.managed_files:
    manifest: ~/.livestack/livestack-dev/.livestack-manifest.json
    files:
      - ~/.livestack/livestack-dev/alice.ovpn

- name: Delete what the collection wrote there, and nothing else
  livestack.aws.managed_files:
    manifest: ~/.livestack/livestack-dev/.livestack-manifest.json
    state: absent
"""

RETURN = r"""
deleted:
  description: The files deleted (or that would be, in check mode).
  returned: always
  type: list
  elements: str
kept:
  description: Files the manifest lists whose content changed since they were written, left in place.
  returned: always
  type: list
  elements: str
files:
  description: The files the manifest lists after the run.
  returned: always
  type: list
  elements: str
"""

import hashlib
import json
import os
from typing import Any

from ansible.module_utils.basic import AnsibleModule


def digest(path: str) -> str | None:
    """SHA-256 of a regular file's content, None when there is no such file."""
    if not os.path.isfile(path) or os.path.islink(path):
        return None
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            sha.update(block)
    return sha.hexdigest()


def read_manifest(path: str) -> dict[str, Any]:
    if not os.path.exists(path):
        return {"files": {}, "created_directory": False}
    with open(path, encoding="utf-8") as handle:
        manifest = json.load(handle)
    return {"files": dict(manifest.get("files", {})), "created_directory": bool(manifest.get("created_directory"))}


def plan(
    recorded: dict[str, str], current: dict[str, str | None], written: list[str]
) -> tuple[dict[str, str], list[str], list[str]]:
    """What to record, delete and keep: ``recorded`` is the manifest's path to SHA-256, ``current`` the SHA-256 of
    each path now (None: gone), ``written`` the files this run wrote (all of them, for state absent: none)."""
    record = {path: current[path] for path in written if current.get(path)}
    deleted, kept = [], []
    for path, sha in sorted(recorded.items()):
        if path in record or current.get(path) is None:
            continue
        (deleted if current[path] == sha else kept).append(path)
    return record, deleted, kept


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "manifest": {"type": "path", "required": True},
            "files": {"type": "list", "elements": "path", "default": []},
            "prune": {"type": "bool", "default": True},
            "created_directory": {"type": "bool", "default": False},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        supports_check_mode=True,
    )
    manifest_path, state = os.path.abspath(module.params["manifest"]), module.params["state"]
    directory = os.path.dirname(manifest_path)
    written = [os.path.normpath(path) for path in module.params["files"]] if state == "present" else []
    outside = [path for path in written if not os.path.isabs(path) or os.path.dirname(path) != directory]
    if outside:
        module.fail_json(msg=f"files must be absolute paths in the manifest's directory {directory}: {outside}")
    try:
        manifest = read_manifest(manifest_path)
    except (OSError, ValueError) as error:
        module.fail_json(msg=f"cannot read the manifest {manifest_path}: {error}")
    # Only files of the manifest's own directory are ever deleted, whatever the manifest says.
    recorded = {path: sha for path, sha in manifest["files"].items() if os.path.dirname(path) == directory}
    current = {path: digest(path) for path in set(recorded) | set(written)}
    if state == "present" and not module.params["prune"]:
        written += [path for path, sha in recorded.items() if path not in written and current[path] == sha]
    record, deleted, kept = plan(recorded, current, written)
    created = manifest["created_directory"] or module.params["created_directory"]
    after = {"files": record, "created_directory": created}
    if state == "present":
        changed = bool(deleted) or after != manifest
    else:
        changed = bool(deleted) or os.path.exists(manifest_path)
    result: dict[str, Any] = {
        "changed": changed,
        "deleted": deleted,
        "kept": kept,
        "files": sorted(record),
        "diff": {"before": {"files": sorted(recorded)}, "after": {"files": sorted(record)}},
    }
    if changed and not module.check_mode:
        for path in deleted:
            os.remove(path)
        if state == "present":
            os.makedirs(directory, exist_ok=True)
            with open(manifest_path + ".tmp", "w", encoding="utf-8") as handle:
                json.dump(after, handle, indent=1, sort_keys=True)
            os.chmod(manifest_path + ".tmp", 0o600)
            os.replace(manifest_path + ".tmp", manifest_path)
        elif os.path.exists(manifest_path):
            os.remove(manifest_path)
            if created and os.path.isdir(directory) and not os.listdir(directory):
                os.rmdir(directory)
                result["deleted"] = deleted + [directory]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
