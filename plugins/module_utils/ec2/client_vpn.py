# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""EC2 Client VPN API wrappers: one per call, with amazon.aws's retries and error handling.

botocore has neither a waiter nor a module in amazon.aws/community.aws for Client VPN; the
waiting lives in client_vpn_state.py on top of ``waiters.wait_for``.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

RESOURCE_TYPE = "client-vpn-endpoint"


class ClientVpnErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleEC2Error

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("InvalidClientVpnEndpointId.NotFound")


class ClientVpnAssociationErrorHandler(ClientVpnErrorHandler):
    # AWS spells it without a dot (EC2 API error codes; terraform-provider-aws internal/service/ec2/errors.go).
    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["InvalidClientVpnEndpointId.NotFound", "InvalidClientVpnAssociationIdNotFound"])


class ClientVpnRuleErrorHandler(ClientVpnErrorHandler):
    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(
            ["InvalidClientVpnEndpointId.NotFound", "InvalidClientVpnEndpointAuthorizationRuleNotFound"]
        )


@ClientVpnErrorHandler.list_error_handler("describe Client VPN endpoints", [])
@AWSRetry.jittered_backoff()
def describe_endpoints(client, **params: Any) -> list[dict[str, Any]]:
    paginator = client.get_paginator("describe_client_vpn_endpoints")
    return paginator.paginate(**params).build_full_result()["ClientVpnEndpoints"]


@ClientVpnErrorHandler.common_error_handler("create the Client VPN endpoint")
@AWSRetry.jittered_backoff()
def create_endpoint(client, **params: Any) -> dict[str, Any]:
    return client.create_client_vpn_endpoint(**params)


@ClientVpnErrorHandler.common_error_handler("modify the Client VPN endpoint")
@AWSRetry.jittered_backoff()
def modify_endpoint(client, endpoint_id: str, **params: Any) -> bool:
    return client.modify_client_vpn_endpoint(ClientVpnEndpointId=endpoint_id, **params)["Return"]


@ClientVpnErrorHandler.deletion_error_handler("delete the Client VPN endpoint")
@AWSRetry.jittered_backoff()
def delete_endpoint(client, endpoint_id: str) -> bool:
    client.delete_client_vpn_endpoint(ClientVpnEndpointId=endpoint_id)
    return True


@ClientVpnErrorHandler.list_error_handler("describe the target networks of the Client VPN endpoint", [])
@AWSRetry.jittered_backoff()
def describe_target_networks(client, endpoint_id: str) -> list[dict[str, Any]]:
    paginator = client.get_paginator("describe_client_vpn_target_networks")
    return paginator.paginate(ClientVpnEndpointId=endpoint_id).build_full_result()["ClientVpnTargetNetworks"]


@ClientVpnErrorHandler.common_error_handler("associate a target network with the Client VPN endpoint")
@AWSRetry.jittered_backoff()
def associate_target_network(client, endpoint_id: str, subnet_id: str) -> dict[str, Any]:
    return client.associate_client_vpn_target_network(ClientVpnEndpointId=endpoint_id, SubnetId=subnet_id)


@ClientVpnAssociationErrorHandler.deletion_error_handler("disassociate a target network from the Client VPN endpoint")
@AWSRetry.jittered_backoff()
def disassociate_target_network(client, endpoint_id: str, association_id: str) -> bool:
    client.disassociate_client_vpn_target_network(ClientVpnEndpointId=endpoint_id, AssociationId=association_id)
    return True


@ClientVpnErrorHandler.list_error_handler("describe the authorization rules of the Client VPN endpoint", [])
@AWSRetry.jittered_backoff()
def describe_authorization_rules(client, endpoint_id: str) -> list[dict[str, Any]]:
    paginator = client.get_paginator("describe_client_vpn_authorization_rules")
    return paginator.paginate(ClientVpnEndpointId=endpoint_id).build_full_result()["AuthorizationRules"]


@ClientVpnErrorHandler.common_error_handler("authorize ingress through the Client VPN endpoint")
@AWSRetry.jittered_backoff()
def authorize_ingress(client, endpoint_id: str, **params: Any) -> dict[str, Any]:
    return client.authorize_client_vpn_ingress(ClientVpnEndpointId=endpoint_id, **params)


@ClientVpnRuleErrorHandler.deletion_error_handler("revoke ingress through the Client VPN endpoint")
@AWSRetry.jittered_backoff()
def revoke_ingress(client, endpoint_id: str, **params: Any) -> bool:
    client.revoke_client_vpn_ingress(ClientVpnEndpointId=endpoint_id, **params)
    return True


@ClientVpnErrorHandler.common_error_handler("import the client certificate revocation list")
@AWSRetry.jittered_backoff()
def import_crl(client, endpoint_id: str, crl: str) -> bool:
    return client.import_client_vpn_client_certificate_revocation_list(
        ClientVpnEndpointId=endpoint_id, CertificateRevocationList=crl
    )["Return"]


@ClientVpnErrorHandler.list_error_handler("export the client certificate revocation list", None)
@AWSRetry.jittered_backoff()
def export_crl(client, endpoint_id: str) -> str:
    return client.export_client_vpn_client_certificate_revocation_list(ClientVpnEndpointId=endpoint_id).get(
        "CertificateRevocationList", ""
    )


@ClientVpnErrorHandler.common_error_handler("export the client configuration")
@AWSRetry.jittered_backoff()
def export_client_configuration(client, endpoint_id: str) -> str:
    return client.export_client_vpn_client_configuration(ClientVpnEndpointId=endpoint_id)["ClientConfiguration"]


@ClientVpnErrorHandler.common_error_handler("tag the Client VPN endpoint")
@AWSRetry.jittered_backoff()
def create_tags(client, endpoint_id: str, tags: list[dict[str, str]]) -> None:
    client.create_tags(Resources=[endpoint_id], Tags=tags)


@ClientVpnErrorHandler.common_error_handler("untag the Client VPN endpoint")
@AWSRetry.jittered_backoff()
def delete_tags(client, endpoint_id: str, keys: list[str]) -> None:
    client.delete_tags(Resources=[endpoint_id], Tags=[{"Key": key} for key in keys])
