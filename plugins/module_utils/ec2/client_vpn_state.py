# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Client VPN endpoints as normalised dicts, and the desired state computed from module options.

A *view* is what the module returns and diffs: snake_case, sorted lists, tags as a dict, the
live target networks and authorization rules folded in. ``desired_view`` applies the options
to the current view; the module changes AWS where the two differ, and only there.
"""

from __future__ import annotations

import copy
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict, compare_aws_tags

LIVE_ASSOCIATIONS = ("associating", "associated")
LIVE_RULES = ("authorizing", "active")
GONE_ENDPOINT = ("deleting", "deleted")
# Options that ModifyClientVpnEndpoint changes in place, with the view key they set.
MODIFIABLE = (
    "description",
    "server_certificate_arn",
    "split_tunnel",
    "vpn_port",
    "dns_servers",
    "session_timeout_hours",
    "vpc_id",
    "security_group_ids",
    "login_banner",
    "connection_log",
)


def normalise_crl(crl: str | None) -> str | None:
    if not crl or not crl.strip():
        return None
    return "\n".join(line.strip() for line in crl.strip().splitlines() if line.strip()) + "\n"


def rule_view(rule: dict[str, Any]) -> dict[str, Any]:
    return {
        "target_network_cidr": rule["DestinationCidr"],
        "access_group_id": rule.get("GroupId") or None,
        "authorize_all_groups": bool(rule.get("AccessAll")),
        "description": rule.get("Description") or "",
    }


def rule_key(rule: dict[str, Any]) -> tuple[str, str, bool]:
    return (rule["target_network_cidr"], rule.get("access_group_id") or "", bool(rule.get("authorize_all_groups")))


def _sorted_rules(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rules, key=rule_key)


def endpoint_view(
    endpoint: dict[str, Any], networks: list[dict[str, Any]], rules: list[dict[str, Any]], crl: str | None
) -> dict[str, Any]:
    mutual = next(
        (a for a in endpoint.get("AuthenticationOptions", []) if a.get("Type") == "certificate-authentication"), {}
    )
    log = endpoint.get("ConnectionLogOptions") or {}
    banner = endpoint.get("ClientLoginBannerOptions") or {}
    return {
        "client_vpn_endpoint_id": endpoint["ClientVpnEndpointId"],
        "status": endpoint["Status"]["Code"],
        "dns_name": endpoint.get("DnsName"),
        "description": endpoint.get("Description") or "",
        "client_cidr_block": endpoint.get("ClientCidrBlock"),
        "server_certificate_arn": endpoint.get("ServerCertificateArn"),
        "client_root_certificate_chain_arn": mutual.get("MutualAuthentication", {}).get("ClientRootCertificateChain"),
        "connection_log": {
            "enabled": bool(log.get("Enabled")),
            "cloudwatch_log_group": log.get("CloudwatchLogGroup"),
            "cloudwatch_log_stream": log.get("CloudwatchLogStream"),
        },
        "transport_protocol": endpoint.get("TransportProtocol"),
        "split_tunnel": bool(endpoint.get("SplitTunnel")),
        "vpn_port": endpoint.get("VpnPort"),
        "dns_servers": list(endpoint.get("DnsServers") or []),
        "session_timeout_hours": endpoint.get("SessionTimeoutHours"),
        "vpc_id": endpoint.get("VpcId"),
        "security_group_ids": sorted(endpoint.get("SecurityGroupIds") or []),
        "login_banner": (banner.get("BannerText") or "") if banner.get("Enabled") else "",
        "tags": boto3_tag_list_to_ansible_dict(endpoint.get("Tags") or []),
        "target_subnet_ids": sorted(
            {n["TargetNetworkId"] for n in networks if n["Status"]["Code"] in LIVE_ASSOCIATIONS}
        ),
        "authorization_rules": _sorted_rules([rule_view(r) for r in rules if r["Status"]["Code"] in LIVE_RULES]),
        "client_certificate_revocation_list": normalise_crl(crl),
    }


def _connection_log(before: dict[str, Any] | None, wanted: dict[str, Any]) -> dict[str, Any]:
    if not wanted.get("enabled"):
        return {"enabled": False, "cloudwatch_log_group": None, "cloudwatch_log_stream": None}
    stream = wanted.get("cloudwatch_log_stream")
    if stream is None and before and before.get("cloudwatch_log_group") == wanted["cloudwatch_log_group"]:
        stream = before.get("cloudwatch_log_stream")  # AWS names a stream itself when none is given
    return {"enabled": True, "cloudwatch_log_group": wanted["cloudwatch_log_group"], "cloudwatch_log_stream": stream}


def new_view(params: dict[str, Any]) -> dict[str, Any]:
    """The view of an endpoint that does not exist yet, with AWS's defaults for what the options leave out."""
    return {
        "client_vpn_endpoint_id": None,
        "status": None,
        "dns_name": None,
        "description": "",
        "client_cidr_block": params["client_cidr_block"],
        "server_certificate_arn": params["server_certificate_arn"],
        "client_root_certificate_chain_arn": params["client_root_certificate_chain_arn"],
        "connection_log": _connection_log(None, params.get("connection_log") or {}),
        "transport_protocol": params.get("transport_protocol") or "udp",
        "split_tunnel": False,
        "vpn_port": 443,
        "dns_servers": [],
        "session_timeout_hours": 24,
        "vpc_id": None,
        "security_group_ids": [],
        "login_banner": "",
        "tags": {},
        "target_subnet_ids": [],
        "authorization_rules": [],
        "client_certificate_revocation_list": None,
    }


