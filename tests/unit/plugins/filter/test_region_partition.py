"""The AWS partition of a region, as its ARNs hold it."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.livestack.aws.plugins.filter.region_partition import FilterModule, region_partition


@pytest.mark.parametrize(
    ("region", "partition"),
    [("us-east-1", "aws"), ("eu-west-3", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")],
)
def test_each_region_has_its_partition(region, partition):
    assert region_partition(region) == partition


def test_no_region_is_refused():
    with pytest.raises(AnsibleFilterError, match="no region"):
        region_partition("")
    assert FilterModule().filters()["region_partition"] is region_partition
