"""EC2 DescribeTags: the ``resource-type`` filter value of NAT gateways is ``natgateway``.

moto files NAT gateway tags under ``nat-gateway``, so a filter on ``natgateway`` (what the EC2
API documents, and what amazon.aws sends) found none, and every run re-tagged the gateway.
"""

from __future__ import annotations

from moto.ec2.models import tags as moto_tags

from . import Registry


def register(registry: Registry) -> None:
    moto_tags.EC2_PREFIX_TO_RESOURCE = {**moto_tags.EC2_PREFIX_TO_RESOURCE, "nat": "natgateway"}
