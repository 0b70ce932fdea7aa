from __future__ import annotations

import pytest

from ansible_collections.livestack.aws.plugins.module_utils.waiters import WaitFailed, wait_for


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def states(*sequence):
    remaining = list(sequence)
    return lambda: remaining.pop(0) if len(remaining) > 1 else remaining[0]


def test_returns_the_first_ready_state():
    clock = FakeClock()
    result = wait_for(
        states("pending", "pending", "available"),
        lambda s: s == "available",
        sleep=clock.sleep,
        clock=clock.time,
        delay=5,
    )
    assert result == "available"
    assert clock.now == 10


def test_stops_at_once_on_a_failed_state():
    clock = FakeClock()
    with pytest.raises(WaitFailed, match="association failed: association-failed") as raised:
        wait_for(
            states("associating", "association-failed"),
            lambda s: s == "associated",
            failed=lambda s: s if s.endswith("failed") else None,
            what="association",
            sleep=clock.sleep,
            clock=clock.time,
        )
    assert raised.value.last == "association-failed"


def test_times_out_with_the_last_state():
    clock = FakeClock()
    with pytest.raises(WaitFailed, match="timed out after 30s waiting for proxy") as raised:
        wait_for(
            states("creating"),
            lambda s: s == "available",
            timeout=30,
            what="proxy",
            sleep=clock.sleep,
            clock=clock.time,
        )
    assert raised.value.last == "creating"
    assert clock.now == 30


def test_first_delay_doubles_up_to_the_delay():
    clock = FakeClock()
    slept = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.sleep(seconds)

    wait_for(
        states(*["deleting"] * 6, "gone"),
        lambda s: s == "gone",
        delay=10,
        first_delay=1,
        sleep=sleep,
        clock=clock.time,
    )
    assert slept == [1, 2, 4, 8, 10, 10]
