"""Waiting for an RDS Proxy's targets: AUTH_FAILURE waited out while IAM propagates the proxy's role, then a failure
that names the role, the target, the reason and what to check."""

from __future__ import annotations

import pytest

from ansible_collections.livestack.aws.plugins.module_utils.rds import proxy as transform
from ansible_collections.livestack.aws.plugins.module_utils.waiters import WaitFailed

ROLE = "arn:aws:iam::123456789012:role/livestack-dev-proxy"
# DescribeDBProxyTargets while the role is not usable (RDS User Guide, "Troubleshooting for RDS Proxy").
AUTH_FAILURE = {
    "State": "UNAVAILABLE",
    "Reason": "AUTH_FAILURE",
    "Description": "Proxy does not have any registered credentials",
}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def targets(health: dict) -> list[dict]:
    return [
        {"RdsResourceId": "aurora", "Type": "TRACKED_CLUSTER", "TargetHealth": {"State": "AVAILABLE"}},
        {"RdsResourceId": "aurora-1", "Type": "RDS_INSTANCE", "TargetHealth": health},
    ]


def describing(clock: Clock, until: float, before: dict, after: dict):
    """DescribeDBProxyTargets answering ``before`` until ``until`` seconds, then ``after``."""
    return lambda: targets(before if clock.now < until else after)


def wait(clock: Clock, describe, timeout: int = 900, iam_propagation_timeout: int = 60):
    return transform.wait_for_targets(
        describe,
        "livestack-dev-proxy",
        ROLE,
        timeout=timeout,
        iam_propagation_timeout=iam_propagation_timeout,
        delay=5,
        sleep=clock.sleep,
        clock=clock.time,
    )


def test_auth_failure_is_waited_out_while_iam_propagates():
    clock = Clock()
    found = wait(clock, describing(clock, 40, AUTH_FAILURE, {"State": "AVAILABLE"}))
    assert [t["TargetHealth"]["State"] for t in found] == ["AVAILABLE", "AVAILABLE"]
    assert 40 <= clock.now < 60


def test_auth_failure_past_the_budget_fails_naming_the_role_the_target_and_the_reason():
    clock = Clock()
    with pytest.raises(WaitFailed) as failed:
        wait(clock, describing(clock, 10_000, AUTH_FAILURE, {"State": "AVAILABLE"}))
    # Well before wait_timeout (900 s): the budget for IAM's propagation is what ran out.
    assert 60 <= clock.now < 70
    message = str(failed.value)
    assert "aurora-1 UNAVAILABLE AUTH_FAILURE (Proxy does not have any registered credentials)" in message
    assert f"RDS proxy livestack-dev-proxy cannot authenticate with its IAM role {ROLE}" in message
    assert "iam_propagation_timeout 60s" in message
    assert "rds.amazonaws.com" in message and "rds-db:connect" in message and "kms:Decrypt" in message
    assert failed.value.last == targets(AUTH_FAILURE)


def test_the_budget_counts_auth_failure_in_a_row_only():
    clock = Clock()
    # AUTH_FAILURE 50 s, REGISTERING 20 s, AUTH_FAILURE 50 s again: never 60 s in a row, then AVAILABLE.
    phases = [(50, AUTH_FAILURE), (70, {"State": "REGISTERING"}), (120, AUTH_FAILURE)]

    def describe():
        health = next((h for end, h in phases if clock.now < end), {"State": "AVAILABLE"})
        return targets(health)

    wait(clock, describe)
    assert clock.now >= 120


def test_other_reasons_wait_until_the_timeout_and_say_what_the_targets_report():
    clock = Clock()
    unreachable = {"State": "UNAVAILABLE", "Reason": "UNREACHABLE", "Description": "no route"}
    with pytest.raises(WaitFailed) as failed:
        wait(clock, describing(clock, 10_000, unreachable, {}), timeout=120)
    assert clock.now >= 120
    assert str(failed.value) == (
        "timed out after 120s waiting for the targets of RDS proxy livestack-dev-proxy: "
        "aurora AVAILABLE; aurora-1 UNAVAILABLE UNREACHABLE (no route)"
    )
