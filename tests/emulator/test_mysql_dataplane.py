"""The emulator's MySQL data plane: a MariaDB behind each Aurora MySQL cluster, reached through the
cluster's and the RDS Proxy's endpoints, which check TLS and IAM tokens as AWS does."""

from __future__ import annotations

import datetime
import json
import shutil
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path
from unittest import mock

import boto3
import pymysql
import pytest
from conftest import start_emulator
from cryptography import x509
from support.builders import rds_available

from livestack_emulator import dataplane
from livestack_emulator.dataplane import mysql

ACCESS_DENIED = 1045
CLUSTER = "data-plane"
PROXY = "data-plane-proxy"


def health(emulator) -> dict:
    with urllib.request.urlopen(f"{emulator.url}/_livestack/health", timeout=10) as response:
        return json.load(response)


def connect(host: str, port: int, timeout: float = 30, **options) -> pymysql.connections.Connection:
    """A connection, retried while the endpoint or its server is still starting."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return pymysql.connect(host=host, port=port, connect_timeout=5, **options)
        except pymysql.err.OperationalError as error:
            if error.args[0] == ACCESS_DENIED or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def current_user(connection: pymysql.connections.Connection) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT CURRENT_USER()")
        return cursor.fetchone()[0]


def refusal(**options) -> pymysql.err.OperationalError:
    with pytest.raises(pymysql.err.OperationalError) as refused:
        pymysql.connect(connect_timeout=5, **options).close()
    return refused.value


def create_cluster(rds, name: str) -> dict:
    rds.create_db_cluster(
        DBClusterIdentifier=name,
        Engine="aurora-mysql",
        MasterUsername="admin",
        MasterUserPassword="password1",
        DatabaseName="app",
        EnableIAMDatabaseAuthentication=True,
        ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 2},
    )
    rds.create_db_instance(
        DBInstanceIdentifier=f"{name}-1",
        DBInstanceClass="db.serverless",
        Engine="aurora-mysql",
        DBClusterIdentifier=name,
    )
    return rds.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"][0]


@pytest.fixture(scope="module")
def stack(emulator):
    """A cluster with the IAM user ``app``, and a proxy (TLS, IAM required, debug logging) in front of it."""
    ec2, rds, secrets = emulator.client("ec2"), emulator.client("rds"), emulator.client("secretsmanager")
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.30.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in ((1, "a"), (2, "b"))
    ]
    secret = secrets.create_secret(
        Name="data-plane-master", SecretString=json.dumps({"username": "admin", "password": "password1"})
    )["ARN"]
    cluster = create_cluster(rds, CLUSTER)
    with connect(cluster["Endpoint"], cluster["Port"], user="admin", password="password1", database="app") as db:
        with db.cursor() as cursor:
            cursor.execute("CREATE USER 'app'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'")
            cursor.execute("GRANT SELECT ON app.* TO 'app'@'%'")
    proxy = rds.create_db_proxy(
        DBProxyName=PROXY,
        EngineFamily="MYSQL",
        Auth=[{"AuthScheme": "SECRETS", "SecretArn": secret, "IAMAuth": "REQUIRED"}],
        RoleArn="arn:aws:iam::123456789012:role/proxy",
        VpcSubnetIds=subnets,
        RequireTLS=True,
        DebugLogging=True,
    )["DBProxy"]
    rds_available(rds, proxy=PROXY, instances=[f"{CLUSTER}-1"])
    rds.register_db_proxy_targets(DBProxyName=PROXY, DBClusterIdentifiers=[CLUSTER])
    yield {"cluster": cluster, "proxy": proxy, "ca": health(emulator)["ca_bundle"], "subnets": subnets}
    rds.delete_db_proxy(DBProxyName=PROXY)
    rds.delete_db_instance(DBInstanceIdentifier=f"{CLUSTER}-1", SkipFinalSnapshot=True)
    rds.delete_db_cluster(DBClusterIdentifier=CLUSTER, SkipFinalSnapshot=True)


def tls(stack) -> dict:
    return {"ca": stack["ca"], "check_hostname": True}


def test_endpoints_are_loopback_addresses_on_the_reported_port(stack):
    assert stack["cluster"]["Endpoint"].startswith("127.77.")
    assert stack["cluster"]["Port"] == 3306
    assert stack["cluster"]["ReaderEndpoint"] == stack["cluster"]["Endpoint"]
    assert stack["proxy"]["Endpoint"].startswith("127.77.")
    assert stack["proxy"]["Endpoint"] != stack["cluster"]["Endpoint"]


def test_the_ca_bundle_is_served_and_is_the_endpoints_issuer(emulator, stack, tmp_path):
    with urllib.request.urlopen(f"{emulator.url}/_livestack/ca-bundle.pem", timeout=10) as response:
        served = response.read()
    assert served == Path(stack["ca"]).read_bytes()
    authority = x509.load_pem_x509_certificate(served)
    assert authority.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(served)
    context = ssl.create_default_context(cafile=str(bundle))
    host = stack["proxy"]["Endpoint"]
    with pymysql.connect(
        host=host, port=3306, user="admin", password=emulator.client("rds").generate_db_auth_token(host, 3306, "admin"),
        ssl=context,
    ) as db:  # fmt: skip
        sans = db._sock.getpeercert()["subjectAltName"]
    # The endpoint's loopback address, and its address in the VPC (reached through a Client VPN tunnel).
    assert sans[0] == ("IP Address", host) and len(sans) == 2
    assert sans[1][1].startswith("10.30.1.")  # a host of the proxy's first subnet


def test_the_master_user_connects_through_the_cluster_endpoint_with_its_password(stack):
    cluster = stack["cluster"]
    with connect(cluster["Endpoint"], 3306, user="admin", password="password1", database="app") as db:
        assert current_user(db) == "admin@%"
        with db.cursor() as cursor:
            cursor.execute("SELECT DATABASE()")
            assert cursor.fetchone() == ("app",)
    denied = refusal(host=cluster["Endpoint"], port=3306, user="admin", password="password2")
    assert denied.args[0] == ACCESS_DENIED


def test_an_iam_user_logs_in_to_the_cluster_with_a_token_over_tls(emulator, stack):
    host = stack["cluster"]["Endpoint"]
    token = emulator.client("rds").generate_db_auth_token(host, 3306, "app")
    with connect(host, 3306, user="app", password=token, ssl=tls(stack)) as db:
        assert current_user(db) == "app@%"
    assert refusal(host=host, port=3306, user="app", password=token, ssl_disabled=True).args[0] == ACCESS_DENIED
    # The internal password is MariaDB's business: a client that guessed the hash's preimage would need the key.
    assert refusal(host=host, port=3306, user="app", password="app", ssl=tls(stack)).args[0] == ACCESS_DENIED


def test_iam_users_are_refused_once_iam_database_authentication_is_off(emulator, stack):
    rds, host = emulator.client("rds"), stack["cluster"]["Endpoint"]
    rds.modify_db_cluster(DBClusterIdentifier=CLUSTER, EnableIAMDatabaseAuthentication=False, ApplyImmediately=True)
    try:
        described = rds.describe_db_clusters(DBClusterIdentifier=CLUSTER)["DBClusters"][0]
        assert described["IAMDatabaseAuthenticationEnabled"] is False
        token = rds.generate_db_auth_token(host, 3306, "app")
        assert refusal(host=host, port=3306, user="app", password=token, ssl=tls(stack)).args[0] == ACCESS_DENIED
    finally:
        rds.modify_db_cluster(DBClusterIdentifier=CLUSTER, EnableIAMDatabaseAuthentication=True, ApplyImmediately=True)


def test_a_good_token_over_tls_logs_in_through_the_proxy_as_the_secrets_user(emulator, stack):
    host = stack["proxy"]["Endpoint"]
    token = emulator.client("rds").generate_db_auth_token(host, 3306, "admin")
    with connect(host, 3306, user="admin", password=token, ssl=tls(stack)) as db:
        assert current_user(db) == "admin@%"  # the secret's user, logged in with the secret's password


def _token(emulator, host, port, user, *, minutes_ago=0, secret="testing"):
    rds = boto3.client(
        "rds",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key=secret,
        endpoint_url=emulator.url,
    )

    then = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(minutes=minutes_ago)
    with mock.patch("botocore.auth.get_current_datetime", return_value=then):
        return rds.generate_db_auth_token(host, port, user)


@pytest.mark.parametrize(
    "case",
    ["no TLS", "expired token", "token for another user", "another host", "another port", "bad signature", "password"],
)
def test_the_proxy_refuses_with_1045(emulator, stack, case):
    host = stack["proxy"]["Endpoint"]
    good = {"host": host, "port": 3306, "user": "admin", "ssl": tls(stack)}
    password = {
        "no TLS": lambda: _token(emulator, host, 3306, "admin"),
        "expired token": lambda: _token(emulator, host, 3306, "admin", minutes_ago=16),
        "token for another user": lambda: _token(emulator, host, 3306, "app"),
        "another host": lambda: _token(emulator, stack["cluster"]["Endpoint"], 3306, "admin"),
        "another port": lambda: _token(emulator, host, 3307, "admin"),
        "bad signature": lambda: _token(emulator, host, 3306, "admin", secret="not-the-secret"),
        "password": lambda: "password1",
    }[case]()
    options = {**good, "ssl": None, "ssl_disabled": True} if case == "no TLS" else good
    assert refusal(password=password, **options).args[0] == ACCESS_DENIED
    # A token a minute old is still good: the refusal is the case's, not the clock's.
    with connect(password=_token(emulator, host, 3306, "admin", minutes_ago=1), **good):
        pass


def test_the_signers_policy_must_allow_rds_db_connect_on_the_proxys_user(emulator, stack):
    iam, host = emulator.client("iam"), stack["proxy"]["Endpoint"]
    iam.create_user(UserName="data-plane-developer")
    key = iam.create_access_key(UserName="data-plane-developer")["AccessKey"]
    developer = boto3.client(
        "rds",
        endpoint_url=emulator.url,
        region_name="us-east-1",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )
    token = developer.generate_db_auth_token(host, 3306, "admin")
    assert refusal(host=host, port=3306, user="admin", password=token, ssl=tls(stack)).args[0] == ACCESS_DENIED
    resource_id = stack["proxy"]["DBProxyArn"].rsplit(":", 1)[1]
    statement = {
        "Effect": "Allow",
        "Action": "rds-db:connect",
        "Resource": f"arn:aws:rds-db:us-east-1:123456789012:dbuser:{resource_id}/admin",
    }
    iam.put_user_policy(
        UserName="data-plane-developer",
        PolicyName="connect",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )
    with connect(host, 3306, user="admin", password=token, ssl=tls(stack)) as db:
        assert current_user(db) == "admin@%"


def test_refusals_are_in_the_proxys_log_group(emulator, stack):
    host = stack["proxy"]["Endpoint"]
    refusal(host=host, port=3306, user="nobody", password="x", ssl=tls(stack))
    events = emulator.client("logs").filter_log_events(logGroupName=f"/aws/rds/proxy/{PROXY}")["events"]
    assert any("access denied for 'nobody'" in event["message"] for event in events)


def test_password_auth_when_the_proxy_has_iam_disabled(emulator, stack):
    rds, host = emulator.client("rds"), stack["proxy"]["Endpoint"]
    secret = emulator.client("secretsmanager").describe_secret(SecretId="data-plane-master")["ARN"]
    rds.modify_db_proxy(DBProxyName=PROXY, Auth=[{"AuthScheme": "SECRETS", "SecretArn": secret, "IAMAuth": "DISABLED"}])
    try:
        with connect(host, 3306, user="admin", password="password1", ssl=tls(stack)) as db:
            assert current_user(db) == "admin@%"
        assert refusal(host=host, port=3306, user="admin", password="nope", ssl=tls(stack)).args[0] == ACCESS_DENIED
    finally:
        rds.modify_db_proxy(
            DBProxyName=PROXY, Auth=[{"AuthScheme": "SECRETS", "SecretArn": secret, "IAMAuth": "REQUIRED"}]
        )


def proxy_role(iam, name: str, resources: list[str], attached: bool = False) -> str:
    """A role for the proxy allowing rds-db:connect on ``resources``, inline or as an attached managed policy."""
    trust = {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "rds.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    }
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    document = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "rds-db:connect", "Resource": resources}]}
    )
    if attached:
        policy = iam.create_policy(PolicyName=f"{name}-connect", PolicyDocument=document)["Policy"]["Arn"]
        iam.attach_role_policy(RoleName=name, PolicyArn=policy)
    else:
        iam.put_role_policy(RoleName=name, PolicyName="connect", PolicyDocument=document)
    return arn


@pytest.mark.parametrize(
    ("role", "resource", "attached", "admitted"),
    [
        ("e2e-exact", "{cluster}/app", False, True),
        ("e2e-attached", "{cluster}/app", True, True),
        ("e2e-wildcard", "{cluster}/*", False, True),
        ("e2e-other-user", "{cluster}/report", False, False),
        ("e2e-other-cluster", "cluster-OTHER/app", False, False),
        ("e2e-proxy-resource", "{proxy}/app", False, False),
    ],
)
def test_end_to_end_iam_logs_in_as_the_user_only_when_the_proxys_role_may(
    emulator, stack, role, resource, attached, admitted
):
    rds, iam, host = emulator.client("rds"), emulator.client("iam"), stack["proxy"]["Endpoint"]
    ids = {"cluster": stack["cluster"]["DbClusterResourceId"], "proxy": stack["proxy"]["DBProxyArn"].rsplit(":", 1)[1]}
    arn = proxy_role(iam, role, [f"arn:aws:rds-db:us-east-1:123456789012:dbuser:{resource.format(**ids)}"], attached)
    rds.modify_db_proxy(DBProxyName=PROXY, DefaultAuthScheme="IAM_AUTH", RoleArn=arn)
    try:
        token = rds.generate_db_auth_token(host, 3306, "app")
        if admitted:
            with connect(host, 3306, user="app", password=token, ssl=tls(stack)) as db:
                assert current_user(db) == "app@%"
        else:
            refused = refusal(host=host, port=3306, user="app", password=token, ssl=tls(stack))
            assert refused.args[0] == ACCESS_DENIED
            events = emulator.client("logs").filter_log_events(logGroupName=f"/aws/rds/proxy/{PROXY}")["events"]
            expected = f"User: {arn} is not authorized to perform: rds-db:connect on resource: arn:aws:rds-db:"
            assert any(expected in event["message"] for event in events)
        # admin is a password user of the cluster, not an IAM one: end-to-end IAM cannot log it in.
        token = rds.generate_db_auth_token(host, 3306, "admin")
        assert refusal(host=host, port=3306, user="admin", password=token, ssl=tls(stack)).args[0] == ACCESS_DENIED
    finally:
        rds.modify_db_proxy(DBProxyName=PROXY, DefaultAuthScheme="NONE", RoleArn="arn:aws:iam::123456789012:role/proxy")


def test_end_to_end_iam_refuses_when_the_proxys_role_does_not_exist(emulator, stack):
    rds, host = emulator.client("rds"), stack["proxy"]["Endpoint"]
    rds.modify_db_proxy(DBProxyName=PROXY, DefaultAuthScheme="IAM_AUTH", RoleArn="arn:aws:iam::123456789012:role/gone")
    try:
        token = rds.generate_db_auth_token(host, 3306, "app")
        assert refusal(host=host, port=3306, user="app", password=token, ssl=tls(stack)).args[0] == ACCESS_DENIED
    finally:
        rds.modify_db_proxy(DBProxyName=PROXY, DefaultAuthScheme="NONE", RoleArn="arn:aws:iam::123456789012:role/proxy")


def session_status(connection: pymysql.connections.Connection, statement: str) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(statement)
        return cursor.fetchone()


def test_the_sessions_tls_status_is_the_clients_tls_session(emulator, stack):
    """MariaDB's socket carries no TLS: the front end answers Ssl_cipher and Ssl_version for the client's session."""
    rds = emulator.client("rds")
    for host, user in ((stack["cluster"]["Endpoint"], "app"), (stack["proxy"]["Endpoint"], "admin")):
        token = rds.generate_db_auth_token(host, 3306, user)
        with connect(host, 3306, user=user, password=token, ssl=tls(stack)) as db:
            cipher, version, _bits = db._sock.cipher()
            assert cipher and version.startswith("TLS")
            assert session_status(db, "SHOW STATUS LIKE 'Ssl_cipher'") == ("Ssl_cipher", cipher)
            assert session_status(db, "show session status like 'ssl_version';") == ("Ssl_version", version)
            assert session_status(db, "SELECT 'Ssl_cipher'") == ("Ssl_cipher",)  # other statements as they are
    with connect(stack["cluster"]["Endpoint"], 3306, user="admin", password="password1", ssl_disabled=True) as plain:
        assert session_status(plain, "SHOW STATUS LIKE 'Ssl_cipher'") == ("Ssl_cipher", "")


def test_idle_clients_are_disconnected(emulator, stack):
    rds, host = emulator.client("rds"), stack["proxy"]["Endpoint"]
    rds.modify_db_proxy(DBProxyName=PROXY, IdleClientTimeout=1)
    try:
        db = connect(host, 3306, user="admin", password=rds.generate_db_auth_token(host, 3306, "admin"), ssl=tls(stack))
        assert current_user(db) == "admin@%"
        time.sleep(2.5)
        with pytest.raises(pymysql.err.OperationalError):
            current_user(db)
    finally:
        rds.modify_db_proxy(DBProxyName=PROXY, IdleClientTimeout=1800)


def test_a_proxy_without_target_refuses_connections(emulator, stack):
    rds = emulator.client("rds")
    lonely = rds.create_db_proxy(
        DBProxyName="data-plane-lonely",
        EngineFamily="MYSQL",
        Auth=[{"AuthScheme": "SECRETS", "SecretArn": stack["proxy"]["Auth"][0]["SecretArn"], "IAMAuth": "REQUIRED"}],
        RoleArn="arn:aws:iam::123456789012:role/proxy",
        VpcSubnetIds=stack["subnets"],
        RequireTLS=True,
    )["DBProxy"]
    try:
        host = lonely["Endpoint"]
        token = rds.generate_db_auth_token(host, 3306, "admin")
        deadline = time.monotonic() + 10
        while True:
            refused = refusal(host=host, port=3306, user="admin", password=token, ssl=tls(stack))
            if refused.args[0] != 2003 or time.monotonic() > deadline:  # 2003: not listening yet
                break
        assert refused.args[0] == 2013
        assert "no registered target" in refused.args[1]
    finally:
        rds.delete_db_proxy(DBProxyName="data-plane-lonely")


@pytest.mark.skipif(not shutil.which("mariadb"), reason="the mariadb client is not installed")
def test_the_mariadb_client_logs_in_with_a_token(emulator, stack):
    host = stack["proxy"]["Endpoint"]
    token = emulator.client("rds").generate_db_auth_token(host, 3306, "admin")
    result = subprocess.run(
        ["mariadb", "--no-defaults", "-h", host, "-P", "3306", "-u", "admin", f"--password={token}",
         "--ssl", f"--ssl-ca={stack['ca']}", "--ssl-verify-server-cert",
         "-N", "-e", "SELECT CURRENT_USER()"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.stdout.strip() == "admin@%", result.stderr


def test_modify_db_cluster_changes_the_master_password(emulator):
    rds = emulator.client("rds")
    cluster = create_cluster(rds, "data-plane-modify")
    try:
        connect(cluster["Endpoint"], 3306, user="admin", password="password1").close()
        rds.modify_db_cluster(
            DBClusterIdentifier="data-plane-modify", MasterUserPassword="password2", ApplyImmediately=True
        )
        connect(cluster["Endpoint"], 3306, user="admin", password="password2").close()
        assert refusal(host=cluster["Endpoint"], port=3306, user="admin", password="password1").args[0] == 1045
    finally:
        rds.delete_db_instance(DBInstanceIdentifier="data-plane-modify-1", SkipFinalSnapshot=True)
        rds.delete_db_cluster(DBClusterIdentifier="data-plane-modify", SkipFinalSnapshot=True)


def _mariadbd(state: str) -> list[str]:
    found = subprocess.run(["pgrep", "-a", "mariadbd"], capture_output=True, text=True).stdout.splitlines()
    return [line for line in found if state in line]


def _listening(address: str) -> bool:
    return address in subprocess.run(["ss", "-Hltn"], capture_output=True, text=True).stdout


def test_nothing_is_left_running_after_reset_and_exit(tmp_path, monkeypatch):
    state = tmp_path / "state"
    monkeypatch.setenv("LIVESTACK_EMULATOR_STATE", str(state))
    process, emulator = start_emulator(tmp_path / "emulator.log")
    try:
        rds = emulator.client("rds")
        endpoints = []
        for name in ("life-1", "life-2"):
            cluster = create_cluster(rds, name)
            connect(cluster["Endpoint"], 3306, user="admin", password="password1").close()
            endpoints.append(cluster["Endpoint"])
        assert len(_mariadbd(str(state))) == 2
        assert all(_listening(f"{address}:3306") for address in endpoints)
        emulator.reset()
        assert _mariadbd(str(state)) == []
        assert not any(_listening(f"{address}:3306") for address in endpoints)
        cluster = create_cluster(rds, "life-3")
        connect(cluster["Endpoint"], 3306, user="admin", password="password1").close()
        assert len(_mariadbd(str(state))) == 1
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert _mariadbd(str(state)) == []
    assert not _listening(f"{cluster['Endpoint']}:3306")


def test_a_missing_mariadb_is_reported_not_passed(monkeypatch, tmp_path):
    def missing(name: str) -> str:
        raise dataplane.Unavailable(
            f"the emulator's data plane needs {name}: run `sudo apt-get install -y mariadb-server`"
        )

    monkeypatch.setattr(mysql, "binary", missing)
    monkeypatch.setattr(dataplane, "_current", dataplane.Supervisor(tmp_path))
    report = mysql.health()
    assert report["available"] is False
    assert "apt-get install -y mariadb-server" in report["error"]
    server = mysql.start("123456789012", "us-east-1", "no-mariadb", "admin", "password1")
    with pytest.raises(dataplane.Unavailable, match="apt-get install"):
        server.wait(10)
    assert mysql.health()["servers"]["us-east-1/no-mariadb"]["error"]
    mysql.stop("123456789012", "us-east-1", "no-mariadb")


def test_with_realistic_timing_the_endpoint_answers_once_cluster_and_instance_are_available(tmp_path):
    process, emulator = start_emulator(tmp_path / "emulator.log", "--timing", '{"scale": 0.3}')
    try:
        rds = emulator.client("rds")
        started = time.monotonic()
        cluster = create_cluster(rds, "timed")
        assert refusal(host=cluster["Endpoint"], port=3306, user="admin", password="password1").args[0] == 2003
        connect(cluster["Endpoint"], 3306, user="admin", password="password1").close()
        # The instance (8 AWS minutes, 2.4 s at this scale) is the last to become available.
        assert time.monotonic() - started >= 2.4
        assert rds.describe_db_instances(DBInstanceIdentifier="timed-1")["DBInstances"][0]["DBInstanceStatus"] == (
            "available"
        )
    finally:
        process.terminate()
        process.wait(timeout=30)
