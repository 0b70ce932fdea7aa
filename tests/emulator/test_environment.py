"""SharedEnvironment: overlapping calls see their own variables in the process-wide os.environ."""

from __future__ import annotations

import os
import threading

from livestack_emulator.environment import SharedEnvironment

NAME = "LIVESTACK_TEST_SHARED_ENVIRONMENT"


def test_calls_with_the_same_values_overlap_and_one_with_other_values_waits_for_them(monkeypatch):
    monkeypatch.delenv(NAME, raising=False)
    shared = SharedEnvironment()
    release, first_in, second_in, other_in = threading.Event(), threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, list[str | None]] = {"first": [], "second": [], "other": []}

    def first() -> None:
        with shared.applied({NAME: "one"}):
            first_in.set()
            release.wait(30)
            seen["first"].append(os.environ.get(NAME))

    def second() -> None:
        first_in.wait(30)
        with shared.applied({NAME: "one"}):  # the same values: let in while the first call runs
            second_in.set()
            seen["second"].append(os.environ.get(NAME))
            release.wait(30)

    def other() -> None:
        second_in.wait(30)
        with shared.applied({NAME: "two"}):
            other_in.set()
            seen["other"].append(os.environ.get(NAME))

    threads = [threading.Thread(target=target) for target in (first, second, other)]
    for thread in threads:
        thread.start()
    assert second_in.wait(30), "a call with the same values was kept waiting"
    assert not other_in.wait(0.3)  # a call with other values waits while those run
    release.set()
    for thread in threads:
        thread.join(30)

    assert seen == {"first": ["one"], "second": ["one"], "other": ["two"]}
    assert NAME not in os.environ  # put back as it was


def test_a_waiting_call_is_not_starved_by_a_stream_of_calls_with_other_values(monkeypatch):
    monkeypatch.delenv(NAME, raising=False)
    shared = SharedEnvironment()
    holder_in, release, waiter_started = threading.Event(), threading.Event(), threading.Event()
    late_entered = threading.Event()

    def holder() -> None:
        with shared.applied({NAME: "one"}):
            holder_in.set()
            release.wait(30)

    def waiter() -> None:
        waiter_started.set()
        with shared.applied({NAME: "two"}):
            pass

    def late() -> None:  # same values as the running call, but arriving after the waiter
        with shared.applied({NAME: "one"}):
            late_entered.set()

    threads = [threading.Thread(target=holder)]
    threads[0].start()
    holder_in.wait(30)
    threads.append(threading.Thread(target=waiter))
    threads[1].start()
    waiter_started.wait(30)
    while not shared._waiting:  # the waiter is queued
        threading.Event().wait(0.01)
    threads.append(threading.Thread(target=late))
    threads[2].start()
    assert not late_entered.wait(0.3)  # not let in ahead of the waiting call
    release.set()
    for thread in threads:
        thread.join(30)
    assert late_entered.is_set()
    assert NAME not in os.environ
