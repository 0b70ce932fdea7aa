"""Safety catalogue, ownership part (issue 18, items 1 and 6): a stage touches only what carries its tags.

One stage, project ``livestack`` stage ``a-b``, is converged once and snapshotted (every resource as AWS
describes it, the tags of each, the master secret, the files of its configuration directory). Each case then
runs site.yml or teardown.yml as a careless user would and asserts what matters: the run is refused with a
message naming both owners (or the rule), no mutating request reached AWS, and the snapshot is unchanged.
The colliding stage (project ``livestack-a`` stage ``b`` makes the same names), the same stage in another
case (``A-B``), a resource whose tags were changed behind Ansible's back, a teardown in the wrong region or of
a stage that does not exist, and a second converge while the first holds the stage's lock.
"""

from __future__ import annotations

import hashlib
import re
import socket
import subprocess
import tempfile
import time

import pytest
from census import count, describe, stage_resources
from conftest import ROOT, TEST_CONFIG_ROOT, PlaybookRun, ansible_playbook, playbook_command

pytestmark = pytest.mark.long
PROJECT, STAGE = "livestack", "a-b"
PREFIX = f"{PROJECT}-{STAGE}"
# The payload bucket holds the account (S3 names are global): the emulator's default account.
BUCKET = f"{PREFIX}-relay-123456789012"
LOCK_TABLE = "livestack-locks"
LOCK_KEY = {"lock_key": {"S": f"{PROJECT}/{STAGE}"}}


def run(emulator, playbook: str, *args: str, **extra) -> PlaybookRun:
    """A playbook on the stage's own configuration directory, whatever project and stage ``extra`` names."""
    variables = {
        "client_vpn_config_dir": str(TEST_CONFIG_ROOT / STAGE),
        "dev_relay_build_dir": str(TEST_CONFIG_ROOT / STAGE / "build"),
        **extra,
    }
    return ansible_playbook(
        playbook, *args, stage=extra.get("livestack_stage", STAGE), extra_vars=variables, port=emulator.port
    )


def tags_of_every_resource(emulator) -> dict[str, dict]:
    tagging = emulator.client("resourcegroupstaggingapi")
    pages = tagging.get_paginator("get_resources").paginate(TagFilters=[{"Key": "livestack:stage", "Values": [STAGE]}])
    return {
        r["ResourceARN"]: {t["Key"]: t["Value"] for t in r["Tags"]}
        for page in pages
        for r in page["ResourceTagMappingList"]
    }


def snapshot(emulator) -> dict:
    secret = emulator.client("secretsmanager").get_secret_value(SecretId=f"{PREFIX}/aurora/master")["SecretString"]
    files = {
        str(path): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((TEST_CONFIG_ROOT / STAGE).rglob("*"))
        if path.is_file()
    }
    return {
        "ids": stage_resources(emulator, STAGE, PROJECT),
        "described": describe(emulator, STAGE),
        "tags": tags_of_every_resource(emulator),
        "secret": hashlib.sha256(secret.encode()).hexdigest(),
        "files": files,
    }


def lock_item(emulator) -> dict | None:
    return emulator.client("dynamodb").get_item(TableName=LOCK_TABLE, Key=LOCK_KEY, ConsistentRead=True).get("Item")


@pytest.fixture(scope="module")
def converged(emulator) -> dict:
    first = run(emulator, "site.yml")
    assert first.rc == 0, first.output[-5000:]
    assert lock_item(emulator) is None, "the converge left its lock"
    before = snapshot(emulator)
    assert count(before["ids"]) > 40 and len(before["files"]) >= 4
    return before


def refused(emulator, converged, result: PlaybookRun, *messages: str) -> dict:
    """The run failed with every message, made no mutating request (lock included), and changed nothing.

    Answers the run's request counts (taken before the snapshot's own requests)."""
    output = " ".join(result.output.split())
    assert result.rc != 0, result.output[-3000:]
    for message in messages:
        assert message in output, result.output[-3000:]
    requests = emulator.requests()
    assert (requests["mutating"], requests["stage_lock"]) == (0, 0), emulator.requests(calls=True)
    assert snapshot(emulator) == converged
    return requests


