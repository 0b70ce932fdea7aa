"""Each patch of moto is still needed: plain moto (its own server, none of our extensions) still gets it wrong.

One check per extension that patches moto (``/_livestack/health`` lists them): the request the patch is for,
sent to a plain ``moto_server`` of the pinned version, and an assertion that moto still answers as the patch's
``why`` says. When a moto upgrade fixes it, the check fails saying that the patch can go.
"""

from __future__ import annotations

import datetime
import io
import json
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
import zipfile
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

MOTO = version("moto")


def still_wrong(condition: bool, extension: str, what: str) -> None:
    assert condition, (
        f"moto {MOTO} {what}: the patch {extension} may be unnecessary now; remove it (and this check) "
        "if the emulator's tests pass without it"
    )


def error_of(call: Callable[..., object], **kwargs: object) -> str | None:
    """The error code (or botocore's error, for a response it cannot parse) that ``call`` answers, None if none."""
    try:
        call(**kwargs)
    except ClientError as error:
        return error.response["Error"]["Code"] + ": " + error.response["Error"].get("Message", "")
    except (BotoCoreError, ResponseParserError) as error:  # moto's 500 for an operation it lacks
        return type(error).__name__
    return None


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Callable[..., object]:
    """A client factory for a plain moto server (``moto_server``, no livestack extension loaded)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (tmp_path_factory.mktemp("plain-moto") / "moto.log").open("w")
    server = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen([str(server), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=5).close()
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, "moto_server did not start"
            time.sleep(0.2)

    def client(service: str):
        return boto3.client(
            service,
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1}),
        )

    yield client
    process.terminate()
    process.wait(timeout=30)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _certificate(subject: str, key, issuer: x509.Name | None = None, issuer_key=None, ca: bool = False):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key or key, hashes.SHA256())
    )


def pem_pair() -> tuple[bytes, bytes, bytes]:
    """A server certificate, its key and the CA that signed it (PEM)."""
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("livestack test CA", ca_key, ca=True)
    leaf = _certificate("server.livestack.test", key, issuer=ca.subject, issuer_key=ca_key)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return leaf.public_bytes(serialization.Encoding.PEM), private, ca.public_bytes(serialization.Encoding.PEM)


def function_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def role(plain) -> str:
    return plain("iam").create_role(RoleName=unique("role"), AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]


def vpc_with_subnet(plain) -> tuple[str, str]:
    ec2 = plain("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    return vpc, subnet


def aurora_cluster(plain, **extra) -> dict:
    return plain("rds").create_db_cluster(
        DBClusterIdentifier=unique("cluster"),
        Engine="aurora-mysql",
        EngineVersion="8.0.mysql_aurora.3.08.0",
        MasterUsername="admin",
        MasterUserPassword="password-1234",
        **extra,
    )["DBCluster"]


# One check per extension that patches moto, named as the health route's "extension" ends.


def check_acm_import(plain) -> None:
    acm = plain("acm")
    certificate, key, chain = pem_pair()
    arn = acm.import_certificate(
        Certificate=certificate, PrivateKey=key, CertificateChain=chain, Tags=[{"Key": "k", "Value": "v"}]
    )["CertificateArn"]
    still_wrong(
        acm.get_certificate(CertificateArn=arn)["CertificateChain"].strip() != chain.decode().strip(),
        "acm_import",
        "returns the imported chain as it was imported",
    )
    acm.import_certificate(CertificateArn=arn, Certificate=certificate, PrivateKey=key, CertificateChain=chain)
    still_wrong(
        acm.list_tags_for_certificate(CertificateArn=arn).get("Tags", []) == [],
        "acm_import",
        "keeps a certificate's tags on a re-import by ARN",
    )


def check_acm_in_use(plain) -> None:
    # The certificate users are Client VPN endpoints, which moto does not implement: while it does not, nothing of
    # moto's can list them in InUseBy or refuse their certificate's deletion.
    error = error_of(plain("ec2").describe_client_vpn_endpoints)
    still_wrong(error is not None, "acm_in_use", "implements Client VPN endpoints")


def check_apigatewayv2_endpoints(plain) -> None:
    endpoint = plain("apigatewayv2").create_api(Name=unique("api"), ProtocolType="WEBSOCKET")["ApiEndpoint"]
    still_wrong(
        endpoint.endswith(".amazonaws.com"),
        "apigatewayv2_endpoints",
        f"reports an ApiEndpoint other than AWS's host name ({endpoint}), maybe one it serves",
    )


def check_apigatewayv2_deployments(plain) -> None:
    api = plain("apigatewayv2").create_api(Name=unique("api"), ProtocolType="HTTP")["ApiId"]
    stage = plain("apigatewayv2").create_stage(ApiId=api, StageName="dev", AutoDeploy=True)
    still_wrong(
        "DeploymentId" not in stage and "LastDeploymentStatusMessage" not in stage,
        "apigatewayv2_deployments (Stage.to_json)",
        "reports an auto-deploying stage's deployment",
    )


def check_dynamodb_table_id(plain) -> None:
    table = plain("dynamodb").create_table(
        TableName=unique("table"),
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]
    still_wrong("TableId" not in table, "dynamodb_table_id", "returns the TableId")


def check_ec2_tags(plain) -> None:
    ec2 = plain("ec2")
    _, subnet = vpc_with_subnet(plain)
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    name = unique("nat")
    gateway = ec2.create_nat_gateway(
        SubnetId=subnet,
        AllocationId=allocation,
        TagSpecifications=[{"ResourceType": "natgateway", "Tags": [{"Key": "Name", "Value": name}]}],
    )["NatGateway"]["NatGatewayId"]
    tagged = ec2.describe_tags(
        Filters=[{"Name": "resource-type", "Values": ["natgateway"]}, {"Name": "resource-id", "Values": [gateway]}]
    )["Tags"]
    still_wrong(tagged == [], "ec2_tags (EC2_PREFIX_TO_RESOURCE)", "files NAT gateways' tags under natgateway")
    other = ec2.describe_nat_gateways(Filters=[{"Name": "tag:Name", "Values": [unique("other")]}])["NatGateways"]
    still_wrong(
        gateway in [found["NatGatewayId"] for found in other],
        "ec2_tags (describe_nat_gateways)",
        "applies DescribeNatGateways' tag filters",
    )


def check_iam_propagation(plain) -> None:
    # On AWS a role is not assumable by Lambda for a while after its creation; moto takes it at once.
    error = error_of(
        plain("lambda").create_function,
        FunctionName=unique("fn"),
        Runtime="python3.12",
        Role=role(plain),
        Handler="index.handler",
        Code={"ZipFile": function_zip()},
    )
    still_wrong(error is None, "iam_propagation", f"refuses a role just created ({error})")


def check_lambda_strict(plain) -> None:
    _, subnet = vpc_with_subnet(plain)
    group = plain("ec2").describe_security_groups()["SecurityGroups"][0]["GroupId"]
    name = unique("fn")
    created = plain("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role(plain),
        Handler="index.handler",
        Code={"ZipFile": function_zip()},
        VpcConfig={"SubnetIds": [subnet], "SecurityGroupIds": [group]},
    )
    still_wrong(created.get("State") == "Active", "lambda_strict", "makes a new function Pending first")
    interfaces = plain("ec2").describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [subnet]}])
    still_wrong(interfaces["NetworkInterfaces"] == [], "lambda_strict", "gives a VPC function its network interfaces")


def check_name_rules(plain) -> None:
    bucket = error_of(plain("s3").create_bucket, Bucket=unique("xn--livestack"))  # S3 refuses the xn-- prefix
    still_wrong(bucket is None, "name_rules (create_bucket)", "refuses a bucket name breaking S3's rules")
    role_name = error_of(plain("iam").create_role, RoleName=unique("r" * 60), AssumeRolePolicyDocument=TRUST)
    still_wrong(role_name is None, "name_rules (create_role)", "refuses a role name over 64 characters")
    function = error_of(
        plain("lambda").create_function,
        FunctionName=unique("f" * 60),
        Runtime="python3.12",
        Role=role(plain),
        Handler="index.handler",
        Code={"ZipFile": function_zip()},
    )
    still_wrong(function is None, "name_rules (create_function)", "refuses a function name over 64 characters")


def check_rds_cluster_instances(plain) -> None:
    rds, ec2 = plain("rds"), plain("ec2")
    vpc, subnet = vpc_with_subnet(plain)
    other = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.2.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    group = unique("group")
    rds.create_db_subnet_group(DBSubnetGroupName=group, DBSubnetGroupDescription="d", SubnetIds=[subnet, other])
    cluster = aurora_cluster(plain, DBSubnetGroupName=group)["DBClusterIdentifier"]
    instance = rds.create_db_instance(
        DBInstanceIdentifier=unique("instance"),
        DBClusterIdentifier=cluster,
        Engine="aurora-mysql",
        DBInstanceClass="db.r6g.large",
    )["DBInstance"]
    still_wrong("DBSubnetGroup" not in instance, "rds_cluster_instances", "reports a cluster member's DB subnet group")
    serverless = error_of(
        rds.create_db_instance,
        DBInstanceIdentifier=unique("instance"),
        DBClusterIdentifier=cluster,  # a cluster without ServerlessV2ScalingConfiguration
        Engine="aurora-mysql",
        DBInstanceClass="db.serverless",
    )
    still_wrong(serverless is None, "rds_cluster_instances", f"refuses db.serverless without scaling ({serverless})")


def check_rds_cluster_parameters(plain) -> None:
    rds = plain("rds")
    group = unique("params")
    rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName=group, DBParameterGroupFamily="aurora-mysql8.0", Description="d"
    )
    parameters = rds.describe_db_cluster_parameters(DBClusterParameterGroupName=group)["Parameters"]
    still_wrong(parameters == [], "rds_cluster_parameters", "gives a new cluster parameter group its parameters")


def check_rds_dataplane(plain) -> None:
    endpoint = aurora_cluster(plain)["Endpoint"]
    still_wrong(
        endpoint.endswith(".rds.amazonaws.com"),
        "rds_dataplane",
        f"answers a cluster endpoint other than AWS's host name ({endpoint}), maybe a server of its own",
    )


def check_rds_engine_downgrade(plain) -> None:
    cluster = aurora_cluster(plain)["DBClusterIdentifier"]
    lower = "8.0.mysql_aurora.3.04.0"
    rds = plain("rds")
    error = error_of(rds.modify_db_cluster, DBClusterIdentifier=cluster, EngineVersion=lower, ApplyImmediately=True)
    now = rds.describe_db_clusters(DBClusterIdentifier=cluster)["DBClusters"][0]["EngineVersion"]
    still_wrong(error is None and now == lower, "rds_engine_downgrade", f"refuses a lower version ({error})")


def check_rds_http_endpoint(plain) -> None:
    cluster = aurora_cluster(plain, EnableHttpEndpoint=True)
    still_wrong(
        cluster.get("HttpEndpointEnabled") is False,
        "rds_http_endpoint (enable_http_endpoint, modify_db_cluster)",
        "enables the Data API of an Aurora MySQL provisioned cluster on CreateDBCluster",
    )


def check_region_quotas(plain) -> None:
    ec2 = plain("ec2")
    # With the default VPC, 6: one over AWS's default quota of 5.
    refused = [error_of(ec2.create_vpc, CidrBlock="10.8.0.0/16") for _ in range(5)]
    still_wrong(refused == [None] * 5, "region_quotas (create_vpc)", "refuses a VPC past the region's quota")
    addresses = [error_of(ec2.allocate_address, Domain="vpc") for _ in range(6)]
    still_wrong(addresses == [None] * 6, "region_quotas (allocate_address)", "refuses an address past the quota")
    quota = error_of(plain("service-quotas").get_service_quota, ServiceCode="ec2", QuotaCode="L-8EA77D34")
    still_wrong(
        (quota or "").startswith("NoSuchResourceException"),
        "region_quotas (get_service_quota)",
        "knows the Client VPN endpoints quota",
    )


def check_secretsmanager_deleted(plain) -> None:
    secrets = plain("secretsmanager")
    name = unique("secret")
    secrets.create_secret(Name=name, SecretString="x")
    secrets.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    error = error_of(secrets.get_secret_value, SecretId=name) or ""
    still_wrong(
        error.startswith("InvalidRequestException") and "marked for deletion" not in error,
        "secretsmanager_deleted",
        "answers AWS's words 'marked for deletion'",
    )


def check_timing_moto(plain) -> None:
    identifier = aurora_cluster(plain)["DBClusterIdentifier"]
    status = plain("rds").describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"][0]["Status"]
    still_wrong(status == "available", "timing_moto", "keeps a new cluster creating a while")


CHECKS: dict[str, Callable[[object], None]] = {
    name[len("check_") :]: function for name, function in dict(globals()).items() if name.startswith("check_")
}


@pytest.mark.parametrize("extension", sorted(CHECKS))
def test_plain_moto_still_needs_the_patch(plain, extension):
    CHECKS[extension](plain)


def test_every_patch_has_its_check(emulator):
    with urllib.request.urlopen(f"{emulator.url}/_livestack/health", timeout=30) as response:
        patched = {entry["extension"].rsplit(".", 1)[-1] for entry in json.load(response)["patches"]}
    assert patched, "no patch listed by /_livestack/health"
    missing = sorted(patched - set(CHECKS))
    assert not missing, f"patches without a plain-moto check in {__file__}: {missing}"
