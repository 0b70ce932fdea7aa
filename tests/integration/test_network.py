"""The network role (site.yml --tags network) against the emulator: converge, idempotence, check mode, teardown."""

from __future__ import annotations

from collections import Counter

from census import stage_resources as census_of

STAGE = "nettest"
NETWORK = ("vpc", "subnet", "internet_gateway", "elastic_ip", "route_table", "security_group", "nat_gateway")
IN_VPC_DESCRIBES = (
    "DescribeInternetGateways",
    "DescribeAddresses",
    "DescribeNatGateways",
    "DescribeRouteTables",
    "DescribeSecurityGroups",
)


def stage_resources(emulator, stage: str) -> dict[str, list[str]]:
    """The network resources of the stage (the census holds every kind)."""
    census = census_of(emulator, stage)
    return {kind: census[kind] for kind in NETWORK}


def test_network_with_a_nat_per_az_converges_once_and_tears_down_completely(emulator, run_playbook):
    """One NAT gateway for both zones is the default the whole-stack test (test_stack.py) covers."""
    stage = f"{STAGE}-az"
    options = {"network_nat_per_az": True}

    emulator.clear_requests()
    check = run_playbook("site.yml", "--tags", "network", "--check", stage=stage, extra_vars=options)
    assert check.rc == 0, check.output
    assert check.recap["changed"] > 0
    assert emulator.requests()["mutating"] == 0

    first = run_playbook("site.yml", "--tags", "network", stage=stage, extra_vars=options)
    assert first.rc == 0, first.output
    assert first.recap["changed"] > 0
    created = stage_resources(emulator, stage)
    nats = 2
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
    second = run_playbook("site.yml", "--tags", "network", "--diff", stage=stage, extra_vars=options)
    assert second.rc == 0, second.output
    assert second.recap["changed"] == 0
    assert emulator.requests()["mutating"] == 0
    assert stage_resources(emulator, stage) == created

    converged_check = run_playbook("site.yml", "--tags", "network", "--check", stage=stage, extra_vars=options)
    assert converged_check.recap["changed"] == 0, converged_check.output

    down = run_playbook("teardown.yml", "--tags", "network", stage=stage, extra_vars=options)
    assert down.rc == 0, down.output
    assert {kind: ids for kind, ids in stage_resources(emulator, stage).items() if ids} == {}


def test_security_groups_open_mysql_to_app_and_vpn_only(emulator, run_playbook):
    stage = f"{STAGE}-sg"
    assert run_playbook("site.yml", "--tags", "network", stage=stage).rc == 0
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
        assert run_playbook("teardown.yml", "--tags", "network", stage=stage).rc == 0


def test_drift_is_found_by_the_one_describe_and_fixed_then_a_rerun_reads_each_kind_once(emulator, run_playbook):
    """Out of band: the internet gateway deleted, a tag added to the NAT gateway, a rule of the database group
    removed."""
    stage = f"{STAGE}-drift"
    assert run_playbook("site.yml", "--tags", "network", stage=stage).rc == 0
    try:
        ec2 = emulator.client("ec2")
        stage_filter = [{"Name": "tag:livestack:stage", "Values": [stage]}]
        vpc = ec2.describe_vpcs(Filters=stage_filter)["Vpcs"][0]["VpcId"]
        igw = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}])[
            "InternetGateways"
        ][0]["InternetGatewayId"]
        ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        ec2.delete_internet_gateway(InternetGatewayId=igw)
        nat = ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NatGateways"][0]["NatGatewayId"]
        # (Not its stage tag: the stage check would rightly refuse a NAT gateway of the stage's name it does not own.)
        ec2.create_tags(Resources=[nat], Tags=[{"Key": "added", "Value": "by hand"}])
        database = ec2.describe_security_groups(
            Filters=[*stage_filter, {"Name": "group-name", "Values": [f"livestack-{stage}-database"]}]
        )["SecurityGroups"][0]
        permission = database["IpPermissions"][0]
        ec2.revoke_security_group_ingress(
            GroupId=database["GroupId"],
            IpPermissions=[{**permission, "UserIdGroupPairs": permission["UserIdGroupPairs"][:1]}],
        )

        fixed = run_playbook("site.yml", "--tags", "network", stage=stage)
        assert fixed.rc == 0, fixed.output
        assert fixed.recap["changed"] > 0
        gateways = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}])
        new_igw = gateways["InternetGateways"][0]["InternetGatewayId"]
        assert new_igw != igw
        public = ec2.describe_route_tables(Filters=[{"Name": "tag:Name", "Values": [f"livestack-{stage}-public"]}])
        assert {r.get("GatewayId") for r in public["RouteTables"][0]["Routes"]} == {"local", new_igw}
        tags = ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]["Tags"]
        assert "added" not in [tag["Key"] for tag in tags]
        group = ec2.describe_security_groups(GroupIds=[database["GroupId"]])["SecurityGroups"][0]
        assert sum(len(p["UserIdGroupPairs"]) for p in group["IpPermissions"]) == 3

        emulator.clear_requests()
        again = run_playbook("site.yml", "--tags", "network", stage=stage)
        assert again.recap["changed"] == 0, again.output
        requests = emulator.requests(calls=True)
        assert requests["mutating"] == 0
        reads = Counter(call["action"] for call in requests["calls"] if call["service"] == "ec2")
        # Each kind once by the stage check (stage_info, by name) and once by the converge's describe (the VPC and
        # subnets once more by the input check): no amazon.aws module described anything again.
        assert reads["DescribeVpcAttribute"] == 4, reads
        assert max(reads[action] for action in ("DescribeVpcs", "DescribeSubnets")) <= 3, reads
        assert max(reads[action] for action in IN_VPC_DESCRIBES) <= 2, reads
    finally:
        assert run_playbook("teardown.yml", "--tags", "network", stage=stage).rc == 0
