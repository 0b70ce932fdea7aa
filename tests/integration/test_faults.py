"""Under AWS's load errors (20 % of requests faulted) a converge still succeeds, and ends where a clean one does."""

from __future__ import annotations

from livestack_emulator.faults import FaultProxy


def network_state(emulator, stage: str) -> dict[str, list]:
    """The stage's network, described without ids, names made stage-neutral."""
    ec2 = emulator.client("ec2")
    tagged = [{"Name": "tag:livestack:stage", "Values": [stage]}]

    def name(resource: dict) -> str:
        tags = {t["Key"]: t["Value"] for t in resource.get("Tags", [])}
        return tags.get("Name", "").replace(f"-{stage}-", "-STAGE-")

    groups = ec2.describe_security_groups(Filters=tagged)["SecurityGroups"]
    group_names = {g["GroupId"]: name(g) for g in groups}
    return {
        "vpc": sorted((name(v), v["CidrBlock"]) for v in ec2.describe_vpcs(Filters=tagged)["Vpcs"]),
        "subnet": sorted(
            (name(s), s["CidrBlock"], s["AvailabilityZone"]) for s in ec2.describe_subnets(Filters=tagged)["Subnets"]
        ),
        "nat_gateway": sorted((name(n), n["State"]) for n in ec2.describe_nat_gateways(Filters=tagged)["NatGateways"]),
        "elastic_ip": sorted(name(a) for a in ec2.describe_addresses(Filters=tagged)["Addresses"]),
        "route_table": sorted(
            (name(r), len(r["Associations"]), sorted(x.get("DestinationCidrBlock", "") for x in r["Routes"]))
            for r in ec2.describe_route_tables(Filters=tagged)["RouteTables"]
        ),
        "security_group": sorted(
            (
                name(g),
                sorted(
                    (p["IpProtocol"], p.get("FromPort"), group_names.get(pair["GroupId"], "?"))
                    for p in g["IpPermissions"]
                    for pair in p["UserIdGroupPairs"]
                ),
            )
            for g in groups
        ),
    }


def test_converge_survives_faulted_requests_and_matches_a_clean_converge(emulator, run_playbook):
    clean = run_playbook("site.yml", stage="clean")
    assert clean.rc == 0, clean.output

    proxy = FaultProxy(emulator.port, rate=0.2, seed=20).start()
    try:
        faulted = run_playbook("site.yml", stage="faulted", port=proxy.port)
        stats = proxy.stats()
    finally:
        proxy.stop()
    print(f"fault injection: {stats}")
    assert faulted.rc == 0, faulted.output
    assert stats["faulted"] >= 0.1 * stats["requests"]
    assert network_state(emulator, "faulted") == network_state(emulator, "clean")

    for stage in ("clean", "faulted"):
        assert run_playbook("teardown.yml", stage=stage).rc == 0
