# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""The input rules of Client VPN (docs/aws-limits.md), checked before any mutating call.

Each check raises InvalidOption with a message naming the option, the value and the rule.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ..inputs import cidr_errors

VPN_PORTS = (443, 1194)
SESSION_TIMEOUTS = (8, 10, 12, 24)
CLIENT_CIDR_PREFIXES = (12, 22)
MAX_DNS_SERVERS = 2
MAX_SECURITY_GROUPS = 5
# Changing these means a new endpoint: ModifyClientVpnEndpoint has no parameter for them.
REPLACEMENT_ONLY = ("client_cidr_block", "transport_protocol", "client_root_certificate_chain_arn")


class InvalidOption(Exception):
    pass


def client_cidr_errors(cidr: Any, option: str = "client_cidr_block") -> list[str]:
    return cidr_errors(option, cidr, CLIENT_CIDR_PREFIXES)


def port_errors(port: int, option: str = "vpn_port") -> list[str]:
    if port in VPN_PORTS:
        return []
    typo = " (433 is a common typo for 443)" if port == 433 else ""
    return [f"{option} {port} is not allowed: Client VPN listens on 443 or 1194 only{typo}"]


def session_timeout_errors(hours: int, option: str = "session_timeout_hours") -> list[str]:
    if hours in SESSION_TIMEOUTS:
        return []
    return [f"{option} {hours} is not allowed: it must be 8, 10, 12 or 24"]


def dns_servers_errors(servers: list[Any], option: str = "dns_servers") -> list[str]:
    errors = []
    if len(servers) > MAX_DNS_SERVERS:
        errors.append(f"{option} {servers} lists {len(servers)} servers: at most {MAX_DNS_SERVERS} are allowed")
    for server in servers:
        try:
            ipaddress.IPv4Address(str(server))
        except ValueError:
            errors.append(f"{option}: '{server}' is not an IPv4 address")
    return errors


def _raise_first(errors: list[str]) -> None:
    if errors:
        raise InvalidOption(errors[0])


def check_options(params: dict[str, Any]) -> None:
    """The rules that need no AWS call."""
    cidr = params.get("client_cidr_block")
    port = params.get("vpn_port")
    timeout = params.get("session_timeout_hours")
    dns_servers = params.get("dns_servers")
    _raise_first(
        (client_cidr_errors(cidr) if cidr is not None else [])
        + (port_errors(port) if port is not None else [])
        + (session_timeout_errors(timeout) if timeout is not None else [])
        + (dns_servers_errors(dns_servers) if dns_servers is not None else [])
    )
    groups = params.get("security_group_ids")
    if groups is not None:
        if not 1 <= len(groups) <= MAX_SECURITY_GROUPS:
            raise InvalidOption(f"security_group_ids {groups} must list 1 to {MAX_SECURITY_GROUPS} security groups")
        if not params.get("vpc_id"):
            raise InvalidOption("security_group_ids requires vpc_id: security groups belong to a VPC")
    log = params.get("connection_log")
    if log and log.get("enabled") and not log.get("cloudwatch_log_group"):
        raise InvalidOption("connection_log.cloudwatch_log_group is required when connection_log.enabled is true")
    subnets = params.get("target_subnet_ids")
    if subnets is not None and len(set(subnets)) != len(subnets):
        raise InvalidOption(f"target_subnet_ids {subnets} lists a subnet twice")
    check_rules(params.get("authorization_rules"))


def check_rules(rules: list[dict[str, Any]] | None) -> None:
    seen = set()
    for index, rule in enumerate(rules or []):
        option = f"authorization_rules[{index}]"
        cidr = rule.get("target_network_cidr")
        _raise_first(cidr_errors(f"{option}.target_network_cidr", cidr))
        group, all_groups = rule.get("access_group_id"), bool(rule.get("authorize_all_groups"))
        if bool(group) == all_groups:
            which = "both" if all_groups else "neither"
            raise InvalidOption(
                f"{option} for {cidr} sets {which} of access_group_id and authorize_all_groups:"
                " exactly one of them is required"
            )
        key = (cidr, group or None)
        if key in seen:
            raise InvalidOption(f"{option}: a rule for {cidr} and this group is listed twice")
        seen.add(key)


def check_replacement(current: dict[str, Any], params: dict[str, Any]) -> None:
    """Fail on a change that only a new endpoint can make, rather than ignore it."""
    for option in REPLACEMENT_ONLY:
        wanted = params.get(option)
        if wanted is not None and wanted != current[option]:
            raise InvalidOption(
                f"{option} cannot change in place (from '{current[option]}' to '{wanted}' on"
                f" {current['client_vpn_endpoint_id']}): AWS can only replace the endpoint."
                " Delete it (state=absent) and create it again; connected clients need a new configuration"
            )


def check_network(
    params: dict[str, Any],
    vpc_id: str | None,
    subnets: list[dict[str, Any]],
    vpcs: list[dict[str, Any]],
    cidr: str | None,
) -> None:
    """Subnets exist, lie in one VPC (the endpoint's), one per AZ; the client CIDR overlaps no VPC CIDR."""
    wanted = params.get("target_subnet_ids") or []
    found = {subnet["SubnetId"]: subnet for subnet in subnets}
    missing = [subnet_id for subnet_id in wanted if subnet_id not in found]
    if missing:
        raise InvalidOption(f"target_subnet_ids: subnets {missing} do not exist")
    zones: dict[str, str] = {}
    for subnet_id in wanted:
        subnet = found[subnet_id]
        if vpc_id and subnet["VpcId"] != vpc_id:
            raise InvalidOption(
                f"target_subnet_ids: subnet {subnet_id} is in VPC {subnet['VpcId']}, not in the endpoint's VPC {vpc_id}"
            )
        zone = subnet["AvailabilityZone"]
        if zone in zones:
            raise InvalidOption(
                f"target_subnet_ids: subnets {zones[zone]} and {subnet_id} are both in {zone}:"
                " Client VPN associates one subnet per availability zone"
            )
        zones[zone] = subnet_id
    if cidr is None:
        return
    client = ipaddress.IPv4Network(cidr)
    for vpc in vpcs:
        blocks = [vpc["CidrBlock"]] + [
            b["CidrBlock"] for b in vpc.get("CidrBlockAssociationSet", []) if b.get("CidrBlock")
        ]
        for block in blocks:
            if client.overlaps(ipaddress.IPv4Network(block)):
                raise InvalidOption(
                    f"client_cidr_block '{cidr}' overlaps the CIDR {block} of VPC {vpc['VpcId']}:"
                    " client addresses must not overlap the VPC"
                )
