"""Client VPN endpoints, their target networks and authorization rules, with AWS's states.

Time in the emulator is counted in observations: every Describe/Export call that returns a
resource first moves its pending transitions one step on, so a caller sees what AWS shows
(``associating`` in the Associate answer, ``associated`` at the next describe) and a waiter
that polls converges, without sleeping. With realistic timing on, an association also stays
``associating`` for its scaled AWS duration (``client_vpn_association`` in ``timing.py``).
"""

from __future__ import annotations

import ipaddress
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.acm.models import acm_backends
from moto.ec2.models import ec2_backends

from .... import timing


class ApiError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


VPN_PORTS = (443, 1194)
SESSION_TIMEOUTS = (8, 10, 12, 24)


@dataclass
class Association:
    association_id: str
    subnet_id: str
    vpc_id: str
    availability_zone: str
    security_groups: list[str]
    status: str = "associating"
    since: float = field(default_factory=time.monotonic)

    def step(self) -> None:
        # With realistic timing (livestack_emulator.timing) an association takes its AWS minutes.
        if self.status == "associating" and not timing.current.settled("client_vpn_association", self.since):
            return
        self.status = {"associating": "associated", "disassociating": "disassociated"}.get(self.status, self.status)

    def wire(self, endpoint_id: str) -> dict[str, Any]:
        return {
            "associationId": self.association_id,
            "vpcId": self.vpc_id,
            "targetNetworkId": self.subnet_id,
            "clientVpnEndpointId": endpoint_id,
            "status": {"code": self.status},
            "securityGroups": self.security_groups,
        }


@dataclass
class Rule:
    destination_cidr: str
    group_id: str | None
    access_all: bool
    description: str
    status: str = "authorizing"

    def step(self) -> None:
        self.status = {"authorizing": "active"}.get(self.status, self.status)

    def wire(self, endpoint_id: str) -> dict[str, Any]:
        return {
            "clientVpnEndpointId": endpoint_id,
            "description": self.description,
            "groupId": self.group_id or "",
            "accessAll": self.access_all,
            "destinationCidr": self.destination_cidr,
            "status": {"code": self.status},
        }


