#!/usr/bin/python
# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
# ruff: noqa: E402 -- Ansible modules import after DOCUMENTATION, EXAMPLES and RETURN

from __future__ import annotations

DOCUMENTATION = r"""
module: ec2_client_vpn_endpoint
short_description: Manage an AWS Client VPN endpoint, its target networks, authorization rules and CRL
version_added: 0.1.0
description:
  - Creates, modifies and deletes an AWS Client VPN endpoint with mutual (certificate) authentication.
  - Manages declaratively, with purge, the subnets associated with the endpoint (target networks) and its
    authorization rules; imports the client certificate revocation list; exports the client configuration.
  - Waits on the states AWS passes through (C(pending-associate), C(available); C(associating), C(associated);
    C(authorizing), C(active); C(deleting), C(deleted)). botocore has no waiters for them.
  - The client CIDR, the transport protocol and the client root certificate chain cannot change in place;
    asking for a new value fails with a message saying that only a new endpoint can have it.
  - No collection had a Client VPN module, hence this one.
author:
  - livestack developers (@livestack)
options:
  state:
    description:
      - C(present) creates or updates the endpoint, C(absent) disassociates its target networks and deletes it.
      - With O(wait), C(absent) returns once AWS no longer has the endpoint (it is C(deleting) a while, and the
        ACM certificates it uses stay in use until then), also when an earlier run left it C(deleting); at most
        O(wait_timeout) seconds.
    type: str
    choices: [present, absent]
    default: present
  client_vpn_endpoint_id:
    description:
      - The id of the endpoint. Without it the endpoint is found by its C(Name) tag, O(name).
    type: str
    aliases: [id]
  name:
    description:
      - The C(Name) tag of the endpoint, by which it is found again when O(client_vpn_endpoint_id) is not given.
      - One of O(name) and O(client_vpn_endpoint_id) is required.
    type: str
  description:
    description:
      - A description of the endpoint.
    type: str
  client_cidr_block:
    description:
      - The IPv4 range client addresses are assigned from, a prefix between /12 and /22 that must not overlap the
        CIDR of the VPC. Required to create; cannot change in place.
    type: str
  server_certificate_arn:
    description:
      - The ACM ARN of the server certificate, which must carry a DNS name. Required to create.
    type: str
  client_root_certificate_chain_arn:
    description:
      - The ACM ARN of the certificate whose chain holds the CA that signed the client certificates (mutual
        authentication). May be O(server_certificate_arn) when one CA signs both. Required to create; cannot
        change in place.
    type: str
  connection_log:
    description:
      - Connection logging to CloudWatch Logs. Created disabled when not given.
    type: dict
    suboptions:
      enabled:
        description: Whether connections are logged.
        type: bool
        required: true
      cloudwatch_log_group:
        description: The log group, required when O(connection_log.enabled=true).
        type: str
      cloudwatch_log_stream:
        description: The log stream; AWS creates one when not given.
        type: str
  transport_protocol:
    description:
      - The transport protocol. C(udp) when creating and not given; cannot change in place.
    type: str
    choices: [udp, tcp]
  split_tunnel:
    description:
      - Whether only the routes of the endpoint go through the VPN (split tunnel). Created C(false) when not given.
    type: bool
  vpn_port:
    description:
      - The port, C(443) or C(1194). C(443) when creating and not given.
    type: int
  dns_servers:
    description:
      - At most two IPv4 DNS servers pushed to clients. An empty list removes them.
    type: list
    elements: str
  session_timeout_hours:
    description:
      - The maximum VPN session duration, C(8), C(10), C(12) or C(24) hours. C(24) when creating and not given.
    type: int
  vpc_id:
    description:
      - The VPC of the endpoint's security groups; required with O(security_group_ids).
    type: str
  security_group_ids:
    description:
      - One to five security groups of O(vpc_id) applied to the endpoint's network interfaces.
    type: list
    elements: str
  login_banner:
    description:
      - Text shown by the AWS client when a session starts; an empty string removes the banner.
    type: str
  target_subnet_ids:
    description:
      - The subnets associated with the endpoint, at most one per availability zone, all in the endpoint's VPC.
      - Not managed when not given.
    type: list
    elements: str
  purge_target_subnets:
    description:
      - Disassociate the subnets not listed in O(target_subnet_ids).
    type: bool
    default: true
  authorization_rules:
    description:
      - The authorization rules of the endpoint. Not managed when not given.
      - A rule whose description changes is revoked and authorized again (AWS cannot modify a rule).
    type: list
    elements: dict
    suboptions:
      target_network_cidr:
        description: The network clients may reach.
        type: str
        required: true
      access_group_id:
        description: The directory group allowed; exactly one of this and O(authorization_rules[].authorize_all_groups).
        type: str
      authorize_all_groups:
        description: Allow every client.
        type: bool
        default: false
      description:
        description: A description of the rule.
        type: str
        default: ""
  purge_authorization_rules:
    description:
      - Revoke the rules not listed in O(authorization_rules).
    type: bool
    default: true
  client_certificate_revocation_list:
    description:
      - A PEM CRL of revoked client certificates, imported when it differs from the endpoint's. Importing resets
        client connections. AWS has no way to remove a CRL, so leaving this out keeps the current one.
    type: str
  export_client_configuration:
    description:
      - Return the client configuration (the C(.ovpn) text without client certificate and key).
    type: bool
    default: false
extends_documentation_fragment:
  - livestack.aws.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports what would change, with no mutating call.
  diff_mode:
    support: full
    description: Returns the endpoint before and after, target networks, rules and CRL included.
"""

