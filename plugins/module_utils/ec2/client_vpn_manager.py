# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Reading and converging one Client VPN endpoint: the work behind ec2_client_vpn_endpoint(_info)."""

from __future__ import annotations

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.ec2 import describe_subnets, describe_vpcs
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ..waiters import wait_for
from . import client_vpn as api
from .client_vpn_state import (
    GONE_ENDPOINT,
    LIVE_ASSOCIATIONS,
    LIVE_RULES,
    create_params,
    endpoint_view,
    modify_params,
    rule_key,
    rule_params,
    rule_view,
    tag_changes,
)
from .client_vpn_validation import InvalidOption, check_network

# AWS takes minutes to associate a subnet; terraform polls every 10 s.
POLL_DELAY = 10


def find_endpoints(
    client, endpoint_id: str | None = None, name: str | None = None, deleting: bool = False
) -> list[dict[str, Any]]:
    """Endpoints by id, or by their Name tag (DescribeClientVpnEndpoints has no tag filter). Deleted ones are left
    out, and deleting ones unless asked for: AWS still has them (and their certificates in use) for a while."""
    params = {"ClientVpnEndpointIds": [endpoint_id]} if endpoint_id else {}
    gone = ("deleted",) if deleting else GONE_ENDPOINT
    found = [e for e in api.describe_endpoints(client, **params) if e["Status"]["Code"] not in gone]
    if name is not None and not endpoint_id:
        found = [e for e in found if {"Key": "Name", "Value": name} in (e.get("Tags") or [])]
    return found


def read_view(client, endpoint: dict[str, Any]) -> dict[str, Any]:
    endpoint_id = endpoint["ClientVpnEndpointId"]
    return endpoint_view(
        endpoint,
        api.describe_target_networks(client, endpoint_id),
        api.describe_authorization_rules(client, endpoint_id),
        api.export_crl(client, endpoint_id),
    )


def check_network_options(client, params: dict[str, Any], before: dict[str, Any] | None) -> None:
    """The checks that need to read subnets and VPCs (reads only)."""
    vpc_id = params.get("vpc_id") or (before or {}).get("vpc_id")
    subnet_ids = params.get("target_subnet_ids") or []
    subnets = describe_subnets(client, SubnetIds=subnet_ids) if subnet_ids else []
    if not vpc_id and subnets:
        vpc_id = subnets[0]["VpcId"]
    vpcs = describe_vpcs(client, VpcIds=[vpc_id]) if vpc_id else []
    if vpc_id and not vpcs:
        raise InvalidOption(f"vpc_id: VPC {vpc_id} does not exist")
    cidr = params.get("client_cidr_block") or (before or {}).get("client_cidr_block")
    check_network(params, vpc_id, subnets, vpcs, cidr)