@dataclass
class Endpoint:
    endpoint_id: str
    region: str
    client_cidr: str
    server_certificate_arn: str
    authentication: list[dict[str, Any]]
    connection_log: dict[str, Any]
    transport: str = "udp"
    port: int = 443
    dns_servers: list[str] = field(default_factory=list)
    description: str = ""
    split_tunnel: bool = False
    vpc_id: str | None = None
    security_group_ids: list[str] = field(default_factory=list)
    session_timeout_hours: int = 24
    banner: dict[str, Any] = field(default_factory=lambda: {"enabled": False})
    client_connect: dict[str, Any] = field(default_factory=lambda: {"enabled": False})
    disconnect_on_session_timeout: bool = True
    tags: dict[str, str] = field(default_factory=dict)
    status: str = "pending-associate"
    created: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"))
    associations: list[Association] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    crl: str | None = None
    crl_status: str = "pending"
    deleting_since: float = 0.0

    @property
    def dns_name(self) -> str:
        return f"*.{self.endpoint_id}.prod.clientvpn.{self.region}.amazonaws.com"

    def step(self) -> None:
        """One observation later: every transition in flight moves on by one state."""
        # What was shown as disassociated (or revoking) at the last observation is gone now.
        self.associations = [a for a in self.associations if a.status != "disassociated"]
        for association in self.associations:
            association.step()
        self.rules = [r for r in self.rules if r.status != "revoking"]
        for rule in self.rules:
            rule.step()
        if self.crl is not None:
            self.crl_status = "active"
        if self.deleting_over:
            self.status = "deleted"
        elif self.status in ("pending-associate", "available"):
            associated = any(a.status == "associated" for a in self.associations)
            self.status = "available" if associated else "pending-associate"

    def delete(self) -> None:
        # DeleteClientVpnEndpoint is asynchronous: the endpoint is "deleting" for a while (its strict window, or
        # its scaled AWS minutes with --timing), then "deleted" for one observation, then not found. Terraform
        # waits for it (internal/service/ec2/wait.go waitClientVPNEndpointDeleted: pending "deleting", 5 minutes).
        if self.status != "deleting":
            self.status, self.deleting_since = "deleting", time.monotonic()

    @property
    def deleting_over(self) -> bool:
        return self.status == "deleting" and timing.current.settled("client_vpn_endpoint_deletion", self.deleting_since)

    @property
    def exists(self) -> bool:
        """Whether AWS still has the endpoint, whether or not anyone has looked since (deleting counts)."""
        return self.status != "deleted" and not self.deleting_over

    def certificate_arns(self) -> set[str]:
        roots = {
            option["mutualAuthentication"]["clientRootCertificateChain"]
            for option in self.authentication
            if option["type"] == "certificate-authentication"
        }
        return {self.server_certificate_arn, *roots}

    def arn(self, account_id: str) -> str:
        return f"arn:aws:ec2:{self.region}:{account_id}:client-vpn-endpoint/{self.endpoint_id}"

    def wire(self) -> dict[str, Any]:
        return {
            "clientVpnEndpointId": self.endpoint_id,
            "description": self.description,
            "status": {"code": self.status},
            "creationTime": self.created,
            "dnsName": self.dns_name,
            "clientCidrBlock": self.client_cidr,
            "dnsServer": self.dns_servers,
            "splitTunnel": self.split_tunnel,
            "vpnProtocol": "openvpn",
            "transportProtocol": self.transport,
            "vpnPort": self.port,
            "serverCertificateArn": self.server_certificate_arn,
            "authenticationOptions": self.authentication,
            "connectionLogOptions": self.connection_log,
            "tagSet": [{"key": k, "value": v} for k, v in self.tags.items()],
            "securityGroupIdSet": self.security_group_ids,
            "vpcId": self.vpc_id,
            "clientConnectOptions": {**self.client_connect, "status": {"code": "applied"}},
            "sessionTimeoutHours": self.session_timeout_hours,
            "clientLoginBannerOptions": self.banner,
            "disconnectOnSessionTimeout": self.disconnect_on_session_timeout,
        }


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(9)[:17]}"


