"""The whole stack (site.yml, every role) through its life: check mode, converge, reconverge, teardown.

As Terraform's provider tests require an empty plan after every apply and nothing left after a
destroy: check mode predicts and mutates nothing, the second converge and check mode on the
converged stack change nothing, and after the teardown no resource of the stage is left in any
service. The first converge runs at -vvv and everything it printed and wrote is scanned for
secrets. The API answers with the row the sample handler, run here by livestack-relay, reads through
the proxy as the declared user; the proxy refuses a token for a user the stage does not declare. The
posture check (playbooks/verify.yml) passes on the converged stage and names every rule broken behind
Ansible's back. A second stage converged while 20 % of the requests fail as
AWS fails under load ends described exactly as the first. The tests run in this order, on one
converged stage.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pymysql
import pytest
from census import by_kind, describe, kept, stage_resources
from conftest import TEST_CONFIG_ROOT, PlaybookRun, ansible_playbook
from posture import breakages, ids, verify

from livestack_emulator.faults import FaultProxy

pytestmark = pytest.mark.long
STAGE = "stack"
PREFIX = f"livestack-{STAGE}"
FAULTED = "faulted"
# One of each, per stage: the duplicates an interrupted or repeated run must never make.
EXPECTED = {
    "vpc": 1,
    "subnet": 3,
    "internet_gateway": 1,
    "elastic_ip": 1,
    "nat_gateway": 1,
    "route_table": 2,
    "security_group": 3,
    "db_subnet_group": 1,
    "db_cluster_parameter_group": 1,
    "db_cluster": 1,
    "db_instance": 1,
    "secret": 1,
    "iam_role": 3,
    "iam_role_policy": 3,
    "iam_managed_policy": 1,
    "db_proxy": 1,
    "db_proxy_target": 2,
    "acm_certificate": 1,
    "log_group": 1,
    "client_vpn_endpoint": 1,
    "client_vpn_association": 2,
    "client_vpn_authorization_rule": 1,
    "s3_bucket": 1,
    "dynamodb_table": 1,
    "lambda_function": 4,
    "lambda_permission": 4,
    "apigatewayv2_api": 2,
    "apigatewayv2_route": 4,
    "apigatewayv2_integration": 4,
    "apigatewayv2_stage": 2,
}
PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
# An RDS IAM auth token is a presigned "connect" request.
IAM_TOKEN = re.compile(r"Action=connect|X-Amz-Signature=")


def written_files(root: Path) -> dict[str, str]:
    """Text of every file under root outside the PKI and the .ovpn profiles, zip members included."""
    texts = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root)
        if relative.parts[0] == "pki" or path.suffix == ".ovpn":
            continue
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    texts[f"{relative}:{member}"] = archive.read(member).decode("utf-8", "replace")
        else:
            texts[str(relative)] = path.read_text("utf-8", "replace")
    return texts


def secrets_found(texts: dict[str, str], password: str) -> list[str]:
    """Where the password, a private key or an IAM auth token appears."""
    found = []
    for where, text in texts.items():
        if password in text:
            found.append(f"database password in {where}")
        found += [f"private key in {where}" for _ in PRIVATE_KEY.finditer(text)]
        found += [f"IAM auth token in {where}" for _ in IAM_TOKEN.finditer(text)]
    return found


def variables(stage: str) -> dict:
    return {"livestack_outputs_file": str(TEST_CONFIG_ROOT / stage / "outputs.json")}


def site(emulator, *args: str, stage: str = STAGE, port: int | None = None) -> PlaybookRun:
    return ansible_playbook("site.yml", *args, stage=stage, extra_vars=variables(stage), port=port or emulator.port)


@pytest.mark.life
def test_check_mode_on_an_empty_account_predicts_changes_and_mutates_nothing(emulator):
    emulator.clear_requests()
    check = site(emulator, "--check")
    assert check.rc == 0, check.output
    assert check.recap["changed"] > 0
    assert emulator.requests()["mutating"] == 0
    assert by_kind(stage_resources(emulator, STAGE)) == {}


@pytest.fixture(scope="module")
def converged(emulator) -> tuple[PlaybookRun, dict[str, list[str]]]:
    """The stage converged once, at -vvv; what it printed and the census after it."""
    return site(emulator, "-vvv"), stage_resources(emulator, STAGE)


@pytest.mark.life
def test_converge_makes_one_of_each_resource(converged):
    first, created = converged
    assert first.rc == 0, first.output[-5000:]
    assert first.recap["changed"] > 0
    assert by_kind(created) == EXPECTED


@pytest.mark.life
def test_converge_shows_what_the_stage_costs_while_idle(converged):
    first, _ = converged
    # The default stage's hourly meters (module_utils/cost.py's table): 2 Client VPN associations, a NAT gateway
    # and its address, 0.5 ACU of Aurora, the proxy's 8-ACU minimum, the master secret.
    for line in ("2 associations", "1 gateway", "1 address", "0.5 ACUs", "8 ACUs", "1 secret"):
        assert line in first.output, line
    assert "idle total: $0.4305/h, $314.30/month (us-east-1 on-demand list prices of" in first.output


@pytest.mark.life
def test_converge_prints_and_writes_no_secret(emulator, converged):
    config = TEST_CONFIG_ROOT / STAGE
    secret = emulator.client("secretsmanager").get_secret_value(SecretId=f"livestack-{STAGE}/aurora/master")
    password = json.loads(secret["SecretString"])["password"]
    assert len(password) >= 8
    texts = {"ansible-playbook -vvv output": converged[0].output, **written_files(config)}
    found = secrets_found(texts, password)
    print(f"secret scan: {len(texts)} texts, {sum(map(len, texts.values()))} characters, found {found}")
    assert found == []


@pytest.mark.life
def test_key_and_profile_files_are_private(converged):
    config = TEST_CONFIG_ROOT / STAGE
    private = [p for p in config.rglob("*") if p.suffix in (".key", ".ovpn")] + [config / "outputs.json"]
    assert len(private) >= 4
    assert {str(p): oct(stat.S_IMODE(p.stat().st_mode)) for p in private} == {str(p): "0o600" for p in private}


@pytest.mark.parametrize(
    "mode",
    [
        pytest.param(("--diff",), id="second converge", marks=pytest.mark.life),
        pytest.param(("--check",), id="check mode", marks=pytest.mark.life),
        pytest.param(("--diff", "--tags", "dev_relay"), id="the relay alone"),  # it looks up the proxy it connects to
    ],
)
def test_a_rerun_of_the_converged_stack_changes_nothing(emulator, converged, mode):
    emulator.clear_requests()
    rerun = site(emulator, *mode)
    assert rerun.rc == 0, rerun.output
    assert rerun.recap["changed"] == 0, rerun.output
    assert emulator.requests()["mutating"] == 0
    assert stage_resources(emulator, STAGE) == converged[1]


@pytest.mark.life
def test_posture_check_passes_without_a_mutating_request(emulator, converged):
    run, broken = verify(emulator, STAGE)
    assert run.rc == 0 and broken == {}, run.output[-5000:]
    assert run.recap["changed"] == 0
    assert f"16 posture rules hold for stage {STAGE}" in run.output


def stage_outputs() -> dict:
    return json.loads((TEST_CONFIG_ROOT / STAGE / "outputs.json").read_text())


@pytest.mark.life
def test_the_api_answers_with_the_row_read_through_the_proxy(emulator, converged, tmp_path):
    """The blog's last step, as converged: HTTP API -> stub -> livestack-relay -> the sample handler run here ->
    RDS Proxy (verified TLS, IAM token, end-to-end IAM) -> the cluster, as the declared user, with no other input."""
    relay = stage_outputs()["dev_relay"]
    shutil.copy(Path(__file__).parents[2] / "roles/dev_relay/files/sample_handler.py", tmp_path)
    env = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "DB_"))}
    command = [sys.executable, "-m", "livestack_relay", "--stage", STAGE]
    command += ["--outputs", str(TEST_CONFIG_ROOT / STAGE / "relay.json"), "sample_handler:handler"]
    log = tmp_path / "relay.log"
    client = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "connected to" not in log.read_text():
            assert client.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        with urllib.request.urlopen(f"{relay['http_url']}/row", timeout=60) as response:
            assert response.status == 200
            row = json.load(response)
    finally:
        client.send_signal(2)
        client.wait(timeout=60)
    assert (relay["db_user"], relay["db_name"]) == ("livestack", "livestack")  # the aurora role's default user
    assert row["user"] == "livestack@%", log.read_text()
    assert row["tls_cipher"].startswith("TLS_")
    assert "GET /row" in log.read_text()  # run here, by the relay client, not in the Lambda


@pytest.mark.life
def test_the_proxy_refuses_a_token_for_a_user_the_stage_does_not_declare(emulator, converged):
    """An IAM user of the cluster made behind the stage's back: its token is valid, but the proxy's role may
    connect only as the declared users, so the proxy refuses it; the declared user gets in the same way."""
    outputs = stage_outputs()
    aurora, proxy = outputs["aurora"], outputs["rds_proxy"]
    data = emulator.client("rds-data")

    def as_master(sql: str) -> None:
        data.execute_statement(resourceArn=aurora["cluster_arn"], secretArn=aurora["secret_arn"], sql=sql)

    def connect(user: str) -> pymysql.connections.Connection:
        token = emulator.client("rds").generate_db_auth_token(
            DBHostname=proxy["endpoint"], Port=int(proxy["port"]), DBUsername=user
        )
        return pymysql.connect(
            host=proxy["endpoint"],
            port=int(proxy["port"]),
            user=user,
            password=token,
            ssl_ca=outputs["dev_relay"]["db_ca_bundle"],
            ssl_verify_cert=True,
            ssl_verify_identity=True,
            connect_timeout=10,
        )

    as_master("CREATE USER 'intruder'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'")
    try:
        as_master("GRANT SELECT ON livestack.* TO 'intruder'@'%'")
        with pytest.raises(pymysql.err.OperationalError) as refused:
            connect("intruder")
        assert refused.value.args[0] == 1045
    finally:
        as_master("DROP USER 'intruder'@'%'")
    with connect("livestack") as session, session.cursor() as cursor:
        cursor.execute("SELECT CURRENT_USER()")
        assert cursor.fetchone() == ("livestack@%",)


def test_faulted_converge_ends_as_the_clean_one(emulator, converged):
    proxy = FaultProxy(emulator.port, rate=0.2, seed=20).start()
    try:
        faulted = site(emulator, stage=FAULTED, port=proxy.port)
        stats = proxy.stats()
    finally:
        proxy.stop()
    print(f"fault injection: {stats}")
    assert faulted.rc == 0, faulted.output[-5000:]
    assert stats["faulted"] >= 0.1 * stats["requests"]
    assert describe(emulator, FAULTED) == describe(emulator, STAGE)


def test_posture_check_names_each_rule_broken_behind_ansibles_back(emulator, converged) -> None:
    """Every breakage at once (one verify run instead of nine): each rule reports its own, and only those fail."""
    found = ids(emulator, PREFIX)
    cases = breakages(emulator, STAGE, found)
    restores = []
    try:
        for _, breaking, restoring in cases:
            breaking()
            restores.append(restoring)
        run, broken = verify(emulator, STAGE)
    finally:
        for restoring in reversed(restores):
            restoring()
    assert run.rc != 0
    # The open ingress also breaks the exact-ingress rule of the database group.
    assert set(broken) == {rule for rule, _, _ in cases} | {"security-group-ingress"}, run.output[-5000:]
    assert "0.0.0.0/0" in broken["no-open-ingress"] and "tcp 22-22" in broken["security-group-ingress"]
    assert "RequireTLS is off" in broken["proxy-requires-tls"]
    assert "BlockPublicPolicy is not true" in broken["bucket-private"]
    assert "statement Broader allows secretsmanager:* on *" in broken["proxy-role-reads-only-its-secret"]
    assert f"managed policy {found['managed_policy']} is attached" in broken["proxy-role-reads-only-its-secret"]
    any_user = f"statement AnyUser allows rds-db:connect on {found['cluster_users']}"
    assert any_user in broken["proxy-role-connects-only-as-declared-users"]
    assert re.search(r"subnet subnet-\w+ has no livestack:stage tag", broken["stage-tags"])
    assert "split tunnel is off" in broken["vpn-split-tunnel"]
    assert f"instance {PREFIX}-aurora-1 is publicly accessible" in broken["database-not-public"]
    assert "user 'by_hand' has a password" in broken["database-users-iam-only"]


@pytest.mark.parametrize("stage", [pytest.param(STAGE, marks=pytest.mark.life), FAULTED])
def test_teardown_leaves_nothing_but_the_final_snapshot_and_the_secret_in_its_recovery_window(emulator, stage):
    down = ansible_playbook("teardown.yml", stage=stage, extra_vars=variables(stage), port=emulator.port)
    assert down.rc == 0, down.output
    assert by_kind(stage_resources(emulator, stage)) == {}
    left = kept(emulator, stage)
    assert left["secret_pending_deletion"] == [f"livestack-{stage}/aurora/master"]
    final = [
        re.fullmatch(rf"livestack-{stage}-aurora-final-\d{{14}}", s) is not None for s in left["db_cluster_snapshot"]
    ]
    assert final == [True]