@pytest.mark.parametrize("playbook", ["site.yml", "teardown.yml"])
def test_the_colliding_stage_is_refused_naming_the_owner(emulator, converged, playbook):
    # Project livestack-a stage b makes the names of project livestack stage a-b: livestack-a-b-*.
    emulator.clear_requests()
    result = run(emulator, playbook, livestack_project="livestack-a", livestack_stage="b")
    refused(
        emulator,
        converged,
        result,
        f"aurora: db cluster {PREFIX}-aurora belongs to project livestack stage a-b (tags), not to project"
        " livestack-a stage b; refusing to change it",
        f"network: vpc {PREFIX}-vpc belongs to project livestack stage a-b (tags)",
        f"dev_relay: s3 bucket {BUCKET} belongs to project livestack stage a-b (tags)",
    )


@pytest.mark.parametrize("playbook", ["site.yml", "teardown.yml", "verify.yml"])
def test_the_same_stage_in_uppercase_is_refused_before_any_request(emulator, converged, playbook):
    # Aurora identifiers ignore case: stage A-B would be the cluster of stage a-b.
    emulator.clear_requests()
    result = run(emulator, playbook, livestack_stage="A-B")
    message = "livestack_stage 'A-B' must be lowercase letters, digits and single hyphens"
    assert refused(emulator, converged, result, message)["total"] == 0


def test_a_role_run_alone_refuses_too(emulator, converged):
    emulator.clear_requests()
    result = run(emulator, "site.yml", "--tags", "dev_relay", livestack_project="livestack-a", livestack_stage="b")
    refused(
        emulator, converged, result, f"dev_relay: lambda function {PREFIX}-app belongs to project livestack stage a-b"
    )


def test_a_name_too_long_for_a_service_is_refused(emulator, converged):
    emulator.clear_requests()
    result = run(emulator, "site.yml", livestack_stage="s" * 40)
    refused(emulator, converged, result, "make the Lambda function name", "must have 1 to 64 characters (it has 67)")


# A resource of the stage whose livestack:stage tag someone changed: it is not the stage's any more.
RETAGGED = {
    "db_cluster": ("aurora: db cluster", f"{PREFIX}-aurora"),
    "vpc": ("network: vpc", f"{PREFIX}-vpc"),
    "s3_bucket": ("dev_relay: s3 bucket", BUCKET),
    "dynamodb_table": ("dev_relay: dynamodb table", f"{PREFIX}-relay"),
    "iam_role": ("rds_proxy: iam role", f"{PREFIX}-proxy"),
    "client_vpn_endpoint": ("client_vpn: client vpn endpoint", f"{PREFIX}-vpn"),
}


def retag(emulator, kind: str, resource_ids: dict, stage: str) -> None:
    tag = {"Key": "livestack:stage", "Value": stage}
    if kind == "db_cluster":
        arn = emulator.client("rds").describe_db_clusters(DBClusterIdentifier=f"{PREFIX}-aurora")["DBClusters"][0]
        emulator.client("rds").add_tags_to_resource(ResourceName=arn["DBClusterArn"], Tags=[tag])
    elif kind in ("vpc", "client_vpn_endpoint"):
        emulator.client("ec2").create_tags(Resources=resource_ids[kind], Tags=[tag])
    elif kind == "s3_bucket":
        s3 = emulator.client("s3")
        tags = s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"]
        tags = [t for t in tags if t["Key"] != "livestack:stage"] + [tag]
        s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": tags})
    elif kind == "dynamodb_table":
        dynamodb = emulator.client("dynamodb")
        arn = dynamodb.describe_table(TableName=f"{PREFIX}-relay")["Table"]["TableArn"]
        dynamodb.tag_resource(ResourceArn=arn, Tags=[tag])
    elif kind == "iam_role":
        emulator.client("iam").tag_role(RoleName=f"{PREFIX}-proxy", Tags=[tag])


