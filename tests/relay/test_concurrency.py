"""Concurrent invocations: each gets its own result, none waits behind a slow one, none shares another's state."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

from .helpers import FakeContext, relay_stub

HANDLER = """
import os, pathlib, time

BUSY = False  # module state, as a handler keeps a connection: Lambda never shares it between concurrent calls

def main(event, context):
    global BUSY
    shared, BUSY = BUSY, True
    try:
        if event.get("started"):
            pathlib.Path(event["started"]).write_text("started")
        if event.get("wait_for"):
            deadline = time.monotonic() + 60  # only a safeguard against a relay that serialises calls
            while not pathlib.Path(event["wait_for"]).exists():
                if time.monotonic() > deadline:
                    return {"n": event["n"], "waited_in_vain": True}
                time.sleep(0.02)
        if event.get("release"):
            pathlib.Path(event["release"]).write_text("released")
        return {"n": event["n"], "request": context.aws_request_id, "pid": os.getpid(), "shared": shared}
    finally:
        BUSY = False
"""


def project(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "app.py").write_text(HANDLER)
    return path


def stub(stage) -> relay_stub.Relay:
    """A stub execution environment of its own (its own connection), as each concurrent Lambda call has."""
    return relay_stub.Relay(stage.url, stage.stage, stage.developer, stage.bucket, "us-east-1")


def call(relay: relay_stub.Relay, event: dict, timeout: float = 30.0) -> tuple[dict, str]:
    context = FakeContext(timeout)
    ok, result = relay.invoke(event, context)
    assert ok, result
    return result, context.aws_request_id


def wait_for_file(path: Path, client) -> None:
    client.wait_for_file(path, timeout=60)


def test_a_slow_invocation_does_not_hold_up_another_and_they_share_no_module_state(
    relay_stage, aws_environment, start_client, tmp_path
):
    client = start_client(relay_stage, "app:main", project(tmp_path / "project"), options=["--concurrency", "2"])
    started, gate = tmp_path / "slow-started", tmp_path / "gate"
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        slow = pool.submit(call, stub(relay_stage), {"n": 1, "started": str(started), "wait_for": str(gate)}, 120)
        wait_for_file(started, client)

        fast, fast_request = call(stub(relay_stage), {"n": 2, "release": str(gate)})  # runs while the slow one waits
        slow_result, slow_request = slow.result(timeout=120)

    assert "waited_in_vain" not in slow_result  # the fast call was not queued behind it
    assert (slow_result["n"], slow_result["request"]) == (1, slow_request)
    assert (fast["n"], fast["request"]) == (2, fast_request)
    assert fast["pid"] != slow_result["pid"]  # separate execution environments...
    assert fast["shared"] is False and slow_result["shared"] is False  # ...so neither saw the other's state


def test_each_of_many_concurrent_invocations_gets_its_own_result(relay_stage, aws_environment, start_client, tmp_path):
    start_client(relay_stage, "app:main", project(tmp_path / "project"), options=["--concurrency", "4"])
    stubs = [stub(relay_stage) for _ in range(8)]
    for relay in stubs:  # connected one after the other, as Lambda scales up (and this machine has 2 cores)
        call(relay, {"n": -1})

    def caller(index: int) -> list[tuple[int, dict, str]]:  # each thread calls through its own stub only
        return [(n, *call(stubs[index], {"n": n})) for n in range(index, 32, len(stubs))]

    with concurrent.futures.ThreadPoolExecutor(len(stubs)) as pool:
        results = [entry for entries in pool.map(caller, range(len(stubs))) for entry in entries]

    assert sorted(n for n, _, _ in results) == list(range(32))
    for n, result, request in results:
        assert (result["n"], result["request"]) == (n, request)
        assert result["shared"] is False
    assert len({result["pid"] for _, result, _ in results}) <= 4  # --concurrency bounds the environments


def test_a_warm_environment_is_reused_for_the_next_invocation(relay_stage, aws_environment, start_client, tmp_path):
    start_client(relay_stage, "app:main", project(tmp_path / "project"), options=["--concurrency", "3"])
    relay = stub(relay_stage)
    pids = {call(relay, {"n": n})[0]["pid"] for n in range(5)}
    assert len(pids) == 1  # one at a time: the same warm process, as a warm Lambda