EXAMPLES = r"""
- name: A Client VPN endpoint with mutual authentication, two subnets and access to the VPC
  livestack.aws.ec2_client_vpn_endpoint:
    name: livestack-dev-vpn
    client_cidr_block: 192.168.128.0/22
    server_certificate_arn: "{{ server_cert.certificate.arn }}"
    client_root_certificate_chain_arn: "{{ server_cert.certificate.arn }}"
    connection_log:
      enabled: true
      cloudwatch_log_group: /livestack/livestack-dev/client-vpn
    transport_protocol: udp
    split_tunnel: true
    vpn_port: 443
    vpc_id: vpc-0123456789abcdef0
    security_group_ids: [sg-0123456789abcdef0]
    target_subnet_ids: [subnet-0aaaaaaaaaaaaaaaa, subnet-0bbbbbbbbbbbbbbbb]
    authorization_rules:
      - target_network_cidr: 11.0.0.0/16
        authorize_all_groups: true
        description: the VPC
    client_certificate_revocation_list: "{{ lookup('ansible.builtin.file', '~/.livestack/pki/crl.pem') }}"
    export_client_configuration: true
    tags:
      livestack:stage: dev
  register: vpn

- name: Delete it (its subnets are disassociated first)
  livestack.aws.ec2_client_vpn_endpoint:
    name: livestack-dev-vpn
    state: absent
"""

