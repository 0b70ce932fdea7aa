"""Per-region quotas of VPCs, Elastic IPs and Client VPN endpoints, which moto does not enforce.

In strict mode (limits from ``strict.QUOTAS``, 5 each by default as on AWS, set by the strict JSON settings):

- CreateVpc past "VPCs per Region" (the default VPC counts; Amazon VPC quotas, L-F678F1CE) answers
  ``VpcLimitExceeded`` "The maximum number of VPCs has been reached." (EC2 API error codes);
- AllocateAddress past "EC2-VPC Elastic IPs" (L-0263D0A3) answers ``AddressLimitExceeded`` "The maximum number
  of addresses has been reached." (EC2 API error codes);
- CreateClientVpnEndpoint past "Client VPN endpoints per Region" (AWS Client VPN quotas, L-8EA77D34) answers
  ``ClientVpnEndpointLimitExceeded`` (EC2 API error codes; the message is ours, AWS's is not documented);
- Service Quotas GetServiceQuota answers those three quotas with the emulator's limits (moto knows only the
  ``vpc`` service's defaults), so that a client reads the quota it will meet.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models.elastic_ip_addresses import ElasticAddressBackend
from moto.ec2.models.vpcs import VPCBackend
from moto.servicequotas.models import ServiceQuotasBackend

from ... import strict
from .. import Registry
from ..patching import patch

# (service code, quota code) -> (strict.QUOTAS key, quota name, service name)
SERVICE_QUOTAS = {
    ("vpc", "L-F678F1CE"): ("vpcs_per_region", "VPCs per Region", "Amazon Virtual Private Cloud (Amazon VPC)"),
    ("ec2", "L-0263D0A3"): (
        "elastic_ips_per_region",
        "EC2-VPC Elastic IPs",
        "Amazon Elastic Compute Cloud (Amazon EC2)",
    ),
    ("ec2", "L-8EA77D34"): (
        "client_vpn_endpoints_per_region",
        "Client VPN endpoints per Region",
        "Amazon Elastic Compute Cloud (Amazon EC2)",
    ),
}


def client_vpn_endpoint_refusal(in_use: int) -> str | None:
    """Why one more Client VPN endpoint is refused when the region has ``in_use`` (ec2_client_vpn raises it)."""
    limit = strict.current.quota("client_vpn_endpoints_per_region")
    if limit is not None and in_use >= limit:
        return f"You have reached the maximum number of Client VPN endpoints ({limit}) for this Region."
    return None


def register(registry: Registry) -> None:
    @patch(
        VPCBackend,
        "create_vpc",
        signature=(
            "(self, cidr_block, instance_tenancy='default', amazon_provided_ipv6_cidr_block=False, "
            "ipv6_cidr_block_network_border_group=None, tags=None, is_default=False)"
        ),
        requires=("vpcs",),
        why="moto creates any number of VPCs",
        restores="CreateVpc past 'VPCs per Region' answers VpcLimitExceeded (Amazon VPC quotas; strict mode)",
    )
    def _(create_vpc):  # type: ignore[no-untyped-def]
        def limited_create_vpc(self, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
            limit = strict.current.quota("vpcs_per_region")
            if limit is not None and not kwargs.get("is_default") and len(self.vpcs) >= limit:
                raise EC2ClientError("VpcLimitExceeded", "The maximum number of VPCs has been reached.")
            return create_vpc(self, *args, **kwargs)

        return limited_create_vpc

    @patch(
        ElasticAddressBackend,
        "allocate_address",
        signature="(self, domain, address=None, tags=None)",
        requires=("addresses",),
        why="moto allocates any number of Elastic IPs",
        restores="AllocateAddress past 'EC2-VPC Elastic IPs' answers AddressLimitExceeded (EC2 quotas; strict mode)",
    )
    def _(allocate_address):  # type: ignore[no-untyped-def]
        def limited_allocate_address(self, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
            limit = strict.current.quota("elastic_ips_per_region")
            if limit is not None and len(self.addresses) >= limit:
                raise EC2ClientError("AddressLimitExceeded", "The maximum number of addresses has been reached.")
            return allocate_address(self, *args, **kwargs)

        return limited_allocate_address

    @patch(
        ServiceQuotasBackend,
        "get_service_quota",
        signature="(self, service_code, quota_code)",
        requires=("region_name", "account_id"),
        why="moto knows only the vpc service's default quotas",
        restores="GetServiceQuota answers the VPC, Elastic IP and Client VPN endpoint quotas the emulator enforces",
    )
    def _(get_service_quota):  # type: ignore[no-untyped-def]
        def answered_service_quota(self, service_code: str, quota_code: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
            known = SERVICE_QUOTAS.get((service_code, quota_code))
            if known is None or not strict.current.enabled:
                return get_service_quota(self, service_code, quota_code)
            kind, name, service_name = known
            return {
                "ServiceCode": service_code,
                "ServiceName": service_name,
                "QuotaArn": f"arn:aws:servicequotas:{self.region_name}:{self.account_id}:{service_code}/{quota_code}",
                "QuotaCode": quota_code,
                "QuotaName": name,
                "Value": float(strict.current.quotas[kind]),
                "Unit": "None",
                "Adjustable": True,
                "GlobalQuota": False,
            }

        return answered_service_quota
