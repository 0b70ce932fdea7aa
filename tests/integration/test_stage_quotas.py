"""The stage check before any change: every generated name against its service's rules, and, for a new stage,
the region's quotas of VPCs, Elastic IPs and Client VPN endpoints (module_utils/names.py, module_utils/quotas.py).

An emulator of its own (strict, AWS's default quotas of 5), in a region of its own: the shared one raises its
quotas, since the suite keeps many stages in one region.
"""

from __future__ import annotations

import pytest
from conftest import ansible_playbook, start_emulator

REGION = "ap-southeast-2"
CHECK_ONLY = """
- name: The stage check, as site.yml runs it
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Check the stage
      ansible.builtin.include_role:
        name: livestack.aws.stage
        tasks_from: check
      vars:
        stage_check_quotas: true
"""


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    process, emulator = start_emulator(tmp_path_factory.mktemp("quotas") / "emulator.log")
    try:
        yield emulator
    finally:
        process.terminate()
        process.wait(timeout=30)


def run(emulator, playbook: str, stage: str, *args: str, **extra):
    return ansible_playbook(
        playbook, *args, stage=stage, extra_vars={"livestack_region": REGION, **extra}, port=emulator.port
    )


def flat(output: str) -> str:
    return " ".join(output.split())


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_new_stage_over_a_quota_is_refused_before_any_change(own, check_mode):
    ec2 = own.client("ec2", region=REGION)
    while len(ec2.describe_vpcs()["Vpcs"]) < 5:  # the default VPC counts
        ec2.create_vpc(CidrBlock="10.9.0.0/16")
    own.clear_requests()
    result = run(own, "site.yml", "quota-new", *(["--check"] if check_mode else []))
    assert result.rc != 0, result.output[-3000:]
    assert (
        "the new stage needs 1 of the quota 'VPCs per Region' (vpc L-F678F1CE) in ap-southeast-2, which is 5 (the"
        " account's, from Service Quotas) and already uses 5" in flat(result.output)
    )
    assert "--service-code vpc --quota-code L-F678F1CE --desired-value 6 --region ap-southeast-2" in flat(result.output)
    assert "Elastic IPs" not in flat(result.output)
    assert own.requests()["mutating"] == 0
    assert len(ec2.describe_vpcs()["Vpcs"]) == 5


def test_every_full_quota_is_named_and_an_existing_stage_is_not_refused(own, tmp_path):
    ec2 = own.client("ec2", region=REGION)
    while len(ec2.describe_vpcs()["Vpcs"]) < 5:
        ec2.create_vpc(CidrBlock="10.9.0.0/16")
    tags = [
        {"Key": "Name", "Value": "livestack-quota-old-vpc"},
        {"Key": "livestack:project", "Value": "livestack"},
        {"Key": "livestack:stage", "Value": "quota-old"},
    ]
    # One of the five VPCs is stage quota-old's.
    ours = next(vpc["VpcId"] for vpc in ec2.describe_vpcs()["Vpcs"] if not vpc["IsDefault"])
    ec2.create_tags(Resources=[ours], Tags=tags)
    while len(ec2.describe_addresses()["Addresses"]) < 4:
        ec2.allocate_address(Domain="vpc")
    playbook = tmp_path / "check.yml"
    playbook.write_text(CHECK_ONLY)

    # NAT per AZ: two Elastic IPs, one too many; and the VPCs are full.
    result = run(own, str(playbook), "quota-new", network_nat_per_az=True)
    assert result.rc != 0, result.output[-3000:]
    assert "'VPCs per Region' (vpc L-F678F1CE)" in flat(result.output)
    assert "needs 2 of the quota 'EC2-VPC Elastic IPs' (ec2 L-0263D0A3) in ap-southeast-2, which is 5" in flat(
        result.output
    )
    assert "Client VPN" not in flat(result.output)

    # The stage whose VPC exists already needs none of them: not refused.
    result = run(own, str(playbook), "quota-old", network_nat_per_az=True)
    assert result.rc == 0, result.output[-3000:]


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        ("Alice", "make the S3 bucket name 'livestack-Alice-relay-<account id>' must have only lowercase letters"),
        ("a_b", "make the RDS DB cluster identifier 'livestack-a_b-aurora' must have only letters, digits"),
        ("s" * 36, "make the S3 bucket name 'livestack-" + "s" * 36 + "-relay-<account id>' must have 3 to 63"),
    ],
)
def test_a_stage_whose_names_a_service_refuses_is_refused_before_any_request(own, stage, expected):
    own.clear_requests()
    result = run(own, "site.yml", stage)
    assert result.rc != 0, result.output[-3000:]
    assert expected in flat(result.output)
    assert own.requests()["total"] == 0
