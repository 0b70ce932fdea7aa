"""Helpers of the relay tests: a relay stage deployed with boto3, the stub called as Lambda calls it, clients."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from conftest import create_function
from support.builders import rds_available, serverless_cluster

ROOT = Path(__file__).resolve().parents[2]
FILES = ROOT / "roles" / "dev_relay" / "files"
sys.path.insert(0, str(FILES))

PROTOCOL = f"livestack_relay/protocol.py={FILES / 'relay_protocol.py'}"  # as the role ships it
build_zip = importlib.import_module("build_zip")
relay_stub = importlib.import_module("relay_stub")

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


@dataclass
class RelayStage:
    stage: str
    url: str
    bucket: str
    table: str
    api_id: str
    emulator_url: str
    developer: str = "alice"
    clients: list[subprocess.Popen] = field(default_factory=list)

    def environment(self, developer: str | None = None) -> dict[str, str]:
        return {
            "LIVESTACK_RELAY_URL": self.url,
            "LIVESTACK_RELAY_STAGE": self.stage,
            "LIVESTACK_RELAY_DEVELOPER": developer or self.developer,
            "LIVESTACK_RELAY_BUCKET": self.bucket,
        }


def deploy_relay(emulator, stage: str, developers: list[str] | None = None) -> RelayStage:
    """What the dev_relay role creates, made directly: table, bucket, relay functions, WebSocket API; any developer's
    client is accepted unless ``developers`` are named (LIVESTACK_RELAY_DEVELOPERS, as the role sets it)."""
    prefix = f"livestack-{stage}"
    iam, dynamodb, s3 = emulator.client("iam"), emulator.client("dynamodb"), emulator.client("s3")
    lambda_, apis = emulator.client("lambda"), emulator.client("apigatewayv2")
    role = iam.create_role(RoleName=f"{prefix}-relay", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    dynamodb.create_table(
        TableName=f"{prefix}-relay",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
    )
    s3.create_bucket(Bucket=f"{prefix}-relay-payloads")
    code = build_zip.zip_bytes([FILES / "relay_routes.py", PROTOCOL])
    api = apis.create_api(
        Name=f"{prefix}-relay", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )
    for route_key, function in (
        ("$connect", "on_connect"),
        ("$disconnect", "on_disconnect"),
        ("$default", "on_message"),
    ):
        arn = create_function(
            lambda_,
            FunctionName=f"{prefix}-relay-{function.replace('_', '-')}",
            Runtime="python3.12",
            Role=role,
            Handler=f"relay_routes.{function}",
            Code={"ZipFile": code},
            Timeout=10,
            Environment={
                "Variables": {
                    "LIVESTACK_RELAY_TABLE": f"{prefix}-relay",
                    "LIVESTACK_RELAY_STAGE": stage,
                    **({"LIVESTACK_RELAY_DEVELOPERS": ",".join(developers)} if developers else {}),
                }
            },
        )["FunctionArn"]
        integration = apis.create_integration(
            ApiId=api["ApiId"],
            IntegrationType="AWS_PROXY",
            IntegrationUri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations",
        )["IntegrationId"]
        apis.create_route(
            ApiId=api["ApiId"],
            RouteKey=route_key,
            Target=f"integrations/{integration}",
            AuthorizationType="AWS_IAM" if route_key == "$connect" else "NONE",
        )
    apis.create_stage(ApiId=api["ApiId"], StageName=stage)
    endpoint = apis.get_api(ApiId=api["ApiId"])["ApiEndpoint"]
    return RelayStage(
        stage, f"{endpoint}/{stage}", f"{prefix}-relay-payloads", f"{prefix}-relay", api["ApiId"], emulator.url
    )


@dataclass
class App:
    """The stub deployed as the app function, behind an HTTP API, as the dev_relay role deploys it."""

    function: str
    http_url: str
    emulator: object
    role_arn: str

    def get(self, path: str, timeout: float = 60.0) -> tuple[int, dict]:
        """(status, JSON body) of a GET through the HTTP API, as curl would make it."""
        try:
            with urllib.request.urlopen(f"{self.http_url}{path}", timeout=timeout) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def invoke(self, event: dict, timeout: float = 60.0) -> tuple[bool, dict]:
        """(ok, payload) of a direct Invoke of the function (no HTTP API in between)."""
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "lambda",
            endpoint_url=self.emulator.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(read_timeout=timeout, retries={"max_attempts": 1}),
        )
        answer = client.invoke(FunctionName=self.function, Payload=json.dumps(event).encode())
        return "FunctionError" not in answer, json.loads(answer["Payload"].read())


def deploy_app(
    emulator,
    stage: RelayStage,
    timeout: int = 30,
    developer: str | None = None,
    runtime: str = "python3.12",
    **variables,
) -> App:
    """The stub as the stage's app function (a role of its own) behind an HTTP API."""
    name = f"livestack-{stage.stage}-app-{uuid.uuid4().hex[:4]}"
    iam, lambda_, apis = emulator.client("iam"), emulator.client("lambda"), emulator.client("apigatewayv2")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    code = build_zip.zip_bytes([FILES / "relay_stub.py", FILES / "relay_stub_websocket.py", PROTOCOL])
    arn = create_function(
        lambda_,
        FunctionName=name,
        Runtime=runtime,
        Role=role,
        Handler="relay_stub.handler",
        Code={"ZipFile": code},
        Timeout=timeout,
        MemorySize=256,
        Environment={"Variables": {**stage.environment(developer), **variables}},
    )["FunctionArn"]
    api = apis.create_api(Name=name, ProtocolType="HTTP")
    integration = apis.create_integration(
        ApiId=api["ApiId"], IntegrationType="AWS_PROXY", IntegrationUri=arn, PayloadFormatVersion="2.0"
    )["IntegrationId"]
    apis.create_route(ApiId=api["ApiId"], RouteKey="$default", Target=f"integrations/{integration}")
    apis.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
    return App(name, apis.get_api(ApiId=api["ApiId"])["ApiEndpoint"], emulator, role)


