"""Safety catalogue, typed inputs and guarded destructive steps (issue 18, items 2 and 3).

One stage is converged once, with a user's own files beside the collection's (a `mine.ovpn` in the profiles'
directory, a file and a directory in the relay's build directory); then each case runs the whole site.yml or
teardown.yml against it. A refused case must fail naming the option and the rule, make no mutating request,
and leave the stage as it was: every resource as described, the secret, every file with the same content.
The teardown at the end, with `-e aurora_skip_final_snapshot=false` as a string, keeps a final snapshot and
deletes no file that the collection did not write.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from census import by_kind, describe, kept, stage_resources
from conftest import ROOT, TEST_CONFIG_ROOT, PlaybookRun, ansible_playbook

pytestmark = pytest.mark.long
STAGE = "inputs"
CONFIG = TEST_CONFIG_ROOT / STAGE
BUILD = CONFIG / "build"
USER_PROFILE = CONFIG / "mine.ovpn"
USER_FILES = [USER_PROFILE, BUILD / "notes.txt", BUILD / "mine" / "keep.txt"]

# Every bool option whose false is also its default or changes nothing on a converged stage (site.yml itself
# sets the *_wait ones false): given as the string 'false', a converge must change nothing. The others are
# shown in check mode below (aurora_with_proxy=false beside the stage's proxy is refused: bad_inputs.yml).
QUIET_BOOLS = [
    "network_nat_per_az",
    "network_wait",
    "aurora_deletion_protection",
    "aurora_wait",
    "aurora_users_purge",
    "client_vpn_import_client_ca",
    "client_vpn_wait",
    "rds_proxy_wait_for_targets",
]
# Bool option given as the string 'false' -> the tasks that must then predict a change.
EFFECTIVE_BOOLS = {
    "client_vpn_split_tunnel": {"Converge the Client VPN endpoint"},
    "dev_relay_live": {
        # The sample handler's zip is built (and listed) in check mode too, as the role always builds its zips.
        "Build the zips",
        "List the files built",
        "Grant the roles what their functions do, and nothing more",
        "Deploy the app function in the private subnets (the stub, or the sample handler when not live)",
        # The outputs file says live: false.
        "Write the outputs to livestack_outputs_file (stage_outputs_file)",
    },
    "rds_proxy_require_tls": {"Create the proxy in front of the cluster"},
    "rds_proxy_debug_logging": {"Create the proxy in front of the cluster"},
}
# The teardown-only bools are the last test's (aurora_skip_final_snapshot) and client_vpn_remove_pki.
LIST_OPTIONS = [
    "network_private_subnet_cidrs",
    "network_availability_zones",
    "aurora_log_exports",
    "client_vpn_users",
    "client_vpn_revoked",
    "client_vpn_dns_servers",
]


def run(emulator, playbook: str, *args: str, extra_vars: dict | None = None) -> PlaybookRun:
    return ansible_playbook(playbook, *args, stage=STAGE, extra_vars=extra_vars, port=emulator.port)


def files(root: Path) -> dict[str, str]:
    """SHA-256 of every file under root (the PKI, profiles, manifest, zips and the user's own files)."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def snapshot(emulator) -> dict:
    secret = emulator.client("secretsmanager").get_secret_value(SecretId=f"livestack-{STAGE}/aurora/master")
    return {"stage": describe(emulator, STAGE), "secret": secret["SecretString"], "files": files(CONFIG)}


def changed_tasks(output: str) -> set[str]:
    """Names of the tasks that reported (or predicted) a change."""
    found, task = set(), None
    for line in output.splitlines():
        header = re.match(r"TASK \[(?:[^:\]]+ : )?(.*)\] \*+", line)
        if header:
            task = header.group(1)
        elif task and line.startswith("changed:"):
            found.add(task)
    return found


@pytest.fixture(scope="module")
def converged(emulator) -> None:
    """The stage, converged once beside the user's own files."""
    for path in USER_FILES:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{path.name}: the user's own, not the collection's\n")
    first = run(emulator, "site.yml")
    assert first.rc == 0, first.output[-5000:]


def assert_refused(emulator, result: PlaybookRun, before: dict, *messages: str) -> None:
    text = " ".join(result.output.split())
    assert result.rc != 0, result.output[-3000:]
    for message in messages:
        assert message in text, result.output[-3000:]
    assert emulator.requests()["mutating"] == 0
    assert snapshot(emulator) == before


def test_converge_keeps_the_users_own_files(converged):
    profiles = sorted(p.name for p in CONFIG.glob("*.ovpn"))
    assert "mine.ovpn" in profiles and len(profiles) == 2, profiles
    for path in USER_FILES:
        assert path.read_text() == f"{path.name}: the user's own, not the collection's\n"
    assert sorted(p.name for p in BUILD.glob("*.zip")) == ["relay.zip", "stub.zip"]


def test_bools_given_as_the_string_false_are_false(emulator, converged):
    """-e name=false for every such bool at once: one NAT gateway, nothing changed, no mutating request."""
    before = snapshot(emulator)
    emulator.clear_requests()
    args = [arg for name in QUIET_BOOLS for arg in ("-e", f"{name}=false")]
    result = run(emulator, "site.yml", *args)
    assert result.rc == 0, result.output[-5000:]
    assert result.recap["changed"] == 0, sorted(changed_tasks(result.output))
    assert emulator.requests()["mutating"] == 0
    assert len(stage_resources(emulator, STAGE)["nat_gateway"]) == 1
    assert snapshot(emulator) == before


def test_bools_given_as_the_string_false_take_effect(emulator, converged):
    """-e name=false for the bools whose false changes the stage: check mode predicts exactly those changes."""
    emulator.clear_requests()
    before = snapshot(emulator)
    args = [arg for name in EFFECTIVE_BOOLS for arg in ("-e", f"{name}=false")]
    result = run(emulator, "site.yml", "--check", *args)
    assert result.rc == 0, result.output[-5000:]
    assert changed_tasks(result.output) == set().union(*EFFECTIVE_BOOLS.values())
    assert emulator.requests()["mutating"] == 0
    after = snapshot(emulator)
    built = {"build/app.zip", "build/.livestack-manifest.json"}
    assert {name for name in after["files"] if after["files"][name] != before["files"].get(name)} == built
    assert {**after, "files": {}} == {**before, "files": {}}
    assert {name: sha for name, sha in after["files"].items() if name not in built} == {
        name: sha for name, sha in before["files"].items() if name not in built
    }


@pytest.mark.parametrize("option", LIST_OPTIONS)
def test_a_list_given_as_a_string_is_refused(emulator, converged, option):
    before = snapshot(emulator)
    emulator.clear_requests()
    result = run(emulator, "site.yml", "-e", f"{option}=alice")
    assert_refused(emulator, result, before, f"{option} is 'alice', not a list: give a list")


def test_a_dict_given_as_a_string_is_refused(emulator, converged):
    before = snapshot(emulator)
    emulator.clear_requests()
    result = run(emulator, "site.yml", "-e", "aurora_tags=Owner=me")
    assert_refused(emulator, result, before, "aurora_tags is 'Owner=me', not a dict")


@pytest.mark.parametrize("option", ["client_vpn_config_dir", "dev_relay_build_dir"])
def test_a_relative_directory_is_refused(emulator, converged, option):
    before = snapshot(emulator)
    emulator.clear_requests()
    result = run(emulator, "site.yml", "-e", f"{option}=livestack-relative")
    assert_refused(emulator, result, before, f"{option} 'livestack-relative' is a relative path")
    assert not (ROOT / "livestack-relative").exists()


def test_a_directory_given_with_a_tilde_is_the_home_directorys(emulator, converged, tmp_path, monkeypatch):
    """The relay rebuilt under -e dev_relay_build_dir=~/build: the same zips, in $HOME/build, nothing in the work
    tree, no mutating request (the deterministic zips are the deployed code)."""
    monkeypatch.setenv("HOME", str(tmp_path))
    emulator.clear_requests()
    result = run(emulator, "site.yml", "--tags", "dev_relay", "-e", "dev_relay_build_dir=~/build")
    assert result.rc == 0, result.output[-3000:]
    built, zips = files(tmp_path / "build"), ("relay.zip", "stub.zip")
    assert sorted(built) == [".livestack-manifest.json", "db-ca-bundle.pem", *zips]
    assert {name: built[name] for name in zips} == {name: files(BUILD)[name] for name in zips}
    assert not (ROOT / "~").exists()
    assert emulator.requests()["mutating"] == 0


@pytest.mark.parametrize("days", [45, 1096])
def test_a_log_retention_that_would_delete_the_log_group_is_refused(emulator, converged, days):
    before = snapshot(emulator)
    emulator.clear_requests()
    result = run(emulator, "site.yml", "-e", f"client_vpn_log_retention_days={days}")
    assert_refused(emulator, result, before, f"client_vpn_log_retention_days {days} is")
    groups = emulator.client("logs").describe_log_groups(logGroupNamePrefix=f"/livestack/livestack-{STAGE}/")
    assert [g["retentionInDays"] for g in groups["logGroups"]] == [30]


def test_a_mistyped_teardown_option_deletes_nothing(emulator, converged):
    before = snapshot(emulator)
    emulator.clear_requests()
    result = run(emulator, "teardown.yml", "-e", "aurora_skip_final_snapshot=maybe")
    assert_refused(emulator, result, before, "aurora_skip_final_snapshot")


def test_teardown_refuses_a_deletion_protected_cluster_before_deleting_anything(emulator, converged):
    rds = emulator.client("rds")
    cluster = f"livestack-{STAGE}-aurora"
    rds.modify_db_cluster(DBClusterIdentifier=cluster, DeletionProtection=True, ApplyImmediately=True)
    try:
        before = snapshot(emulator)
        emulator.clear_requests()
        result = run(emulator, "teardown.yml")
        assert_refused(emulator, result, before, f"the cluster {cluster} has deletion protection: nothing of stage")
    finally:
        rds.modify_db_cluster(DBClusterIdentifier=cluster, DeletionProtection=False, ApplyImmediately=True)


def test_teardown_of_a_stage_that_never_existed_keeps_the_build_directory(emulator, converged, tmp_path):
    mine = tmp_path / "project"
    (mine / "src").mkdir(parents=True)
    (mine / "src" / "app.py").write_text("print('mine')\n")
    result = ansible_playbook(
        "teardown.yml", stage="ghost", extra_vars={"dev_relay_build_dir": str(mine)}, port=emulator.port
    )
    assert result.rc == 0, result.output[-3000:]
    assert "WARNING: nothing of stage 'ghost' (project 'livestack') was found in us-east-1" in result.output
    assert (mine / "src" / "app.py").read_text() == "print('mine')\n"


def test_teardown_with_the_string_false_keeps_a_final_snapshot_and_the_users_files(emulator, converged):
    result = run(emulator, "teardown.yml", "-e", "aurora_skip_final_snapshot=false")
    assert result.rc == 0, result.output[-5000:]
    assert by_kind(stage_resources(emulator, STAGE)) == {}
    final = kept(emulator, STAGE)["db_cluster_snapshot"]
    assert [re.fullmatch(rf"livestack-{STAGE}-aurora-final-\d{{14}}", s) is not None for s in final] == [True]
    summary = result.output[result.output.index("TASK [Show what the teardown deleted") :]
    for deleted in [
        f"deleted DB cluster livestack-{STAGE}-aurora",
        "deleted VPC vpc-",
        f"deleted Client VPN endpoint livestack-{STAGE}-vpn",
        f"deleted profile {CONFIG}/",
        f"deleted file {BUILD}/relay.zip",
        f"kept the final snapshot {final[0]}",
    ]:
        assert deleted in summary, summary
    assert "mine" not in summary
    assert sorted(p.name for p in CONFIG.glob("*.ovpn")) == ["mine.ovpn"]
    assert sorted(str(p.relative_to(BUILD)) for p in BUILD.rglob("*")) == ["mine", "mine/keep.txt", "notes.txt"]
    for path in USER_FILES:
        assert path.read_text() == f"{path.name}: the user's own, not the collection's\n"
