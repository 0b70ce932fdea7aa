"""``livestack-sql``: a developer's SQL session on the stage's RDS Proxy, with the real ``mysql`` client and the
built-in shell on pymysql, on loopback and through a real OpenVPN tunnel, and its plain errors.

The stage is made in the test on an emulator of the module's own: a Client VPN endpoint (its OpenVPN server), an
Aurora MySQL cluster with the IAM user ``app`` (made through the Data API as the master), an RDS Proxy with
end-to-end IAM in front of it, the developer ``alice`` allowed ``rds-db:connect`` as ``app`` by the stage's client
policy and ``bob`` not; the outputs file is what site.yml writes for such a stage.
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import start_emulator
from openvpn_client import Client
from support.builders import rds_available
from test_openvpn_dataplane import Pki, export, make_endpoint, pem, profile

SQL = shutil.which("livestack-sql", path=str(Path(sys.executable).parent))
MYSQL = shutil.which("mysql") or shutil.which("mariadb")
USER, DATABASE, ACCOUNT = "app", "app", "123456789012"
CLIENTS = ["builtin", pytest.param("mysql", marks=pytest.mark.skipif(not MYSQL, reason="no mysql client"))]


def health(emulator) -> dict:
    with urllib.request.urlopen(f"{emulator.url}/_livestack/health", timeout=10) as response:
        return json.load(response)


def developer(iam, name: str, policy: str | None) -> dict[str, str]:
    iam.create_user(UserName=name)
    if policy:
        iam.attach_user_policy(UserName=name, PolicyArn=policy)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


def make_database(emulator, subnets: list[str]) -> dict:
    """Cluster (IAM auth, Data API), the IAM user app with its database, a proxy with end-to-end IAM."""
    rds, secrets, data = emulator.client("rds"), emulator.client("secretsmanager"), emulator.client("rds-data")
    rds.create_db_subnet_group(DBSubnetGroupName="sql", DBSubnetGroupDescription="sql", SubnetIds=subnets)
    cluster = rds.create_db_cluster(
        DBClusterIdentifier="sql",
        Engine="aurora-mysql",
        MasterUsername="admin",
        MasterUserPassword="password1",
        DBSubnetGroupName="sql",
        EnableIAMDatabaseAuthentication=True,
        EnableHttpEndpoint=True,
        ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 2},
    )["DBCluster"]
    rds.create_db_instance(
        DBInstanceIdentifier="sql-1", DBInstanceClass="db.serverless", Engine="aurora-mysql", DBClusterIdentifier="sql"
    )
    secret = secrets.create_secret(Name="sql", SecretString=json.dumps({"username": "admin", "password": "password1"}))
    for statement in (
        f"CREATE DATABASE {DATABASE}",
        f"CREATE USER '{USER}'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'",
        f"GRANT ALL PRIVILEGES ON {DATABASE}.* TO '{USER}'@'%'",
    ):
        deadline = time.monotonic() + 60
        while True:
            try:
                data.execute_statement(resourceArn=cluster["DBClusterArn"], secretArn=secret["ARN"], sql=statement)
                break
            except data.exceptions.DatabaseUnavailableException:  # the writer's server still starting
                assert time.monotonic() < deadline
                time.sleep(0.5)
    # End-to-end IAM: the proxy logs in as the user only if its role may (rds-db:connect on the cluster's dbuser).
    iam = emulator.client("iam")
    trust = {"Effect": "Allow", "Principal": {"Service": "rds.amazonaws.com"}, "Action": "sts:AssumeRole"}
    iam.create_role(
        RoleName="proxy", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [trust]})
    )
    connect = {
        "Effect": "Allow",
        "Action": "rds-db:connect",
        "Resource": f"arn:aws:rds-db:us-east-1:{ACCOUNT}:dbuser:{cluster['DbClusterResourceId']}/{USER}",
    }
    iam.put_role_policy(
        RoleName="proxy",
        PolicyName="connect",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [connect]}),
    )
    proxy = rds.create_db_proxy(
        DBProxyName="sql",
        EngineFamily="MYSQL",
        DefaultAuthScheme="IAM_AUTH",
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/proxy",
        VpcSubnetIds=subnets,
        RequireTLS=True,
    )["DBProxy"]
    rds_available(rds, proxy="sql", instances=["sql-1"])
    rds.register_db_proxy_targets(DBProxyName="sql", DBClusterIdentifiers=["sql"])
    return proxy


@pytest.fixture(scope="module")
def stage(tmp_path_factory):
    """The stage (see the module's docstring), its outputs file in a HOME of the test, and its developers."""
    directory = tmp_path_factory.mktemp("sql")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LIVESTACK_EMULATOR_STATE", str(directory / "state"))
        process, emulator = start_emulator(directory / "emulator.log")
    try:
        pki = Pki()
        vpn = make_endpoint(emulator, pki)
        ec2 = vpn["ec2"]
        vpc = ec2.describe_client_vpn_endpoints(ClientVpnEndpointIds=[vpn["id"]])["ClientVpnEndpoints"][0]["VpcId"]
        subnet_a = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"][0]["SubnetId"]
        subnet_b = ec2.create_subnet(VpcId=vpc, CidrBlock="11.0.144.0/20", AvailabilityZone="us-east-1b")["Subnet"]
        proxy = make_database(emulator, [subnet_a, subnet_b["SubnetId"]])
        resource_id = proxy["DBProxyArn"].rsplit(":", 1)[1]
        iam = emulator.client("iam")
        policy = iam.create_policy(
            PolicyName="sql-proxy-connect-app",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "rds-db:connect",
                            "Resource": f"arn:aws:rds-db:us-east-1:{ACCOUNT}:dbuser:{resource_id}/{USER}",
                        }
                    ],
                }
            ),
        )["Policy"]["Arn"]

        home = directory / "home"
        config = home / ".livestack" / "livestack-sql"
        config.mkdir(parents=True)
        alice, key = pki.issue("alice")
        alice_profile = profile(export(vpn), alice, key, config / "alice.ovpn")
        outputs = {
            "stage": {
                "project": "livestack",
                "stage": "sql",
                "region": "us-east-1",
                "endpoint_url": emulator.url,
                "ca_bundle_url": f"{emulator.url}/_livestack/ca-bundle.pem",
            },
            "aurora": {"users": [USER], "databases": [DATABASE]},
            "rds_proxy": {
                "endpoint": proxy["Endpoint"],
                "port": 3306,
                "arn": proxy["DBProxyArn"],
                "resource_id": resource_id,
                "client_policy_arns": {USER: policy},
            },
            "client_vpn": {"endpoint_id": vpn["id"], "profiles": {"alice": str(alice_profile)}},
        }
        (config / "outputs.json").write_text(json.dumps(outputs))
        (config / "outputs.json").chmod(0o600)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(HOME=str(home), USER="alice", AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/none")
        endpoint = next(
            e
            for e in health(emulator)["dataplane"]["mysql"]["endpoints"].values()
            if e["endpoint"].startswith(proxy["Endpoint"])
        )
        yield {
            "emulator": emulator,
            "dir": directory,
            "home": home,
            "config": config,
            "proxy": proxy,
            "resource_id": resource_id,
            "policy": policy,
            "profile": alice_profile,
            "vpc_address": endpoint["vpc_address"],
            "vpn": vpn,
            "pki": pki,
            "alice": {**env, **developer(iam, "alice", policy)},
            "bob": {**env, **developer(iam, "bob", None)},
        }
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(30)


def sql(env: dict, *args: str, netns: str | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    command = [SQL, "--stage", "sql", *args]
    if netns:
        command = ["ip", "netns", "exec", netns, *command]
    return subprocess.run(command, env=env, input=stdin, capture_output=True, text=True, timeout=120)


def until_listening(stage: dict) -> None:
    """The proxy's listener opens once the proxy and its target are available."""
    deadline = time.monotonic() + 60
    while (run := sql(stage["alice"], "--client", "builtin", "-e", "SELECT 1")).returncode:
        assert time.monotonic() < deadline, run.stderr
        time.sleep(0.5)


@pytest.mark.parametrize("client", CLIENTS)
def test_one_statement_as_the_stages_user_prints_as_mysql_batch(stage, client):
    until_listening(stage)
    run = sql(
        stage["alice"], "--client", client, "-e", "SELECT CURRENT_USER(), DATABASE(), NULL AS nothing, 'a\tb' AS tabbed"
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == "CURRENT_USER()\tDATABASE()\tnothing\ttabbed\napp@%\tapp\tNULL\ta\\tb\n"
    assert f"app@{stage['proxy']['Endpoint']}:3306, TLS verified by" in run.stderr
    bundle = stage["config"] / "rds-ca-bundle.pem"
    assert bundle.read_text() == Path(health(stage["emulator"])["ca_bundle"]).read_text()


@pytest.mark.parametrize("client", CLIENTS)
def test_several_statements_print_one_result_after_the_other(stage, client):
    until_listening(stage)
    run = sql(stage["alice"], "--client", client, "-e", "SELECT 1 AS one; SELECT 'x' AS two, 3 AS three")
    assert run.returncode == 0, run.stderr
    assert run.stdout == "one\n1\ntwo\tthree\nx\t3\n"


@pytest.mark.parametrize("client", CLIENTS)
def test_a_session_reads_statements_until_the_end_of_input(stage, client):
    until_listening(stage)
    statements = "CREATE TABLE IF NOT EXISTS notes (id INT PRIMARY KEY, body TEXT);\nREPLACE INTO notes\n"
    statements += "VALUES (1, 'hello');\nSELECT body FROM notes;\nexit\nSELECT 'not run';\n"
    run = sql(stage["alice"], "--client", client, stdin=statements)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "body\nhello\n"


def test_on_a_terminal_the_built_in_shell_prompts(stage):
    until_listening(stage)
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [SQL, "--stage", "sql", "--client", "builtin"],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=stage["alice"],
        start_new_session=True,
    )
    os.close(terminal)
    os.write(controller, b"SELECT CURRENT_USER()\n;\nexit\n")
    seen = b""
    with contextlib.suppress(OSError):  # EIO once the shell has exited
        while chunk := os.read(controller, 4096):
            seen += chunk
    os.close(controller)
    assert process.wait(30) == 0
    text = seen.decode().replace("\r\n", "\n")
    assert "sql> " in text and "  -> " in text and "CURRENT_USER()\napp@%\n" in text, text


@pytest.mark.skipif(not MYSQL, reason="no mysql client")
def test_the_token_reaches_the_mysql_client_in_a_private_option_file_only(stage, tmp_path):
    """A mysql on PATH that records its arguments and its option file's modes, then runs the real client."""
    record = tmp_path / "record"
    wrapper = tmp_path / "bin" / "mysql"
    wrapper.parent.mkdir()
    wrapper.write_text(
        f"""#!/bin/sh
[ "$1" = --version ] && exec {MYSQL} "$@"
file=${{1#--defaults-file=}}
{{ printf '%s\\n' "$@"; stat -c %a "$file" "$(dirname "$file")"; echo "$file"; }} > {record}
exec {MYSQL} "$@"
"""
    )
    wrapper.chmod(0o755)
    env = dict(stage["alice"], PATH=f"{wrapper.parent}:{os.environ['PATH']}")
    until_listening(stage)
    run = sql(env, "--client", "mysql", "-e", "SELECT CURRENT_USER()")
    assert run.returncode == 0 and run.stdout == "CURRENT_USER()\napp@%\n", run.stderr
    lines = record.read_text().splitlines()
    assert lines[0].startswith("--defaults-file=") and lines[-3:-1] == ["600", "700"]
    assert not any("X-Amz-Signature" in line or "Action=connect" in line for line in lines), lines
    assert not Path(lines[-1]).exists() and not Path(lines[-1]).parent.exists(), "the option file outlives the session"


@pytest.mark.parametrize("client", CLIENTS)
def test_through_the_vpn_tunnel_from_the_laptop(stage, laptop, client):
    """The developer's machine (a namespace) reaches the proxy at its VPC address only through OpenVPN; the
    token names the endpoint; the bundle is the copy fetched on loopback (the emulator is not reachable there)."""
    until_listening(stage)
    address = ["--address", stage["vpc_address"]]
    offline = sql(stage["alice"], *address, "--client", client, "-e", "SELECT 1", netns=laptop)
    assert offline.returncode == 2
    assert f"connect to the VPN first: openvpn --config {stage['profile']}" in offline.stderr

    vpn = Client(stage["profile"], laptop)
    try:
        assert vpn.wait_for("Initialization Sequence Completed"), vpn.text()
        run = sql(stage["alice"], *address, "--client", client, "-e", "SELECT CURRENT_USER()", netns=laptop)
        assert run.returncode == 0, run.stderr
        assert run.stdout == "CURRENT_USER()\napp@%\n"
        assert f"via {stage['vpc_address']}" in run.stderr
    finally:
        vpn.stop()


def test_an_unknown_stage_says_to_converge_it(stage):
    run = sql(stage["alice"], "--project", "other", "-e", "SELECT 1")
    assert run.returncode == 2 and run.stdout == ""
    assert "no outputs of stage 'sql' (project 'other')" in run.stderr
    assert "ansible-playbook playbooks/site.yml -e livestack_stage=sql" in run.stderr


def test_a_refused_token_names_the_missing_permission_and_the_stages_policy(stage):
    until_listening(stage)
    run = sql(stage["bob"], "-e", "SELECT 1")
    assert run.returncode == 2 and run.stdout == ""
    resource = f"arn:aws:rds-db:us-east-1:{ACCOUNT}:dbuser:{stage['resource_id']}/app"
    assert f"your AWS identity needs rds-db:connect on {resource}" in run.stderr
    assert f"the stage's policy for it is {stage['policy']}" in run.stderr


def test_a_certificate_the_bundle_does_not_verify_is_a_tls_error(stage, tmp_path):
    until_listening(stage)
    other = tmp_path / "other-ca.pem"
    other.write_text(pem(stage["pki"].ca))
    run = sql(stage["alice"], "--ca-bundle", str(other), "-e", "SELECT 1")
    assert run.returncode == 2 and run.stdout == ""
    assert re.search(rf"TLS: the certificate of .* is not verified by the CA bundle {other}: unable to get", run.stderr)


def test_a_statement_error_is_mysqls(stage):
    until_listening(stage)
    run = sql(stage["alice"], "--client", "builtin", "-e", "SELECT * FROM missing")
    assert run.returncode == 1 and "ERROR 1146" in run.stderr and "missing" in run.stderr
