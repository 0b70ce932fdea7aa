from __future__ import annotations

import pytest

from ansible_collections.livestack.aws.plugins.module_utils.waiters import WaitFailed, retry_while, wait_for


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


class NotReady(Exception):
    pass


def attempts(*outcomes):
    """An attempt that raises or returns each outcome in turn; the calls it got."""
    calls = []

    def attempt():
        outcome = outcomes[len(calls)]
        calls.append(outcome)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return attempt, calls


def test_retry_while_retries_the_accepted_errors_until_the_call_succeeds():
    clock = FakeClock()
    attempt, calls = attempts(NotReady("CREATING"), NotReady("CREATING"), "registered")
    result = retry_while(
        attempt,
        (NotReady,),
        lambda e: "CREATING" in str(e),
        delay=5,
        first_delay=1,
        sleep=clock.sleep,
        clock=clock.time,
    )
    assert result == "registered"
    assert len(calls) == 3
    assert clock.now == 3  # 1 then 2: the first delay doubles


def test_retry_while_raises_other_errors_at_once():
    clock = FakeClock()
    attempt, calls = attempts(NotReady("DBProxyNotFoundFault"), "never")
    with pytest.raises(NotReady, match="DBProxyNotFoundFault"):
        retry_while(attempt, (NotReady,), lambda e: "CREATING" in str(e), sleep=clock.sleep, clock=clock.time)
    attempt, calls = attempts(KeyError("other"), "never")
    with pytest.raises(KeyError):
        retry_while(attempt, (NotReady,), lambda e: True, sleep=clock.sleep, clock=clock.time)
    assert (len(calls), clock.now) == (1, 0)


def test_retry_while_gives_up_after_the_timeout_with_the_last_error():
    clock = FakeClock()
    attempt, calls = attempts(*[NotReady(f"CREATING {n}") for n in range(10)])
    with pytest.raises(NotReady, match="CREATING 6"):
        retry_while(attempt, (NotReady,), lambda e: True, timeout=30, delay=5, sleep=clock.sleep, clock=clock.time)
    assert clock.now == 30