RETURN = r"""
client_vpn_endpoint:
  description: The endpoint after the change (in check mode, as it would be); empty when absent.
  returned: always
  type: dict
  contains:
    client_vpn_endpoint_id:
      description: The id; null in check mode before creation.
      type: str
      sample: cvpn-endpoint-0123456789abcdef0
    status:
      description: C(pending-associate) until a subnet is associated, then C(available).
      type: str
    dns_name:
      description: The endpoint's DNS name (with a C(*.) prefix).
      type: str
    description:
      description: The description.
      type: str
    client_cidr_block:
      description: The client CIDR.
      type: str
    server_certificate_arn:
      description: The server certificate.
      type: str
    client_root_certificate_chain_arn:
      description: The client root certificate chain.
      type: str
    connection_log:
      description: C(enabled), C(cloudwatch_log_group), C(cloudwatch_log_stream).
      type: dict
    transport_protocol:
      description: C(udp) or C(tcp).
      type: str
    split_tunnel:
      description: Whether split tunnel is on.
      type: bool
    vpn_port:
      description: The port.
      type: int
    dns_servers:
      description: The DNS servers.
      type: list
      elements: str
    session_timeout_hours:
      description: The session timeout.
      type: int
    vpc_id:
      description: The VPC.
      type: str
    security_group_ids:
      description: The security groups.
      type: list
      elements: str
    login_banner:
      description: The banner text, empty when there is none.
      type: str
    tags:
      description: The tags.
      type: dict
    target_subnet_ids:
      description: The associated (or associating) subnets.
      type: list
      elements: str
    authorization_rules:
      description: The rules, each with C(target_network_cidr), C(access_group_id), C(authorize_all_groups),
        C(description).
      type: list
      elements: dict
    client_certificate_revocation_list:
      description: The imported CRL (PEM), null when none.
      type: str
client_configuration:
  description: The client configuration exported from the endpoint.
  returned: when O(export_client_configuration=true) and the endpoint exists
  type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.livestack.aws.plugins.module_utils.ec2 import client_vpn as api
from ansible_collections.livestack.aws.plugins.module_utils.ec2.client_vpn_manager import (
    Converger,
    check_network_options,
    find_endpoints,
    read_view,
)
from ansible_collections.livestack.aws.plugins.module_utils.ec2.client_vpn_state import desired_view, new_view
from ansible_collections.livestack.aws.plugins.module_utils.ec2.client_vpn_validation import (
    InvalidOption,
    check_options,
    check_replacement,
)
from ansible_collections.livestack.aws.plugins.module_utils.modules import LivestackAWSModule
from ansible_collections.livestack.aws.plugins.module_utils.waiters import WAIT_ARG_SPEC, WaitFailed

REQUIRED_TO_CREATE = ("client_cidr_block", "server_certificate_arn", "client_root_certificate_chain_arn")


def find_one(module, client):
    """The endpoint, and (state=absent only) the ids of those of the same name or id that AWS is still deleting."""
    params = module.params
    found = find_endpoints(
        client, params["client_vpn_endpoint_id"], params["name"], deleting=params["state"] == "absent"
    )
    deleting = [e["ClientVpnEndpointId"] for e in found if e["Status"]["Code"] == "deleting"]
    found = [e for e in found if e["Status"]["Code"] != "deleting"]
    if len(found) > 1:
        ids = [e["ClientVpnEndpointId"] for e in found]
        module.fail_json(msg=f"{len(found)} Client VPN endpoints are tagged Name={params['name']}: {ids}")
    if params["client_vpn_endpoint_id"] and not found and params["state"] == "present":
        module.fail_json(msg=f"client_vpn_endpoint_id: endpoint {params['client_vpn_endpoint_id']} does not exist")
    return (found[0] if found else None), deleting


def with_name_tag(params):
    """The Name tag is how the endpoint is found again: keep it in the tags the module sets."""
    if params["name"] is None:
        return params
    if params["tags"] is None:
        return {**params, "tags": {"Name": params["name"]}, "purge_tags": False}
    return {**params, "tags": {**params["tags"], "Name": params["name"]}}


def ensure_present(module, client, current):
    params = with_name_tag(module.params)
    before = read_view(client, current) if current else None
    if before:
        check_replacement(before, params)
    else:
        missing = [option for option in REQUIRED_TO_CREATE if not params[option]]
        if missing:
            raise InvalidOption(f"creating a Client VPN endpoint requires {', '.join(missing)}")
    check_network_options(client, params, before)

    after = desired_view(before or new_view(params), params)
    changed = before != after
    result = {"changed": changed, "client_vpn_endpoint": after}
    if module._diff:
        result["diff"] = {"before": before or {}, "after": after}
    if module.check_mode or not changed:
        if before and params["export_client_configuration"]:
            result["client_configuration"] = api.export_client_configuration(client, before["client_vpn_endpoint_id"])
        return result

    converger = Converger(client, params["wait"], params["wait_timeout"])
    if before is None:
        endpoint_id = converger.create(after, params)
        created = find_endpoints(client, endpoint_id)
        before = read_view(client, created[0]) if created else {**after, "target_subnet_ids": []}
        before = {**before, "target_subnet_ids": [], "authorization_rules": []}
    endpoint_id = before["client_vpn_endpoint_id"]
    converger.converge(endpoint_id, before, after, params)
    result["client_vpn_endpoint"] = read_view(client, find_endpoints(client, endpoint_id)[0])
    if module._diff:
        result["diff"]["after"] = result["client_vpn_endpoint"]
    if params["export_client_configuration"]:
        result["client_configuration"] = api.export_client_configuration(client, endpoint_id)
    return result


def ensure_absent(module, client, current, deleting):
    """Delete the endpoint and wait until AWS has. One that AWS is still deleting (a previous run's, interrupted)
    is waited for too, without a change of this run."""
    result = {"changed": current is not None, "client_vpn_endpoint": {}}
    before = read_view(client, current) if current else None
    if module._diff and before:
        result["diff"] = {"before": before, "after": {}}
    if module.check_mode:
        return result
    converger = Converger(client, module.params["wait"], module.params["wait_timeout"])
    if before:
        converger.delete(before["client_vpn_endpoint_id"], before["target_subnet_ids"])
    if deleting and module.params["wait"]:
        converger.wait_deleted(deleting)
    return result


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        client_vpn_endpoint_id=dict(type="str", aliases=["id"]),
        name=dict(type="str"),
        description=dict(type="str"),
        client_cidr_block=dict(type="str"),
        server_certificate_arn=dict(type="str"),
        client_root_certificate_chain_arn=dict(type="str"),
        connection_log=dict(
            type="dict",
            options=dict(
                enabled=dict(type="bool", required=True),
                cloudwatch_log_group=dict(type="str"),
                cloudwatch_log_stream=dict(type="str"),
            ),
        ),
        transport_protocol=dict(type="str", choices=["udp", "tcp"]),
        split_tunnel=dict(type="bool"),
        vpn_port=dict(type="int"),
        dns_servers=dict(type="list", elements="str"),
        session_timeout_hours=dict(type="int"),
        vpc_id=dict(type="str"),
        security_group_ids=dict(type="list", elements="str"),
        login_banner=dict(type="str"),
        target_subnet_ids=dict(type="list", elements="str"),
        purge_target_subnets=dict(type="bool", default=True),
        authorization_rules=dict(
            type="list",
            elements="dict",
            options=dict(
                target_network_cidr=dict(type="str", required=True),
                access_group_id=dict(type="str"),
                authorize_all_groups=dict(type="bool", default=False),
                description=dict(type="str", default=""),
            ),
        ),
        purge_authorization_rules=dict(type="bool", default=True),
        client_certificate_revocation_list=dict(type="str"),
        export_client_configuration=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        **WAIT_ARG_SPEC,
    )
    module = LivestackAWSModule(
        argument_spec=argument_spec,
        required_one_of=[["client_vpn_endpoint_id", "name"]],
        supports_check_mode=True,
    )
    client = module.client("ec2")
    try:
        check_options(module.params)
        current, deleting = find_one(module, client)
        if module.params["state"] == "present":
            result = ensure_present(module, client, current)
        else:
            result = ensure_absent(module, client, current, deleting)
    except InvalidOption as error:
        module.fail_json(msg=str(error))
    except WaitFailed as error:
        module.fail_json(msg=str(error), last_state=error.last)
    except AnsibleAWSError as error:
        module.fail_json_aws_error(error)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
