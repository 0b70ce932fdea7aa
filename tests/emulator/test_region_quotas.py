"""Strict mode: per-region quotas of VPCs, Elastic IPs and Client VPN endpoints, and Service Quotas' answers.

Sources: Amazon VPC quotas ("VPCs per Region", 5, L-F678F1CE, the default VPC included), Amazon EC2
("EC2-VPC Elastic IPs", 5, L-0263D0A3), AWS Client VPN quotas ("Client VPN endpoints per Region", 5,
L-8EA77D34); EC2 API error codes (VpcLimitExceeded, AddressLimitExceeded, ClientVpnEndpointLimitExceeded).
Behaviour ``region_quotas`` of strict.py. Each test runs an emulator of its own: the shared one raises its
quotas (tests/conftest.py), since the suite keeps many stages in one region.
"""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from botocore.exceptions import ClientError
from conftest import start_emulator
from test_ec2_client_vpn_extension import _create, pki  # noqa: F401 - pki is a fixture

REGION = "ap-southeast-2"


@pytest.fixture
def own_emulator(tmp_path, monkeypatch):
    def start(spec: str | None = None, *options: str):
        if spec is None:
            monkeypatch.delenv("LIVESTACK_EMULATOR_STRICT", raising=False)
        else:
            monkeypatch.setenv("LIVESTACK_EMULATOR_STRICT", spec)
        process, running = start_emulator(tmp_path / f"emulator{len(started)}.log", *options)
        started.append(process)
        return running

    started = []
    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=30)


def _code(call) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"]


def _quota(emulator, service: str, code: str) -> float:
    quotas = emulator.client("service-quotas", region=REGION)
    return quotas.get_service_quota(ServiceCode=service, QuotaCode=code)["Quota"]["Value"]


def test_the_default_quotas_are_aws_s(own_emulator, pki):  # noqa: F811
    emulator = own_emulator()
    ec2 = emulator.client("ec2", region=REGION)
    assert len(ec2.describe_vpcs()["Vpcs"]) == 1  # the default VPC counts
    for n in range(4):
        ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16")
    assert _code(lambda: ec2.create_vpc(CidrBlock="10.9.0.0/16")) == "VpcLimitExceeded"
    for _ in range(5):
        ec2.allocate_address(Domain="vpc")
    assert _code(lambda: ec2.allocate_address(Domain="vpc")) == "AddressLimitExceeded"
    # Another region has quotas of its own.
    emulator.client("ec2", region="eu-west-3").create_vpc(CidrBlock="10.9.0.0/16")

    arn = emulator.client("acm", region=REGION).import_certificate(
        Certificate=pki["server"], PrivateKey=pki["server_key"], CertificateChain=pki["ca"]
    )["CertificateArn"]
    world = {"ec2": ec2, "arn": arn}
    endpoints = [_create(world)["ClientVpnEndpointId"] for _ in range(5)]
    assert _code(lambda: _create(world)) == "ClientVpnEndpointLimitExceeded"
    ec2.delete_client_vpn_endpoint(ClientVpnEndpointId=endpoints[0])
    # Deleting still counts (its strict window is 2 s); once deleted, the quota has room again.
    assert _code(lambda: _create(world)) == "ClientVpnEndpointLimitExceeded"
    for _ in range(100):
        try:
            _create(world)
            break
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ClientVpnEndpointLimitExceeded"
            ec2.describe_client_vpn_endpoints()
            time.sleep(0.1)
    else:
        pytest.fail("a deleted endpoint kept counting against the quota")

    assert _quota(emulator, "vpc", "L-F678F1CE") == 5.0
    assert _quota(emulator, "ec2", "L-0263D0A3") == 5.0
    assert _quota(emulator, "ec2", "L-8EA77D34") == 5.0


def test_the_quotas_are_set_by_the_strict_settings_and_lifted_in_lenient_mode(own_emulator):
    emulator = own_emulator(json.dumps({"vpcs_per_region": 2, "elastic_ips_per_region": 1}))
    ec2 = emulator.client("ec2", region=REGION)
    ec2.create_vpc(CidrBlock="10.0.0.0/16")
    assert _code(lambda: ec2.create_vpc(CidrBlock="10.1.0.0/16")) == "VpcLimitExceeded"
    ec2.allocate_address(Domain="vpc")
    assert _code(lambda: ec2.allocate_address(Domain="vpc")) == "AddressLimitExceeded"
    assert _quota(emulator, "vpc", "L-F678F1CE") == 2.0
    assert _quota(emulator, "ec2", "L-0263D0A3") == 1.0
    with urllib.request.urlopen(f"{emulator.url}/_livestack/health", timeout=30) as response:
        reported = json.load(response)["strict"]
    assert reported["quotas"]["vpcs_per_region"] == 2
    assert "region_quotas" in reported["behaviours"]

    lenient = own_emulator(None, "--lenient")
    ec2 = lenient.client("ec2", region=REGION)
    for n in range(6):
        ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16")
        ec2.allocate_address(Domain="vpc")


def test_unknown_strict_settings_are_refused():
    from livestack_emulator.strict import Strict

    with pytest.raises(ValueError, match="unknown strict settings"):
        Strict('{"vpcs": 3}')
    assert Strict('{"vpcs_per_region": 3}').quota("vpcs_per_region") == 3
    assert Strict("off").quota("vpcs_per_region") is None
