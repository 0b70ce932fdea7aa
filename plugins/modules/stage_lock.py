#!/usr/bin/python
# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
# ruff: noqa: E402 - Ansible modules import after their DOCUMENTATION strings

from __future__ import annotations

DOCUMENTATION = r"""
---
module: stage_lock
short_description: One converge or teardown of a stage at a time, by a conditional write to DynamoDB
version_added: 0.1.0
description:
  - Takes or releases the lock of a stage, an item C(<project>/<stage>) of the DynamoDB table O(table) (created
    on first use, on-demand capacity, DynamoDB TTL on C(expires_at)).
  - Taking it is one conditional C(PutItem) (the item is absent or expired), atomic on AWS. A run that finds
    the lock held fails naming the holder's start time, host, process and playbook, or waits up to O(wait)
    seconds for it.
  - A lock left by a run that crashed expires O(ttl) seconds after it was taken; sooner when its holder ran
    on this host and its process is gone (a killed C(ansible-playbook)), then it is taken over at once,
    conditionally on being still that run's.
  - Releasing deletes the item only if it is still this run's (its O(token)).
  - In check mode nothing is written (no table, no item); a lock held by another run is reported as a warning.
author:
  - livestack developers (@livestack)
options:
  project:
    description: The project, C(livestack_project).
    type: str
    required: true
  stage:
    description: The stage, C(livestack_stage).
    type: str
    required: true
  state:
    description: C(acquired) takes the lock, C(released) gives it back.
    type: str
    choices: [acquired, released]
    default: acquired
  token:
    description: What O(state=acquired) returned; required with O(state=released).
    type: str
  ttl:
    description: Seconds after which a lock not released (a crashed run) expires.
    type: int
    default: 7200
  wait:
    description: Seconds to wait for a lock held by another run before failing; 0 fails at once.
    type: int
    default: 0
  playbook:
    description: What holds the lock, for the message another run shows.
    type: str
    default: ansible-playbook
  table:
    description: The DynamoDB table of the locks (one per account and region, shared by all stages).
    type: str
    default: livestack-locks
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode).
    support: none
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Converge the stage under its lock
  block:
    - name: Take the lock of the stage
      livestack.aws.stage_lock:
        project: livestack
        stage: alice
      register: lock
    # ... the roles ...
  always:
    - name: Release the lock of the stage
      livestack.aws.stage_lock:
        project: livestack
        stage: alice
        state: released
        token: "{{ lock.token }}"
      when: lock.token | default('') | length > 0
"""

RETURN = r"""
token:
  description: This run's token (empty in check mode and after release).
  returned: always
  type: str
lock:
  description: The lock as stored (key, token, started, host, pid, playbook, expires_at).
  returned: when acquired
  type: dict
"""

import datetime
import os
import socket
import time
import uuid

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.livestack.aws.plugins.module_utils.modules import LivestackAWSModule

KEY = "lock_key"
CONDITION_FAILED = "ConditionalCheckFailedException"