class Converger:
    """Makes one endpoint match the desired view: one step per kind of difference, each waited for."""

    def __init__(self, client, wait: bool, timeout: int):
        self.client = client
        self.wait = wait
        self.timeout = timeout

    def create(self, after: dict[str, Any], params: dict[str, Any]) -> str:
        created = api.create_endpoint(self.client, **create_params(after, params))
        return created["ClientVpnEndpointId"]

    def converge(self, endpoint_id: str, before: dict[str, Any], after: dict[str, Any], params: dict[str, Any]) -> None:
        modify = modify_params(before, after)
        if modify:
            api.modify_endpoint(self.client, endpoint_id, **modify)
        to_set, to_unset = tag_changes(before["tags"], params)
        if to_set:
            api.create_tags(self.client, endpoint_id, ansible_dict_to_boto3_tag_list(to_set))
        if to_unset:
            api.delete_tags(self.client, endpoint_id, to_unset)
        self.target_networks(endpoint_id, before["target_subnet_ids"], after["target_subnet_ids"])
        self.rules(endpoint_id, before["authorization_rules"], after["authorization_rules"])
        crl = after["client_certificate_revocation_list"]
        if crl and crl != before["client_certificate_revocation_list"]:
            api.import_crl(self.client, endpoint_id, crl)
        if self.wait:
            self.wait_endpoint(endpoint_id, "available" if after["target_subnet_ids"] else "pending-associate")

    def target_networks(self, endpoint_id: str, before: list[str], after: list[str]) -> None:
        removed = [s for s in before if s not in after]
        added = [s for s in after if s not in before]
        if removed:
            associations = {
                n["TargetNetworkId"]: n["AssociationId"]
                for n in api.describe_target_networks(self.client, endpoint_id)
                if n["Status"]["Code"] in LIVE_ASSOCIATIONS
            }
            for subnet_id in removed:
                api.disassociate_target_network(self.client, endpoint_id, associations[subnet_id])
            # A subnet may be replaced by another of the same zone: the old one must be gone first.
            self.wait_target_networks(endpoint_id, [], removed, always=bool(added))
        for subnet_id in added:
            api.associate_target_network(self.client, endpoint_id, subnet_id)
        if added:
            self.wait_target_networks(endpoint_id, added, [])

    def rules(self, endpoint_id: str, before: list[dict[str, Any]], after: list[dict[str, Any]]) -> None:
        removed = [r for r in before if r not in after]
        added = [r for r in after if r not in before]
        for rule in removed:
            api.revoke_ingress(self.client, endpoint_id, **rule_params(rule, revoke=True))
        if removed:
            # A rule whose description changed is revoked and authorized again: the revoke must finish first.
            self.wait_rules(endpoint_id, [], [rule_key(r) for r in removed], always=bool(added))
        for rule in added:
            api.authorize_ingress(self.client, endpoint_id, **rule_params(rule))
        if added:
            self.wait_rules(endpoint_id, [rule_key(r) for r in added], [])

    def delete(self, endpoint_id: str, subnet_ids: list[str]) -> None:
        self.target_networks(endpoint_id, subnet_ids, [])
        if subnet_ids and not self.wait:
            self.wait_target_networks(endpoint_id, [], subnet_ids, always=True)
        api.delete_endpoint(self.client, endpoint_id)
        if self.wait:
            self.wait_deleted([endpoint_id])

    def wait_deleted(self, endpoint_ids: list[str]) -> None:
        """Until AWS no longer has the endpoints. DeleteClientVpnEndpoint returns while an endpoint is "deleting",
        and its ACM certificates stay in use until it is gone; Terraform waits the same way
        (terraform-provider-aws internal/service/ec2/wait.go waitClientVPNEndpointDeleted)."""
        wait_for(
            lambda: [i for i in endpoint_ids if find_endpoints(self.client, i, deleting=True)],
            lambda deleting: not deleting,
            timeout=self.timeout,
            delay=POLL_DELAY,
            first_delay=1,
            what=f"AWS to finish deleting Client VPN endpoint {', '.join(endpoint_ids)} (status deleting)",
        )

    # --- waiting on the states AWS passes through -----------------------------------------------
    def wait_target_networks(
        self, endpoint_id: str, present: list[str], absent: list[str], always: bool = False
    ) -> None:
        if not (self.wait or always):
            return

        def states() -> dict[str, str]:
            found: dict[str, str] = {}
            for network in api.describe_target_networks(self.client, endpoint_id):
                code = network["Status"]["Code"]
                if code != "disassociated":
                    found[network["TargetNetworkId"]] = code
            return found

        def failed(found: dict[str, str]) -> str | None:
            broken = [s for s in present if found.get(s) == "association-failed"]
            return f"association failed for {broken}" if broken else None

        wait_for(
            states,
            lambda found: all(found.get(s) == "associated" for s in present) and not any(s in found for s in absent),
            failed,
            timeout=self.timeout,
            delay=POLL_DELAY,
            what=f"target networks of {endpoint_id} (associated: {present}, disassociated: {absent})",
        )

    def wait_rules(self, endpoint_id: str, present: list[tuple], absent: list[tuple], always: bool = False) -> None:
        if not (self.wait or always):
            return

        def states() -> dict[tuple, str]:
            return {
                rule_key(rule_view(r)): r["Status"]["Code"]
                for r in api.describe_authorization_rules(self.client, endpoint_id)
            }

        def failed(found: dict[tuple, str]) -> str | None:
            broken = [k[0] for k in present if found.get(k) == "failed"]
            return f"authorization failed for {broken}" if broken else None

        wait_for(
            states,
            lambda found: (
                all(found.get(k) == "active" for k in present)
                and not any(found.get(k) in LIVE_RULES + ("revoking",) for k in absent)
            ),
            failed,
            timeout=self.timeout,
            delay=POLL_DELAY,
            what=f"authorization rules of {endpoint_id}",
        )

    def wait_endpoint(self, endpoint_id: str, status: str) -> None:
        wait_for(
            lambda: find_endpoints(self.client, endpoint_id),
            lambda found: bool(found) and found[0]["Status"]["Code"] == status,
            lambda found: None if found else "the endpoint disappeared",
            timeout=self.timeout,
            delay=POLL_DELAY,
            what=f"Client VPN endpoint {endpoint_id} to be {status}",
        )