class FakeContext:
    """What the Lambda runtime passes the handler."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.function_name = "livestack-test-app"
        self.function_version = "$LATEST"
        self.invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:livestack-test-app"
        self.memory_limit_in_mb = "128"
        self.log_group_name = "/aws/lambda/livestack-test-app"
        self.log_stream_name = "stream"
        self._deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def invoke_stub(stage: RelayStage, event, monkeypatch, developer: str | None = None, timeout: float = 10.0):
    """Call the stub's handler as the Lambda runtime does, with the stage's environment."""
    for name, value in stage.environment(developer).items():
        monkeypatch.setenv(name, value)
    return relay_stub.handler(event, FakeContext(timeout))


class Client:
    """A ``python -m livestack_relay`` process and its output."""

    def __init__(
        self,
        stage: RelayStage,
        handler: str,
        path: Path,
        developer: str,
        log: Path,
        options: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.log = log
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_ENDPOINT_URL": stage.emulator_url,
            "AWS_REGION": "us-east-1",
            **(env or {}),
        }
        env.pop("AWS_PROFILE", None)
        command = [sys.executable, "-m", "livestack_relay", handler, "--url", stage.url, "--stage", stage.stage]
        command += ["--developer", developer, "--path", str(path), *(options or [])]
        self.process = subprocess.Popen(
            command, env=env, stdin=subprocess.PIPE, stdout=log.open("w"), stderr=subprocess.STDOUT
        )

    def output(self) -> str:
        return self.log.read_text()

    def wait_for(self, text: str, count: int = 1, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.output().count(text) < count:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not seen {count} times; client output:\n{self.output()}")
            time.sleep(0.05)

    def wait_for_file(self, path: Path, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not path.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{path} never appeared; client output:\n{self.output()}")
            time.sleep(0.05)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(2)  # SIGINT, as Ctrl-C
            try:
                # Generous: closing the WebSocket and the workers takes a while on a loaded machine.
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@dataclass
class Database:
    """An Aurora MySQL cluster with an IAM user, behind an RDS Proxy with end-to-end IAM, on the emulator."""

    host: str  # the proxy's endpoint
    port: int
    user: str
    name: str
    ca_bundle_url: str
    policy_arn: str  # rds-db:connect as the user through the proxy, as the rds_proxy role's client policy


def deploy_database(emulator, prefix: str, user: str = "relayuser", name: str = "relaydb") -> Database:
    """The cluster, its IAM user made as the master (as the aurora role's users are), the proxy (TLS, IAM required,
    DefaultAuthScheme IAM_AUTH), and the user's client policy, made directly with boto3 and pymysql."""
    import pymysql

    ec2, rds, secrets, iam = (emulator.client(s) for s in ("ec2", "rds", "secretsmanager", "iam"))
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in ((1, "a"), (2, "b"))
    ]
    password = uuid.uuid4().hex
    secret = secrets.create_secret(
        Name=f"{prefix}-master", SecretString=json.dumps({"username": "admin", "password": password})
    )["ARN"]
    cluster = serverless_cluster(rds, f"{prefix}-aurora", password)
    deadline = time.monotonic() + 60
    while True:  # the cluster's MariaDB starts in the background
        try:
            master = pymysql.connect(
                host=cluster["Endpoint"], port=3306, user="admin", password=password, connect_timeout=5
            )
            break
        except pymysql.err.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    with master, master.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
        cursor.execute(f"CREATE USER '{user}'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'")
        cursor.execute(f"GRANT SELECT ON {name}.* TO '{user}'@'%'")
    # End-to-end IAM: the proxy logs in as the user only if its role may (rds-db:connect on the cluster's dbuser).
    trust = {"Effect": "Allow", "Principal": {"Service": "rds.amazonaws.com"}, "Action": "sts:AssumeRole"}
    iam.create_role(
        RoleName=f"{prefix}-proxy",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [trust]}),
    )
    cluster_user = f"arn:aws:rds-db:us-east-1:123456789012:dbuser:{cluster['DbClusterResourceId']}/{user}"
    iam.put_role_policy(
        RoleName=f"{prefix}-proxy",
        PolicyName="connect",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "rds-db:connect", "Resource": cluster_user}],
            }
        ),
    )
    proxy = rds.create_db_proxy(
        DBProxyName=f"{prefix}-proxy",
        EngineFamily="MYSQL",
        Auth=[{"AuthScheme": "SECRETS", "SecretArn": secret, "IAMAuth": "REQUIRED"}],
        RoleArn=f"arn:aws:iam::123456789012:role/{prefix}-proxy",
        VpcSubnetIds=subnets,
        RequireTLS=True,
    )["DBProxy"]
    rds_available(rds, proxy=f"{prefix}-proxy", instances=[f"{prefix}-aurora-1"])
    rds.modify_db_proxy(DBProxyName=f"{prefix}-proxy", DefaultAuthScheme="IAM_AUTH")
    rds.register_db_proxy_targets(DBProxyName=f"{prefix}-proxy", DBClusterIdentifiers=[f"{prefix}-aurora"])
    resource_id = proxy["DBProxyArn"].split(":")[-1]
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "rds-db:connect",
                "Resource": f"arn:aws:rds-db:us-east-1:123456789012:dbuser:{resource_id}/{user}",
            }
        ],
    }
    policy = iam.create_policy(PolicyName=f"{prefix}-proxy-connect-{user}", PolicyDocument=json.dumps(document))
    return Database(
        proxy["Endpoint"], 3306, user, name, f"{emulator.url}/_livestack/ca-bundle.pem", policy["Policy"]["Arn"]
    )
