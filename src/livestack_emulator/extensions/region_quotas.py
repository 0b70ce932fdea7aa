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

from .. import strict
from . import Registry

_PATCHED = "_livestack_quotas_patched"

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
    if getattr(VPCBackend, _PATCHED, False):
        return
    create_vpc = VPCBackend.create_vpc
    allocate_address = ElasticAddressBackend.allocate_address
    get_service_quota = ServiceQuotasBackend.get_service_quota

    def limited_create_vpc(self, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
        limit = strict.current.quota("vpcs_per_region")
        if limit is not None and not kwargs.get("is_default") and len(self.vpcs) >= limit:
            raise EC2ClientError("VpcLimitExceeded", "The maximum number of VPCs has been reached.")
        return create_vpc(self, *args, **kwargs)

    def limited_allocate_address(self, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
        limit = strict.current.quota("elastic_ips_per_region")
        if limit is not None and len(self.addresses) >= limit:
            raise EC2ClientError("AddressLimitExceeded", "The maximum number of addresses has been reached.")
        return allocate_address(self, *args, **kwargs)

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

    VPCBackend.create_vpc = limited_create_vpc
    ElasticAddressBackend.allocate_address = limited_allocate_address
    ServiceQuotasBackend.get_service_quota = answered_service_quota
    setattr(VPCBackend, _PATCHED, True)
