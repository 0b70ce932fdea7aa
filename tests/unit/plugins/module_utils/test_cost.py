"""The idle cost of a stage, from the outputs site.yml writes, against the published list prices by hand."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.livestack.aws.plugins.filter.stage_idle_cost import FilterModule
from ansible_collections.livestack.aws.plugins.module_utils.cost import PRICES_DATE, idle_cost, report

# The outputs of a stage converged with the defaults (the parts the cost reads), as livestack_outputs_file has them.
DEFAULT_STAGE = {
    "network": {"nat_gateway_ids": ["nat-1"], "private_subnet_ids": ["subnet-a", "subnet-b"]},
    "aurora": {
        "cluster_identifier": "livestack-dev-aurora",
        "secret_arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:livestack-dev/aurora/master-abc",
        "min_capacity": 0.5,
        "instances": 1,
    },
    "client_vpn": {"endpoint_id": "cvpn-endpoint-1", "subnet_ids": ["subnet-a", "subnet-b"]},
    "rds_proxy": {"arn": "arn:aws:rds:us-east-1:123456789012:db-proxy:prx-1"},
    "dev_relay": {"registry_table": "livestack-dev-relay"},
}


def by_item(cost):
    return {line["item"].split(" (")[0]: line for line in cost["lines"]}


def test_the_default_stage_idles_at_the_sum_of_its_hourly_meters():
    cost = idle_cost(DEFAULT_STAGE, "us-east-1")
    lines = by_item(cost)
    # 2 associations x 0.10 + NAT 0.045 + IPv4 0.005 + 0.5 ACU x 0.12 + 8 proxy ACUs x 0.015 + 0.40 / 730
    assert lines["Client VPN subnet associations"]["usd_per_hour"] == pytest.approx(0.20)
    assert lines["NAT gateways"]["usd_per_hour"] == pytest.approx(0.045)
    assert lines["Public IPv4 addresses"]["usd_per_hour"] == pytest.approx(0.005)
    assert lines["Aurora Serverless v2 at its minimum capacity"]["usd_per_hour"] == pytest.approx(0.06)
    assert lines["RDS Proxy"]["usd_per_hour"] == pytest.approx(0.12)
    assert lines["Secrets Manager secrets"]["usd_per_month"] == pytest.approx(0.40)
    assert cost["usd_per_hour"] == pytest.approx(0.4305, abs=1e-4)
    assert cost["usd_per_month"] == pytest.approx(sum(line["usd_per_month"] for line in cost["lines"]))
    assert PRICES_DATE in cost["prices"] and "us-east-1" in cost["prices"]


def test_only_the_parts_that_ran_are_priced():
    cost = idle_cost({"network": DEFAULT_STAGE["network"]}, "us-east-1")
    assert sorted(by_item(cost)) == ["NAT gateways", "Public IPv4 addresses"]
    assert idle_cost({}, "us-east-1")["usd_per_hour"] == 0


def test_a_nat_gateway_per_zone_and_readers_multiply_their_lines():
    stage = copy.deepcopy(DEFAULT_STAGE)
    stage["network"]["nat_gateway_ids"] = ["nat-1", "nat-2"]
    stage["aurora"].update(instances=3, min_capacity=4)
    lines = by_item(idle_cost(stage, "us-east-1"))
    assert lines["NAT gateways"]["quantity"] == 2
    assert lines["Public IPv4 addresses"]["usd_per_hour"] == pytest.approx(0.01)
    assert lines["Aurora Serverless v2 at its minimum capacity"]["usd_per_hour"] == pytest.approx(12 * 0.12)
    # The proxy bills on the database's capacity once it is above the 8-ACU minimum.
    assert lines["RDS Proxy"]["usd_per_hour"] == pytest.approx(12 * 0.015)


def test_a_cluster_that_scales_to_zero_is_shown_at_zero():
    stage = copy.deepcopy(DEFAULT_STAGE)
    stage["aurora"]["min_capacity"] = 0
    lines = by_item(idle_cost(stage, "us-east-1"))
    assert lines["Aurora Serverless v2 at its minimum capacity"]["usd_per_hour"] == 0
    assert lines["RDS Proxy"]["usd_per_hour"] == pytest.approx(0.12)


def test_another_region_is_priced_with_the_table_and_says_so():
    assert "eu-west-1's prices may differ" in idle_cost(DEFAULT_STAGE, "eu-west-1")["prices"]
    assert "may differ" not in idle_cost(DEFAULT_STAGE, "us-east-1")["prices"]


def test_the_report_has_a_line_per_meter_the_total_and_the_per_use_charges():
    shown = FilterModule().filters()["stage_idle_cost"](DEFAULT_STAGE, "us-east-1")["report"]
    assert len(shown) == 6 + 2
    assert "2 associations" in shown[0] and "$0.2000/h" in shown[0] and "$146.00/month" in shown[0]
    assert any("1 address " in line for line in shown)
    assert any("0.5 ACUs" in line for line in shown)
    assert shown[-2].startswith("idle total: $0.4305/h, $314.30/month")
    assert "each connected developer adds $0.05/h" in shown[-1]
    assert report({"lines": [], "usd_per_hour": 0, "usd_per_month": 0, "prices": "p", "while_used": "w"})[0] == (
        "idle total: $0.0000/h, $0.00/month (p)"
    )