@pytest.mark.parametrize(
    ("kind", "playbook"),
    [(kind, "site.yml") for kind in RETAGGED] + [("db_cluster", "teardown.yml"), ("s3_bucket", "teardown.yml")],
)
def test_a_resource_named_like_the_stage_but_tagged_for_another_is_refused(emulator, converged, kind, playbook):
    retag(emulator, kind, converged["ids"], "someone-else")
    try:
        emulator.clear_requests()
        result = run(emulator, playbook)
        label, name = RETAGGED[kind]
        output = " ".join(result.output.split())
        assert result.rc != 0, result.output[-3000:]
        assert (
            f"{label} {name} belongs to project livestack stage someone-else (tags), not to project livestack"
            " stage a-b; refusing to change it"
        ) in output, result.output[-3000:]
        assert (emulator.requests()["mutating"], emulator.requests()["stage_lock"]) == (0, 0)
    finally:
        retag(emulator, kind, converged["ids"], STAGE)
    assert snapshot(emulator) == converged


@pytest.mark.parametrize(
    "where",
    [{"livestack_region": "us-west-2"}, {"livestack_stage": "nothing-here"}],
    ids=["wrong region", "wrong stage"],
)
def test_a_teardown_that_finds_nothing_warns_and_deletes_nothing(emulator, converged, where):
    emulator.clear_requests()
    result = run(emulator, "teardown.yml", **where)
    output = " ".join(result.output.split())
    assert result.rc == 0, result.output[-3000:]
    region, stage = where.get("livestack_region", "us-east-1"), where.get("livestack_stage", STAGE)
    assert f"found no resource of project livestack stage {stage} in region {region}" in output
    if "livestack_region" in where:  # IAM is global and the bucket is in us-east-1: named, and left alone
        assert f"iam_role {PREFIX}-proxy, " in output and f"s3_bucket {BUCKET}) are left as they are" in output
    # Not even the lock: a stage with nothing has nothing to lock.
    assert (emulator.requests()["mutating"], emulator.requests()["stage_lock"]) == (0, 0)
    assert snapshot(emulator) == converged


def hold_lock(emulator, expires_in: int, host: str = "ci-runner-7", pid: str = "4242", pid_start: str = "1") -> None:
    item = {
        **LOCK_KEY,
        "token": {"S": "someone-elses-token"},
        "started": {"S": "2026-01-02T03:04:05Z"},
        "host": {"S": host},
        "pid": {"S": pid},
        "pid_start": {"S": pid_start},
        "playbook": {"S": "site.yml"},
        "expires_at": {"N": str(int(time.time()) + expires_in)},
    }
    emulator.client("dynamodb").put_item(TableName=LOCK_TABLE, Item=item)


def test_a_second_converge_is_refused_with_the_first_runs_start_time(emulator, converged):
    hold_lock(emulator, expires_in=3600)
    try:
        for playbook in ("site.yml", "teardown.yml"):
            emulator.clear_requests()
            result = run(emulator, playbook)
            output = " ".join(result.output.split())
            assert result.rc != 0, result.output[-3000:]
            assert (
                "stage livestack/a-b is locked by another run: site.yml started 2026-01-02T03:04:05Z on host"
                " ci-runner-7 (pid 4242)"
            ) in output, result.output[-3000:]
            assert emulator.requests()["mutating"] == 0
            assert lock_item(emulator)["token"]["S"] == "someone-elses-token"
        # Check mode takes no lock: it warns and predicts.
        emulator.clear_requests()
        check = run(emulator, "site.yml", "--check", "--tags", "network")
        assert check.rc == 0, check.output[-3000:]
        assert "is locked by another run" in " ".join(check.output.split())
        assert (emulator.requests()["mutating"], emulator.requests()["stage_lock"]) == (0, 0)
    finally:
        emulator.client("dynamodb").delete_item(TableName=LOCK_TABLE, Key=LOCK_KEY)
    assert snapshot(emulator) == converged


def test_a_waiting_run_gives_up_after_stage_lock_wait(emulator, converged):
    hold_lock(emulator, expires_in=3600)
    try:
        started = time.monotonic()
        result = run(emulator, "site.yml", "--tags", "network", stage_lock_wait=4)
        assert result.rc != 0 and "is locked by another run" in result.output
        assert time.monotonic() - started >= 4
    finally:
        emulator.client("dynamodb").delete_item(TableName=LOCK_TABLE, Key=LOCK_KEY)


