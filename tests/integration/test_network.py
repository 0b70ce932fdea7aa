"""The network role against the emulator: converge, idempotence, check mode, teardown, bad input."""

from __future__ import annotations

import pytest

STAGE = "nettest"


def stage_resources(emulator, stage: str) -> dict[str, list[str]]:
    """Every network resource that carries the stage's tag, by kind."""
    ec2 = emulator.client("ec2")
    tagged = [{"Name": "tag:livestack:stage", "Values": [stage]}]
    return {
        "vpc": [v["VpcId"] for v in ec2.describe_vpcs(Filters=tagged)["Vpcs"]],
        "subnet": [s["SubnetId"] for s in ec2.describe_subnets(Filters=tagged)["Subnets"]],
        "internet_gateway": [
            g["InternetGatewayId"] for g in ec2.describe_internet_gateways(Filters=tagged)["InternetGateways"]
        ],
        "elastic_ip": [a["AllocationId"] for a in ec2.describe_addresses(Filters=tagged)["Addresses"]],
        "route_table": [r["RouteTableId"] for r in ec2.describe_route_tables(Filters=tagged)["RouteTables"]],
        "security_group": [g["GroupId"] for g in ec2.describe_security_groups(Filters=tagged)["SecurityGroups"]],
        "nat_gateway": [
            n["NatGatewayId"]
            for n in ec2.describe_nat_gateways(Filters=tagged)["NatGateways"]
            if n["State"] not in ("deleting", "deleted")
        ],
    }


@pytest.mark.parametrize("nat_per_az", [False, True], ids=["one-nat", "nat-per-az"])
def test_network_converges_once_and_tears_down_completely(emulator, run_playbook, nat_per_az):
    stage = f"{STAGE}-{'az' if nat_per_az else 'one'}"
    options = {"network_nat_per_az": nat_per_az}

    emulator.clear_requests()
    check = run_playbook("site.yml", "--check", stage=stage, extra_vars=options)
    assert check.rc == 0, check.output
    assert check.recap["changed"] > 0
    assert emulator.requests()["mutating"] == 0

    first = run_playbook("site.yml", stage=stage, extra_vars=options)
    assert first.rc == 0, first.output
    assert first.recap["changed"] > 0
    created = stage_resources(emulator, stage)
    nats = 2 if nat_per_az else 1
    assert {kind: len(ids) for kind, ids in created.items()} == {
        "vpc": 1,
        "subnet": 2 + nats,
        "internet_gateway": 1,
        "elastic_ip": nats,
        "route_table": 1 + nats,
        "security_group": 3,
        "nat_gateway": nats,
    }

    emulator.clear_requests()
    second = run_playbook("site.yml", "--diff", stage=stage, extra_vars=options)
    assert second.rc == 0, second.output
    assert second.recap["changed"] == 0
    assert emulator.requests()["mutating"] == 0
    assert stage_resources(emulator, stage) == created

    converged_check = run_playbook("site.yml", "--check", stage=stage, extra_vars=options)
    assert converged_check.recap["changed"] == 0, converged_check.output

    down = run_playbook("teardown.yml", stage=stage, extra_vars=options)
    assert down.rc == 0, down.output
    assert {kind: ids for kind, ids in stage_resources(emulator, stage).items() if ids} == {}


def test_security_groups_open_mysql_to_app_and_vpn_only(emulator, run_playbook):
    stage = f"{STAGE}-sg"
    assert run_playbook("site.yml", stage=stage).rc == 0
    try:
        ec2 = emulator.client("ec2")
        groups = {
            g["GroupName"].rsplit("-", 1)[-1]: g
            for g in ec2.describe_security_groups(Filters=[{"Name": "tag:livestack:stage", "Values": [stage]}])[
                "SecurityGroups"
            ]
        }
        ids = {name: group["GroupId"] for name, group in groups.items()}
        database_ingress = groups["database"]["IpPermissions"]
        assert all(p["IpRanges"] == [] and p["Ipv6Ranges"] == [] for p in database_ingress)
        sources = {
            (p["IpProtocol"], p["FromPort"], p["ToPort"], pair["GroupId"])
            for p in database_ingress
            for pair in p["UserIdGroupPairs"]
        }
        assert sources == {("tcp", 3306, 3306, ids[name]) for name in ("app", "vpn", "database")}
        assert groups["app"]["IpPermissions"] == [] and groups["vpn"]["IpPermissions"] == []

        routes = {
            next(t["Value"] for t in table["Tags"] if t["Key"] == "Name"): table["Routes"]
            for table in ec2.describe_route_tables(Filters=[{"Name": "tag:livestack:stage", "Values": [stage]}])[
                "RouteTables"
            ]
        }
        default_route = {
            name: [r for r in rs if r.get("DestinationCidrBlock") == "0.0.0.0/0"][0] for name, rs in routes.items()
        }
        assert default_route[f"livestack-{stage}-public"]["GatewayId"].startswith("igw-")
        assert default_route[f"livestack-{stage}-private-a"]["NatGatewayId"].startswith("nat-")
    finally:
        assert run_playbook("teardown.yml", stage=stage).rc == 0
