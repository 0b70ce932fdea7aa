"""The quota check of a new stage (module_utils/quotas.py)."""

from __future__ import annotations

from ansible_collections.livestack.aws.plugins.module_utils.quotas import QUOTAS, quota_errors

ALL = {"vpcs": 1, "elastic_ips": 1, "client_vpn_endpoints": 1}


def test_room_for_the_stage_passes():
    assert quota_errors("eu-west-1", ALL, {"vpcs": 4, "elastic_ips": 4, "client_vpn_endpoints": 4}, {}) == []


def test_a_full_quota_is_refused_naming_quota_value_use_and_how_to_raise_it():
    errors = quota_errors("eu-west-1", ALL, {"vpcs": 5, "elastic_ips": 0}, {})
    assert errors == [
        "the new stage needs 1 of the quota 'VPCs per Region' (vpc L-F678F1CE) in eu-west-1, which is 5"
        " (AWS's default) and already uses 5: delete one that is unused, or raise the quota in the Service Quotas"
        " console or with `aws service-quotas request-service-quota-increase --service-code vpc --quota-code"
        " L-F678F1CE --desired-value 6 --region eu-west-1`"
    ]


def test_the_account_s_own_value_wins_over_the_default():
    values = {"vpcs": (10.0, "the account's, from Service Quotas")}
    assert quota_errors("eu-west-1", ALL, {"vpcs": 5}, values) == []
    values = {"elastic_ips": (1.0, "the account's, from Service Quotas")}
    errors = quota_errors("eu-west-1", {"elastic_ips": 2}, {"elastic_ips": 0}, values)
    assert len(errors) == 1
    assert "'EC2-VPC Elastic IPs' (ec2 L-0263D0A3) in eu-west-1, which is 1 (the account's" in errors[0]
    assert "--desired-value 2" in errors[0]


def test_what_the_stage_does_not_need_is_not_checked():
    assert quota_errors("eu-west-1", {"vpcs": 1}, {"vpcs": 0, "client_vpn_endpoints": 9}, {}) == []
    errors = quota_errors("eu-west-1", ALL, {"client_vpn_endpoints": 5}, {})
    assert len(errors) == 1 and "Client VPN endpoints per Region' (ec2 L-8EA77D34)" in errors[0]


def test_the_default_quotas_are_aws_s():
    assert {quota.key: quota.default for quota in QUOTAS} == {"vpcs": 5, "elastic_ips": 5, "client_vpn_endpoints": 5}
