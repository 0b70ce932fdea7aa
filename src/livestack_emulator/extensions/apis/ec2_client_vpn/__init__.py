"""EC2 Client VPN, which moto does not implement at all.

The operations that ``livestack.aws.ec2_client_vpn_endpoint`` uses, following the botocore model
(``ec2/2016-11-15``): endpoints (create, modify, describe, delete), target networks (associate,
disassociate, describe), authorization rules (authorize, revoke, describe), the client CRL
(import, export), the client configuration export, and EC2 tags on ``cvpn-endpoint-`` ids.
Subnets, VPCs and security groups are moto's; certificates are moto's ACM certificates. Each
available endpoint has a real OpenVPN server (``server.py``, ``dataplane/openvpn.py``), which the
exported client configuration points at.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.ec2.exceptions import EC2ClientError
from werkzeug.wrappers import Response

from ....dataplane import openvpn
from ....moto_wire import query_result
from ... import Call, Registry
from ...patches import acm_in_use, region_quotas
from . import server, wire
from .config import client_configuration
from .model import ApiError, ClientVpnStore, Endpoint, new_id

ENDPOINT_PREFIX = "cvpn-endpoint-"


def register(registry: Registry) -> None:
    store = ClientVpnStore()
    registry.on_reset(store.endpoints.clear)
    openvpn.connection_events = server.connection_logger(store)
    # ACM reports the endpoints that use a certificate (InUseBy) and refuses to delete it meanwhile.
    acm_in_use.USERS["client_vpn"] = store.certificate_users

    def action(name: str) -> Callable[[Callable[[Call], Any]], None]:
        """Register a handler returning the response's members (by ``locationName``), serialized by moto's EC2
        serializer from the botocore model; ApiError becomes the EC2 error response."""

        def decorate(handler: Callable[[Call], Any]) -> None:
            def run(call: Call) -> Response | None:
                try:
                    result = handler(call)
                except ApiError as error:
                    return query_result("ec2", name, EC2ClientError(error.code, error.message))
                finally:
                    # The servers follow the records: started when available, changed, stopped when gone.
                    server.sync_all(store)
                if result is None:
                    return None
                return query_result("ec2", name, result)

            registry.action("ec2", name)(run)

        return decorate

    def endpoint_of(call: Call) -> Endpoint:
        endpoint_id = call.params.get("ClientVpnEndpointId")
        if not endpoint_id:
            raise ApiError("MissingParameter", "The request must contain the parameter ClientVpnEndpointId")
        return store.endpoint(endpoint_id, call.region)

    @action("CreateClientVpnEndpoint")
    def create(call: Call) -> dict[str, Any]:
        p = call.params
        for required in ("ServerCertificateArn", "ConnectionLogOptions.Enabled"):
            if required not in p:
                raise ApiError("MissingParameter", f"The request must contain the parameter {required.split('.')[0]}")
        cidr = p.get("ClientCidrBlock")
        if not cidr:
            raise ApiError("MissingParameter", "The request must contain the parameter ClientCidrBlock")
        store.check_cidr(cidr)
        in_use = sum(1 for other in store.endpoints.values() if other.region == call.region and other.exists)
        refusal = region_quotas.client_vpn_endpoint_refusal(in_use)
        if refusal:
            raise ApiError("ClientVpnEndpointLimitExceeded", refusal)
        port = int(p.get("VpnPort", 443))
        timeout = int(p.get("SessionTimeoutHours", 24))
        dns_servers = wire.param_list(p, "DnsServers")
        store.check_options(port, timeout, dns_servers)
        transport = p.get("TransportProtocol", "udp")
        if transport not in ("udp", "tcp"):
            raise ApiError("InvalidParameterValue", f"Invalid TransportProtocol {transport}")
        store.check_certificate(call.account_id, call.region, p["ServerCertificateArn"], "ServerCertificateArn")
        authentication = _authentication(call, store)
        vpc_id = p.get("VpcId")
        groups = store.check_security_groups(
            call.account_id, call.region, vpc_id, wire.param_list(p, "SecurityGroupId")
        )
        endpoint = Endpoint(
            endpoint_id=new_id("cvpn-endpoint"),
            region=call.region,
            client_cidr=cidr,
            server_certificate_arn=p["ServerCertificateArn"],
            authentication=authentication,
            connection_log=_connection_log(wire.param_struct(p, "ConnectionLogOptions") or {}),
            transport=transport,
            port=port,
            dns_servers=dns_servers,
            description=p.get("Description", ""),
            split_tunnel=bool(wire.param_bool(p.get("SplitTunnel"), False)),
            vpc_id=vpc_id,
            security_group_ids=groups,
            session_timeout_hours=timeout,
            banner=_banner(wire.param_struct(p, "ClientLoginBannerOptions")) or {"enabled": False},
            tags=wire.tags(p, "client-vpn-endpoint"),
        )
        store.endpoints[endpoint.endpoint_id] = endpoint
        return {
            "clientVpnEndpointId": endpoint.endpoint_id,
            "status": {"code": endpoint.status},
            "dnsName": endpoint.dns_name,
        }

    @action("ModifyClientVpnEndpoint")
    def modify(call: Call) -> dict[str, Any]:
        endpoint = endpoint_of(call)
        p = call.params
        port = int(p["VpnPort"]) if "VpnPort" in p else None
        timeout = int(p["SessionTimeoutHours"]) if "SessionTimeoutHours" in p else None
        dns = wire.param_struct(p, "DnsServers")
        dns_servers = None
        if dns is not None:
            dns_servers = wire.param_list(dns, "CustomDnsServers") if wire.param_bool(dns.get("Enabled"), True) else []
        store.check_options(port, timeout, dns_servers)
        if "ServerCertificateArn" in p:
            store.check_certificate(call.account_id, call.region, p["ServerCertificateArn"], "ServerCertificateArn")
        group_ids = wire.param_list(p, "SecurityGroupId")
        if group_ids or "VpcId" in p:
            vpc_id = p.get("VpcId") or endpoint.vpc_id
            live = [a for a in endpoint.associations if a.status in ("associating", "associated")]
            if vpc_id != endpoint.vpc_id and live:
                raise ApiError("InvalidParameterValue", "Disassociate the target networks before changing the VPC")
            endpoint.security_group_ids = store.check_security_groups(call.account_id, call.region, vpc_id, group_ids)
            endpoint.vpc_id = vpc_id
            for association in live:
                association.security_groups = list(endpoint.security_group_ids)
        if port is not None:
            endpoint.port = port
        if timeout is not None:
            endpoint.session_timeout_hours = timeout
        if dns_servers is not None:
            endpoint.dns_servers = dns_servers
        if "ServerCertificateArn" in p:
            endpoint.server_certificate_arn = p["ServerCertificateArn"]
        if "Description" in p:
            endpoint.description = p["Description"]
        if "SplitTunnel" in p:
            endpoint.split_tunnel = bool(wire.param_bool(p["SplitTunnel"]))
        if (log := wire.param_struct(p, "ConnectionLogOptions")) is not None:
            endpoint.connection_log = _connection_log(log)
        if (banner := _banner(wire.param_struct(p, "ClientLoginBannerOptions"))) is not None:
            endpoint.banner = banner
        return {"return": True}

    @action("DeleteClientVpnEndpoint")
    def delete(call: Call) -> dict[str, Any]:
        endpoint = endpoint_of(call)
        if any(a.status in ("associating", "associated", "disassociating") for a in endpoint.associations):
            raise ApiError(
                "IncorrectState",
                f"Client VPN endpoint {endpoint.endpoint_id} has target networks associated: disassociate them first",
            )
        endpoint.delete()
        return {"status": {"code": endpoint.status}}

    @action("DescribeClientVpnEndpoints")
    def describe(call: Call) -> dict[str, Any]:
        p = call.params
        wanted = wire.param_list(p, "ClientVpnEndpointId")
        for endpoint_id in wanted:
            store.endpoint(endpoint_id, call.region)
        found = store.observe(call.region, wanted or None)
        page, token = _page(found, p, lambda e: {"endpoint-id": e.endpoint_id, "transport-protocol": e.transport})
        return {"clientVpnEndpoint": [e.wire() for e in page], "nextToken": token}

    @action("AssociateClientVpnTargetNetwork")
    def associate(call: Call) -> dict[str, Any]:
        endpoint = endpoint_of(call)
        subnet_id = call.params.get("SubnetId")
        if not subnet_id:
            raise ApiError("MissingParameter", "The request must contain the parameter SubnetId")
        association = store.associate(call.account_id, endpoint, subnet_id)
        return {"associationId": association.association_id, "status": {"code": association.status}}

    @action("DisassociateClientVpnTargetNetwork")
    def disassociate(call: Call) -> dict[str, Any]:
        endpoint = endpoint_of(call)
        association = store.disassociate(endpoint, call.params.get("AssociationId", ""))
        return {"associationId": association.association_id, "status": {"code": association.status}}

    @action("DescribeClientVpnTargetNetworks")
    def describe_networks(call: Call) -> dict[str, Any]:
        endpoint = endpoint_of(call)
        store.observe(call.region, [endpoint.endpoint_id])
        wanted = wire.param_list(call.params, "AssociationIds")
        found = [a for a in endpoint.associations if not wanted or a.association_id in wanted]
        page, token = _page(
            found,
            call.params,
            lambda a: {"association-id": a.association_id, "target-network-id": a.subnet_id, "vpc-id": a.vpc_id},
        )
        return {"clientVpnTargetNetworks": [a.wire(endpoint.endpoint_id) for a in page], "nextToken": token}

    @action("AuthorizeClientVpnIngress")
    def authorize(call: Call) -> dict[str, Any]:
        endpoint = endpoint_of(call)
        p = call.params
        if "TargetNetworkCidr" not in p:
            raise ApiError("MissingParameter", "The request must contain the parameter TargetNetworkCidr")
        rule = store.authorize(
            endpoint,
            p["TargetNetworkCidr"],
            p.get("AccessGroupId"),
            bool(wire.param_bool(p.get("AuthorizeAllGroups"), False)),
            p.get("Description", ""),
        )
        return {"status": {"code": rule.status}}

    @action("RevokeClientVpnIngress")
    def revoke(call: Call) -> dict[str, Any]:
        endpoint = endpoint_of(call)
        p = call.params
        rule = store.revoke(
            endpoint,
            p.get("TargetNetworkCidr", ""),
            p.get("AccessGroupId"),
            bool(wire.param_bool(p.get("RevokeAllGroups"), False)),
        )
        return {"status": {"code": rule.status}}

    @action("DescribeClientVpnAuthorizationRules")
    def describe_rules(call: Call) -> dict[str, Any]:
        endpoint = endpoint_of(call)
        store.observe(call.region, [endpoint.endpoint_id])
        page, token = _page(
            endpoint.rules,
            call.params,
            lambda r: {"description": r.description, "destination-cidr": r.destination_cidr, "group-id": r.group_id},
        )
        return {"authorizationRule": [r.wire(endpoint.endpoint_id) for r in page], "nextToken": token}

    @action("ImportClientVpnClientCertificateRevocationList")
    def import_crl(call: Call) -> dict[str, Any]:
        endpoint = endpoint_of(call)
        crl = call.params.get("CertificateRevocationList", "")
        if "-----BEGIN X509 CRL-----" not in crl:
            raise ApiError("InvalidParameterValue", "The certificate revocation list is not a PEM-encoded X.509 CRL")
        endpoint.crl = crl
        endpoint.crl_status = "pending"
        return {"return": True}

    @action("ExportClientVpnClientCertificateRevocationList")
    def export_crl(call: Call) -> dict[str, Any]:
        endpoint = endpoint_of(call)
        store.observe(call.region, [endpoint.endpoint_id])
        if endpoint.crl is None:
            return {"certificateRevocationList": ""}
        return {"certificateRevocationList": endpoint.crl, "status": {"code": endpoint.crl_status}}

    @action("ExportClientVpnClientConfiguration")
    def export_configuration(call: Call) -> dict[str, Any]:
        endpoint = endpoint_of(call)
        server_name = store.check_certificate(
            call.account_id, call.region, endpoint.server_certificate_arn, "ServerCertificateArn"
        )
        chain = store.ca_chain(call.account_id, call.region, endpoint.server_certificate_arn)
        text = client_configuration(server.listener(endpoint), endpoint.transport, chain, server_name)
        return {"clientConfiguration": text}

    @action("ApplySecurityGroupsToClientVpnTargetNetwork")
    def apply_security_groups(call: Call) -> dict[str, Any]:
        endpoint = endpoint_of(call)
        groups = wire.param_list(call.params, "SecurityGroupId")
        vpc_id = call.params.get("VpcId")
        endpoint.security_group_ids = store.check_security_groups(call.account_id, call.region, vpc_id, groups)
        endpoint.vpc_id = vpc_id
        return {"securityGroupIds": endpoint.security_group_ids}

    @action("CreateTags")
    def create_tags(call: Call) -> dict[str, Any] | None:
        endpoints = _tagged_endpoints(call, store)
        if endpoints is None:
            return None
        for endpoint in endpoints:
            for tag in wire.param_structs(call.params, "Tag"):
                endpoint.tags[tag["Key"]] = tag.get("Value", "")
        return {"return": True}

    @action("DeleteTags")
    def delete_tags(call: Call) -> dict[str, Any] | None:
        endpoints = _tagged_endpoints(call, store)
        if endpoints is None:
            return None
        for endpoint in endpoints:
            for tag in wire.param_structs(call.params, "Tag"):
                if "Value" not in tag or endpoint.tags.get(tag["Key"]) == tag["Value"]:
                    endpoint.tags.pop(tag["Key"], None)
        return {"return": True}


def _tagged_endpoints(call: Call, store: ClientVpnStore) -> list[Endpoint] | None:
    """The endpoints a CreateTags/DeleteTags names, or None to leave the call (other resources) to moto."""
    ids = wire.param_list(call.params, "ResourceId")
    if not ids or not all(i.startswith(ENDPOINT_PREFIX) for i in ids):
        return None
    return [store.endpoint(i, call.region) for i in ids]


def _authentication(call: Call, store: ClientVpnStore) -> list[dict[str, Any]]:
    options = wire.param_structs(call.params, "Authentication")
    if not options:
        raise ApiError("MissingParameter", "The request must contain the parameter AuthenticationOptions")
    if len(options) > 2:
        raise ApiError("InvalidParameterValue", "At most 2 authentication options can be given")
    found = []
    for option in options:
        kind = option.get("Type")
        if kind == "certificate-authentication":
            arn = option.get("MutualAuthentication.ClientRootCertificateChainArn")
            if not arn:
                raise ApiError("MissingParameter", "Mutual authentication requires ClientRootCertificateChainArn")
            store.check_certificate(call.account_id, call.region, arn, "ClientRootCertificateChainArn")
            found.append({"type": kind, "mutualAuthentication": {"clientRootCertificateChain": arn}})
        elif kind == "directory-service-authentication":
            found.append({"type": kind, "activeDirectory": {"directoryId": option.get("ActiveDirectory.DirectoryId")}})
        elif kind == "federated-authentication":
            arn = option.get("FederatedAuthentication.SAMLProviderArn")
            found.append({"type": kind, "federatedAuthentication": {"samlProviderArn": arn}})
        else:
            raise ApiError("InvalidParameterValue", f"Invalid authentication type {kind}")
    return found


def _connection_log(options: dict[str, str]) -> dict[str, Any]:
    enabled = bool(wire.param_bool(options.get("Enabled"), False))
    if enabled and not options.get("CloudwatchLogGroup"):
        raise ApiError("InvalidParameterValue", "A CloudWatch Logs log group is required when connection logging is on")
    log: dict[str, Any] = {"Enabled": enabled}
    if enabled:
        log["CloudwatchLogGroup"] = options["CloudwatchLogGroup"]
        if options.get("CloudwatchLogStream"):
            log["CloudwatchLogStream"] = options["CloudwatchLogStream"]
    return log


def _banner(options: dict[str, str] | None) -> dict[str, Any] | None:
    if options is None:
        return None
    enabled = bool(wire.param_bool(options.get("Enabled"), False))
    if enabled and not options.get("BannerText"):
        raise ApiError("InvalidParameterValue", "BannerText is required when the login banner is enabled")
    return {"enabled": enabled, "bannerText": options.get("BannerText")} if enabled else {"enabled": False}


def _page(
    items: list[Any], params: dict[str, str], filter_fields: Callable[[Any], dict[str, str | None]]
) -> tuple[list[Any], str | None]:
    """The page of the items that pass the request's Filter.N (by the fields each filter name reads) and its token."""
    chosen = wire.filters(params)
    items = [i for i in items if all(filter_fields(i).get(name) in values for name, values in chosen.items())]
    start = int(params.get("NextToken") or 0)
    size = int(params.get("MaxResults") or 1000)
    if not 5 <= size <= 1000:
        raise ApiError("InvalidParameterValue", f"MaxResults {size} must be between 5 and 1000")
    end = start + size
    return items[start:end], (str(end) if end < len(items) else None)