class ClientVpnStore:
    """All endpoints of the emulator, keyed by id; account and region are kept on each."""

    def __init__(self) -> None:
        self.endpoints: dict[str, Endpoint] = {}

    # --- lookups -------------------------------------------------------------------------------
    def endpoint(self, endpoint_id: str, region: str) -> Endpoint:
        endpoint = self.endpoints.get(endpoint_id)
        if endpoint is None or endpoint.region != region or endpoint.status == "deleted":
            raise ApiError(
                "InvalidClientVpnEndpointId.NotFound", f"The Client VPN endpoint ID '{endpoint_id}' does not exist"
            )
        return endpoint

    def observe(self, region: str, endpoint_ids: list[str] | None = None) -> list[Endpoint]:
        """The region's endpoints (deleted ones stay visible for one observation, as on AWS), each stepped on."""
        found = []
        for endpoint in list(self.endpoints.values()):
            if endpoint.region != region or (endpoint_ids and endpoint.endpoint_id not in endpoint_ids):
                continue
            if endpoint.status == "deleted":
                del self.endpoints[endpoint.endpoint_id]
                continue
            endpoint.step()
            found.append(endpoint)
        return found

    def certificate_users(self, certificate_arn: str, account_id: str) -> list[str]:
        """The ARNs of the endpoints that use an ACM certificate (server or client root chain), as ACM's InUseBy."""
        return [
            e.arn(account_id) for e in self.endpoints.values() if e.exists and certificate_arn in e.certificate_arns()
        ]

    # --- validation against the rest of the account --------------------------------------------
    @staticmethod
    def check_certificate(account_id: str, region: str, arn: str, option: str) -> str:
        """The certificate's common name; AWS requires it in ACM, same region, with a domain name."""
        try:
            bundle = acm_backends[account_id][region].get_certificate(arn)
        except Exception as error:  # noqa: BLE001 - moto raises its own not-found class
            raise ApiError("InvalidParameterValue", f"{option}: Certificate {arn} does not exist") from error
        if not bundle.sans and "." not in str(bundle.common_name):
            raise ApiError("InvalidParameterValue", f"Certificate {arn} does not have a domain")
        return str(bundle.common_name)

    @staticmethod
    def ca_chain(account_id: str, region: str, arn: str) -> str:
        bundle = acm_backends[account_id][region].get_certificate(arn)
        return bundle.chain.decode()

    @staticmethod
    def check_cidr(cidr: str) -> ipaddress.IPv4Network:
        try:
            network = ipaddress.IPv4Network(cidr)
        except ValueError as error:
            raise ApiError("InvalidParameterValue", f"Client CIDR {cidr} is not a valid IPv4 CIDR") from error
        if not 12 <= network.prefixlen <= 22:
            raise ApiError("InvalidParameterValue", f"Client CIDR {cidr} must have a prefix between /12 and /22")
        return network

    @staticmethod
    def check_options(port: int | None, session_timeout: int | None, dns_servers: list[str] | None) -> None:
        if port is not None and port not in VPN_PORTS:
            raise ApiError("InvalidParameterValue", f"Invalid VpnPort {port}: must be 443 or 1194")
        if session_timeout is not None and session_timeout not in SESSION_TIMEOUTS:
            raise ApiError("InvalidParameterValue", f"Invalid SessionTimeoutHours {session_timeout}: 8, 10, 12 or 24")
        if dns_servers is not None and len(dns_servers) > 2:
            raise ApiError("InvalidParameterValue", "A Client VPN endpoint can have at most 2 DNS servers")

    @staticmethod
    def check_security_groups(account_id: str, region: str, vpc_id: str | None, group_ids: list[str]) -> list[str]:
        ec2 = ec2_backends[account_id][region]
        if vpc_id is None:
            if group_ids:
                raise ApiError("InvalidParameterCombination", "SecurityGroupIds require VpcId")
            return []
        try:
            ec2.get_vpc(vpc_id)
        except Exception as error:  # noqa: BLE001
            raise ApiError("InvalidVpcID.NotFound", f"The vpc ID '{vpc_id}' does not exist") from error
        if len(group_ids) > 5:
            raise ApiError("InvalidParameterValue", "At most 5 security groups can be applied to a Client VPN endpoint")
        for group_id in group_ids:
            group = ec2.get_security_group_from_id(group_id)
            if group is None:
                raise ApiError("InvalidGroup.NotFound", f"The security group '{group_id}' does not exist")
            if group.vpc_id != vpc_id:
                raise ApiError("InvalidParameterValue", f"Security group {group_id} does not belong to VPC {vpc_id}")
        if group_ids:
            return list(group_ids)
        default = ec2.get_default_security_group(vpc_id)
        return [default.id] if default else []

    # --- target networks ------------------------------------------------------------------------
    def associate(self, account_id: str, endpoint: Endpoint, subnet_id: str) -> Association:
        ec2 = ec2_backends[account_id][endpoint.region]
        try:
            subnet = ec2.get_subnet(subnet_id)
        except Exception as error:  # noqa: BLE001
            raise ApiError("InvalidSubnetID.NotFound", f"The subnet ID '{subnet_id}' does not exist") from error
        live = [a for a in endpoint.associations if a.status in ("associating", "associated")]
        if any(a.subnet_id == subnet_id for a in live):
            raise ApiError(
                "InvalidClientVpnDuplicateAssociationException",
                f"Subnet {subnet_id} is already associated with {endpoint.endpoint_id}",
            )
        if endpoint.vpc_id and subnet.vpc_id != endpoint.vpc_id:
            raise ApiError(
                "InvalidParameterValue",
                f"Subnet {subnet_id} is in VPC {subnet.vpc_id}, not in the endpoint's VPC {endpoint.vpc_id}",
            )
        if any(a.availability_zone == subnet.availability_zone for a in live):
            raise ApiError(
                "InvalidClientVpnSubnetId.DuplicateAz",
                f"A subnet in availability zone {subnet.availability_zone} is already associated",
            )
        vpc = ec2.get_vpc(subnet.vpc_id)
        client = ipaddress.IPv4Network(endpoint.client_cidr)
        if any(client.overlaps(ipaddress.IPv4Network(block["cidr_block"])) for block in _vpc_cidrs(vpc)):
            raise ApiError(
                "InvalidClientVpnSubnetId.OverlappingCidr",
                f"Client CIDR {endpoint.client_cidr} overlaps the CIDR of VPC {subnet.vpc_id}",
            )
        if endpoint.vpc_id is None:
            endpoint.vpc_id = subnet.vpc_id
            endpoint.security_group_ids = self.check_security_groups(account_id, endpoint.region, subnet.vpc_id, [])
        association = Association(
            association_id=new_id("cvpn-assoc"),
            subnet_id=subnet_id,
            vpc_id=subnet.vpc_id,
            availability_zone=subnet.availability_zone,
            security_groups=list(endpoint.security_group_ids),
        )
        endpoint.associations.append(association)
        return association

    @staticmethod
    def disassociate(endpoint: Endpoint, association_id: str) -> Association:
        for association in endpoint.associations:
            if association.association_id == association_id and association.status in ("associating", "associated"):
                association.status = "disassociating"
                return association
        # AWS's spelling has no dot (EC2 API error codes reference; terraform-provider-aws
        # internal/service/ec2/errors.go errCodeInvalidClientVPNAssociationIdNotFound).
        raise ApiError("InvalidClientVpnAssociationIdNotFound", f"The association ID '{association_id}' does not exist")

    # --- authorization rules --------------------------------------------------------------------
    @staticmethod
    def authorize(endpoint: Endpoint, cidr: str, group_id: str | None, all_groups: bool, description: str) -> Rule:
        if bool(group_id) == bool(all_groups):
            code = "InvalidParameterCombination" if group_id else "MissingParameter"
            raise ApiError(code, "Exactly one of AccessGroupId and AuthorizeAllGroups=true is required")
        try:
            ipaddress.IPv4Network(cidr)
        except ValueError as error:
            raise ApiError("InvalidParameterValue", f"TargetNetworkCidr {cidr} is not a valid IPv4 CIDR") from error
        for rule in endpoint.rules:
            if rule.destination_cidr == cidr and (rule.group_id or None) == (group_id or None):
                # As AWS spells it (EC2 API error codes reference).
                raise ApiError(
                    "InvalidClientVpnDuplicateAuthorizationRule", f"An authorization rule for {cidr} already exists"
                )
        rule = Rule(cidr, group_id or None, bool(all_groups), description)
        endpoint.rules.append(rule)
        return rule

    @staticmethod
    def revoke(endpoint: Endpoint, cidr: str, group_id: str | None, all_groups: bool) -> Rule:
        for rule in endpoint.rules:
            matches_group = rule.access_all if all_groups else (rule.group_id == group_id and not rule.access_all)
            if rule.destination_cidr == cidr and matches_group and rule.status in ("authorizing", "active"):
                rule.status = "revoking"
                return rule
        raise ApiError(
            "InvalidClientVpnEndpointAuthorizationRuleNotFound",
            f"No authorization rule for {cidr} exists on {endpoint.endpoint_id}",
        )


def _vpc_cidrs(vpc: Any) -> list[dict[str, str]]:
    blocks = [{"cidr_block": vpc.cidr_block}]
    for association in vpc.cidr_block_association_set:
        if association.get("cidr_block"):
            blocks.append({"cidr_block": association["cidr_block"]})
    return blocks