def tag_changes(before: dict[str, str], params: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    if params.get("tags") is None:
        return {}, []
    return compare_aws_tags(before, params["tags"], purge_tags=params.get("purge_tags", True))


def desired_view(before: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    after = copy.deepcopy(before)
    for key in MODIFIABLE:
        wanted = params.get(key)
        if wanted is None:
            continue
        if key == "security_group_ids":
            wanted = sorted(wanted)
        elif key == "connection_log":
            wanted = _connection_log(before["connection_log"], wanted)
        after[key] = wanted
    to_set, to_unset = tag_changes(before["tags"], params)
    after["tags"] = {k: v for k, v in {**before["tags"], **to_set}.items() if k not in to_unset}
    subnets = params.get("target_subnet_ids")
    if subnets is not None:
        kept = [] if params.get("purge_target_subnets", True) else before["target_subnet_ids"]
        after["target_subnet_ids"] = sorted(set(subnets) | set(kept))
    rules = params.get("authorization_rules")
    if rules is not None:
        wanted_rules = {
            rule_key(r): {
                "target_network_cidr": r["target_network_cidr"],
                "access_group_id": r.get("access_group_id") or None,
                "authorize_all_groups": bool(r.get("authorize_all_groups")),
                "description": r.get("description") or "",
            }
            for r in rules
        }
        if not params.get("purge_authorization_rules", True):
            for rule in before["authorization_rules"]:
                wanted_rules.setdefault(rule_key(rule), rule)
        after["authorization_rules"] = _sorted_rules(list(wanted_rules.values()))
    crl = normalise_crl(params.get("client_certificate_revocation_list"))
    if crl is not None:
        after["client_certificate_revocation_list"] = crl
    return after


def modify_params(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """ModifyClientVpnEndpoint's parameters for what differs (VpcId and SecurityGroupIds go together)."""
    changed = {key for key in MODIFIABLE if before[key] != after[key]}
    params: dict[str, Any] = {}
    if "description" in changed:
        params["Description"] = after["description"]
    if "server_certificate_arn" in changed:
        params["ServerCertificateArn"] = after["server_certificate_arn"]
    if "split_tunnel" in changed:
        params["SplitTunnel"] = after["split_tunnel"]
    if "vpn_port" in changed:
        params["VpnPort"] = after["vpn_port"]
    if "dns_servers" in changed:
        params["DnsServers"] = {"CustomDnsServers": after["dns_servers"], "Enabled": bool(after["dns_servers"])}
    if "session_timeout_hours" in changed:
        params["SessionTimeoutHours"] = after["session_timeout_hours"]
    if changed & {"vpc_id", "security_group_ids"}:
        params["VpcId"] = after["vpc_id"]
        if after["security_group_ids"]:
            params["SecurityGroupIds"] = after["security_group_ids"]
    if "login_banner" in changed:
        params["ClientLoginBannerOptions"] = banner_options(after["login_banner"])
    if "connection_log" in changed:
        params["ConnectionLogOptions"] = connection_log_options(after["connection_log"])
    return params


def banner_options(text: str) -> dict[str, Any]:
    return {"Enabled": True, "BannerText": text} if text else {"Enabled": False}


def connection_log_options(log: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {"Enabled": log["enabled"]}
    if log["enabled"]:
        options["CloudwatchLogGroup"] = log["cloudwatch_log_group"]
        if log.get("cloudwatch_log_stream"):
            options["CloudwatchLogStream"] = log["cloudwatch_log_stream"]
    return options


def create_params(after: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """CreateClientVpnEndpoint's parameters; AWS's defaults are left to AWS."""
    create: dict[str, Any] = {
        "ClientCidrBlock": after["client_cidr_block"],
        "ServerCertificateArn": after["server_certificate_arn"],
        "AuthenticationOptions": [
            {
                "Type": "certificate-authentication",
                "MutualAuthentication": {"ClientRootCertificateChainArn": after["client_root_certificate_chain_arn"]},
            }
        ],
        "ConnectionLogOptions": connection_log_options(after["connection_log"]),
        "TransportProtocol": after["transport_protocol"],
        "VpnPort": after["vpn_port"],
        "SplitTunnel": after["split_tunnel"],
        "SessionTimeoutHours": after["session_timeout_hours"],
    }
    if after["description"]:
        create["Description"] = after["description"]
    if after["dns_servers"]:
        create["DnsServers"] = after["dns_servers"]
    if after["vpc_id"]:
        create["VpcId"] = after["vpc_id"]
    if after["security_group_ids"]:
        create["SecurityGroupIds"] = after["security_group_ids"]
    if after["login_banner"]:
        create["ClientLoginBannerOptions"] = banner_options(after["login_banner"])
    if after["tags"]:
        create["TagSpecifications"] = [
            {"ResourceType": "client-vpn-endpoint", "Tags": [{"Key": k, "Value": v} for k, v in after["tags"].items()]}
        ]
    return create


def rule_params(rule: dict[str, Any], revoke: bool = False) -> dict[str, Any]:
    params: dict[str, Any] = {"TargetNetworkCidr": rule["target_network_cidr"]}
    if rule.get("access_group_id"):
        params["AccessGroupId"] = rule["access_group_id"]
    else:
        params["RevokeAllGroups" if revoke else "AuthorizeAllGroups"] = True
    if not revoke and rule.get("description"):
        params["Description"] = rule["description"]
    return params