@pytest.mark.parametrize(
    "lock",
    [{"expires_in": -1}, {"expires_in": 3600, "host": socket.gethostname(), "pid": "999999999"}],
    ids=["expired", "holder killed on this host"],
)
def test_a_crashed_runs_lock_is_taken_over_and_released(emulator, converged, lock):
    hold_lock(emulator, **lock)
    emulator.clear_requests()
    result = run(emulator, "site.yml", "--tags", "network")
    assert result.rc == 0, result.output[-3000:]
    assert emulator.requests()["mutating"] == 0
    assert lock_item(emulator) is None


def test_the_lock_is_released_when_the_converge_fails(emulator, converged):
    """A refusal that only the role can make (the existing cluster's master user is fixed at creation), so after the
    lock: a bad input is refused before it (site.yml's pre-phase), which takes no lock."""
    emulator.clear_requests()
    result = run(emulator, "site.yml", "--tags", "aurora", aurora_master_username="someoneelse")
    assert result.rc != 0 and "aurora_master_username" in result.output, result.output
    assert emulator.requests()["mutating"] == 0
    assert emulator.requests()["stage_lock"] >= 2  # taken, then released by the always section
    assert lock_item(emulator) is None


def test_a_run_held_at_its_lock_keeps_a_second_one_out(emulator, converged):
    """Two real converges at once: the first holds the lock (its PutItem done, the answer held back)."""
    command, env = playbook_command(
        "site.yml",
        "--tags",
        "network",
        stage=STAGE,
        extra_vars={"client_vpn_config_dir": str(TEST_CONFIG_ROOT / STAGE)},
        port=emulator.port,
    )
    emulator.arm_tripwire(after=1)  # a converged stage's first mutating request is the lock's PutItem
    log = tempfile.TemporaryFile()
    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not emulator.tripwire()["tripped"]:
            assert first.poll() is None and time.monotonic() < deadline, "the first run never reached its lock"
            time.sleep(0.1)
        assert emulator.tripwire()["tripped"]["action"] == "PutItem"
        held = lock_item(emulator)
        started = held["started"]["S"]
        # The holder is the ansible-playbook process itself, not the worker that ran the lock task and is gone.
        assert (held["host"]["S"], held["pid"]["S"]) == (socket.gethostname(), str(first.pid))
        second = run(emulator, "site.yml", "--tags", "network")
        assert second.rc != 0
        assert f"is locked by another run: site.yml started {started}" in " ".join(second.output.split())
    finally:
        emulator.disarm_tripwire()
        if first.wait(timeout=300) != 0:
            log.seek(0)
            pytest.fail(log.read().decode()[-3000:])
        log.close()
    assert lock_item(emulator) is None


def test_a_resource_named_like_the_stage_without_tags_is_refused(emulator, converged):
    """A bucket of the stage's name with no tags at all (made by hand, or its tags removed) is no one's to delete."""
    s3, bucket = emulator.client("s3"), BUCKET
    tags = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    s3.delete_bucket_tagging(Bucket=bucket)
    try:
        emulator.clear_requests()
        result = run(emulator, "teardown.yml")
        output = " ".join(result.output.split())
        assert result.rc != 0, result.output[-3000:]
        assert (
            f"dev_relay: s3 bucket {bucket} carries no livestack:project and livestack:stage tags (not made by"
            " livestack, or by hand), not to project livestack stage a-b; refusing to change it (if it is this"
            " stage's, tag it livestack:project=livestack livestack:stage=a-b)"
        ) in output, result.output[-3000:]
        assert (emulator.requests()["mutating"], emulator.requests()["stage_lock"]) == (0, 0)
    finally:
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
    assert snapshot(emulator) == converged


def test_teardown_says_what_it_found_and_deleted(emulator, converged):
    result = run(emulator, "teardown.yml")
    output = " ".join(result.output.split())
    assert result.rc == 0, result.output[-3000:]
    found, deleted = (int(n) for n in re.search(r"found (\d+): .*deleted (\d+): ", output).groups())
    assert found > 30 and deleted == found - 1  # all but the secret, kept in its recovery window
    assert f"db_cluster {PREFIX}-aurora" in output and f"vpc {PREFIX}-vpc" in output
    assert f"kept in its recovery window 1: secret {PREFIX}/aurora/master" in output
    assert "still there 0: none" in output
    assert count(stage_resources(emulator, STAGE, PROJECT)) == 0
    assert lock_item(emulator) is None