def _process_start(pid: int) -> str:
    """The start time of process ``pid`` (clock ticks since boot), '' if there is none: tells a reused pid apart."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def _playbook_process() -> tuple[int, str]:
    """The ansible-playbook process this module runs under (pid, start), or the parent where /proc has none.

    The topmost one: Ansible's workers are forks of it with the same command line, and end with each task.
    """
    found, pid = os.getppid(), os.getppid()
    while pid > 1:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if b"ansible-playbook" in cmdline.read():
                    found = pid
            with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
                pid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return found, _process_start(found)


def _iso(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _plain(item: dict) -> dict:
    return {key: value.get("S", value.get("N")) for key, value in item.items()}


class StageLock:
    def __init__(self, module: LivestackAWSModule) -> None:
        self.module = module
        params = module.params
        self.table = params["table"]
        self.key = f"{params['project']}/{params['stage']}"
        self.dynamodb = module.client("dynamodb")

    def stored(self) -> dict | None:
        try:
            item = self.dynamodb.get_item(TableName=self.table, Key={KEY: {"S": self.key}}, ConsistentRead=True)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ResourceNotFoundException":
                return None
            raise
        return _plain(item["Item"]) if "Item" in item else None

    def ensure_table(self) -> None:
        try:
            self.dynamodb.describe_table(TableName=self.table)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            try:
                self.dynamodb.create_table(
                    TableName=self.table,
                    AttributeDefinitions=[{"AttributeName": KEY, "AttributeType": "S"}],
                    KeySchema=[{"AttributeName": KEY, "KeyType": "HASH"}],
                    BillingMode="PAY_PER_REQUEST",
                    Tags=[{"Key": "Name", "Value": self.table}, {"Key": "livestack:purpose", "Value": "stage locks"}],
                )
            except ClientError as error:
                if error.response["Error"]["Code"] != "ResourceInUseException":  # another run created it meanwhile
                    raise
            self.dynamodb.get_waiter("table_exists").wait(TableName=self.table, WaiterConfig={"Delay": 2})
        # Also after a run killed between creating the table and this: DynamoDB removes expired locks itself.
        ttl = self.dynamodb.describe_time_to_live(TableName=self.table)["TimeToLiveDescription"]
        if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            self.dynamodb.update_time_to_live(
                TableName=self.table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
            )

    def put(self, item: dict, condition: str, values: dict) -> bool:
        """PutItem under ``condition`` (#key, #token name the key and token attributes); False if it does not hold."""
        names = {"#key": KEY, "#token": "token"}
        try:
            self.dynamodb.put_item(
                TableName=self.table,
                Item={
                    key: {"N": str(value)} if isinstance(value, int) else {"S": value} for key, value in item.items()
                },
                ConditionExpression=condition,
                ExpressionAttributeNames={name: value for name, value in names.items() if name in condition},
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == CONDITION_FAILED:
                return False
            raise
        return True

    def abandoned(self, held: dict) -> bool:
        """Whether the holder ran on this host and its process is gone (killed: it cannot release)."""
        if held.get("host") != socket.gethostname():
            return False
        try:
            pid = int(held.get("pid", "0"))
        except ValueError:
            return False
        return pid > 0 and _process_start(pid) != held.get("pid_start", "")

    def refusal(self, held: dict) -> str:
        return (
            f"stage {self.key} is locked by another run: {held.get('playbook')} started {held.get('started')} on host"
            f" {held.get('host')} (pid {held.get('pid')}), lock expiring {_iso(int(held.get('expires_at', 0)))};"
            f" wait for it to end (or set stage_lock_wait to seconds to wait); if that run is gone, the lock"
            f" expires by itself, or delete item {KEY}={self.key} of DynamoDB table {self.table}"
        )

    def acquire(self) -> dict:
        params = self.module.params
        if self.module.check_mode:
            held = self.stored()
            if held and int(held.get("expires_at", 0)) >= time.time() and not self.abandoned(held):
                self.module.warn(self.refusal(held) + " (check mode: predicted against a stage being changed)")
            return {"changed": False, "token": ""}
        self.ensure_table()
        deadline = time.monotonic() + params["wait"]
        pid, pid_start = _playbook_process()
        while True:
            now = int(time.time())
            item = {
                KEY: self.key,
                "token": uuid.uuid4().hex,
                "started": _iso(now),
                "host": socket.gethostname(),
                "pid": str(pid),
                "pid_start": pid_start,
                "playbook": params["playbook"],
                "expires_at": now + params["ttl"],
            }
            if self.put(item, "attribute_not_exists(#key) OR expires_at < :now", {":now": {"N": str(now)}}):
                return {"changed": True, "token": item["token"], "lock": item}
            held = self.stored()
            if held is None:
                continue  # released in between
            if held["token"] == item["token"]:  # a retried PutItem whose first attempt was written after all
                return {"changed": True, "token": item["token"], "lock": item}
            if self.abandoned(held) and self.put(item, "#token = :token", {":token": {"S": held["token"]}}):
                self.module.warn(
                    f"took over the lock of stage {self.key} left by a killed run started {held['started']}"
                )
                return {"changed": True, "token": item["token"], "lock": item}
            if time.monotonic() >= deadline:
                self.module.fail_json(msg=self.refusal(held), holder=held)
            time.sleep(min(5.0, max(0.5, deadline - time.monotonic())))

    def release(self) -> dict:
        token = self.module.params["token"]
        if not token:
            self.module.fail_json(msg="token is required with state=released (what state=acquired returned)")
        if self.module.check_mode:
            return {"changed": False, "token": ""}
        try:
            self.dynamodb.delete_item(
                TableName=self.table,
                Key={KEY: {"S": self.key}},
                ConditionExpression="#token = :token",
                ExpressionAttributeNames={"#token": "token"},
                ExpressionAttributeValues={":token": {"S": token}},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] not in (CONDITION_FAILED, "ResourceNotFoundException"):
                raise
            self.module.warn(f"the lock of stage {self.key} was no longer this run's (it expired): left as it is")
            return {"changed": False, "token": ""}
        return {"changed": True, "token": ""}


def main() -> None:
    module = LivestackAWSModule(
        argument_spec={
            "project": {"type": "str", "required": True},
            "stage": {"type": "str", "required": True},
            "state": {"type": "str", "choices": ["acquired", "released"], "default": "acquired"},
            "token": {"type": "str", "no_log": False},
            "ttl": {"type": "int", "default": 7200},
            "wait": {"type": "int", "default": 0},
            "playbook": {"type": "str", "default": "ansible-playbook"},
            "table": {"type": "str", "default": "livestack-locks"},
        },
        supports_check_mode=True,
    )
    for option in ("ttl", "wait"):
        if module.params[option] < (1 if option == "ttl" else 0):
            module.fail_json(msg=f"{option} must be a number of seconds, at least {1 if option == 'ttl' else 0}")
    lock = StageLock(module)
    try:
        result = lock.acquire() if module.params["state"] == "acquired" else lock.release()
    except ClientError as error:
        module.fail_json_aws(error, msg=f"Could not {module.params['state'][:-1]} the lock of stage {lock.key}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
