"""EC2 tags of NAT gateways, as the EC2 API documents them and moto gets wrong.

- DescribeTags: the ``resource-type`` of a NAT gateway is ``natgateway``. moto filed them under
  ``nat-gateway``, so a filter on ``natgateway`` (what amazon.aws sends) found none, and every
  run re-tagged the gateway.
- DescribeNatGateways: ``tag:<key>``, ``tag-key`` and ``tag-value`` filters, which moto ignored
  (every stage's gateways came back).
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models import tags as moto_tags
from moto.ec2.models.nat_gateways import NatGatewayBackend
from moto.ec2.utils import tag_filter_matches

from .. import Registry
from ..patching import patch


def register(registry: Registry) -> None:
    @patch(
        moto_tags,
        "EC2_PREFIX_TO_RESOURCE",
        signature="dict",
        why="moto files NAT gateways' tags under the resource type nat-gateway",
        restores="DescribeTags gives a NAT gateway's resource-type as natgateway (EC2 API, DescribeTags filters)",
    )
    def _(prefixes: dict[str, str]) -> dict[str, str]:
        return {**prefixes, "nat": "natgateway"}

    @patch(
        NatGatewayBackend,
        "describe_nat_gateways",
        signature="(self, filters, nat_gateway_ids)",
        why="moto ignores the tag filters of DescribeNatGateways",
        restores="DescribeNatGateways filters on tag:<key>, tag-key and tag-value (EC2 API, DescribeNatGateways)",
    )
    def _(describe: Any) -> Any:
        def describe_nat_gateways(self: Any, filters: Any, nat_gateway_ids: list[str] | None) -> list[Any]:
            tag_filters = {name: values for name, values in (filters or {}).items() if name.startswith("tag")}
            other_filters = {name: values for name, values in (filters or {}).items() if name not in tag_filters}
            found = describe(self, other_filters or None, nat_gateway_ids)
            return [
                gateway
                for gateway in found
                if all(tag_filter_matches(gateway, name, values) for name, values in tag_filters.items())
            ]

        return describe_nat_gateways
