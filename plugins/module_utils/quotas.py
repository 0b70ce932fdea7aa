# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""The per-region quotas a new stage uses, and the refusal when one would be exceeded: the rules, once.

A new stage (one whose VPC does not exist yet) makes one VPC, one Elastic IP per NAT gateway and one Client
VPN endpoint. Their default quotas are 5 per region each (the default VPC counts among the VPCs), so the
sixth stage of an account would fail halfway through its first converge. The quota codes are Service
Quotas' (Amazon VPC quotas, "VPCs per Region" L-F678F1CE; Amazon EC2 Elastic IP addresses, "EC2-VPC Elastic
IPs" L-0263D0A3; AWS Client VPN quotas, "Client VPN endpoints per Region" L-8EA77D34).
"""

from __future__ import annotations

from typing import NamedTuple


class Quota(NamedTuple):
    key: str
    name: str
    service_code: str
    quota_code: str
    default: int


QUOTAS = (
    Quota("vpcs", "VPCs per Region", "vpc", "L-F678F1CE", 5),
    Quota("elastic_ips", "EC2-VPC Elastic IPs", "ec2", "L-0263D0A3", 5),
    Quota("client_vpn_endpoints", "Client VPN endpoints per Region", "ec2", "L-8EA77D34", 5),
)


def quota_errors(
    region: str, needed: dict[str, int], used: dict[str, int], values: dict[str, tuple[float, str]]
) -> list[str]:
    """Why the new stage would exceed a quota: ``needed`` and ``used`` by key, ``values`` (value, where from)."""
    errors = []
    for quota in QUOTAS:
        need = needed.get(quota.key, 0)
        if not need:
            continue
        value, source = values.get(quota.key, (quota.default, "AWS's default"))
        use = used.get(quota.key, 0)
        if use + need > value:
            errors.append(
                f"the new stage needs {need} of the quota '{quota.name}' ({quota.service_code} {quota.quota_code})"
                f" in {region}, which is {value:g} ({source}) and already uses {use}: delete one that is unused, or"
                " raise the quota in the Service Quotas console or with `aws service-quotas"
                f" request-service-quota-increase --service-code {quota.service_code} --quota-code"
                f" {quota.quota_code} --desired-value {use + need:g} --region {region}`"
            )
    return errors
