"""Measure the relay on loopback: added round trip, throughput under concurrency, fail-fast time.

    python -m livestack_emulator --port 0 -- python tests/tools/relay_latency.py [COUNT] [CONCURRENCY]

What is measured (all in this machine's processes, over loopback):

- **round trip**: the wall time of one call of the stub's ``handler`` (called as the Lambda
  runtime calls it, from this process) until it returns the local handler's result. The path:
  stub packs the event (JSON, gzip, base64) -> WebSocket message to the emulator's gateway ->
  relay Lambda (``relay_routes.on_message``, run by the emulator's Lambda runtime in a warm
  process, with its DynamoDB and @connections requests to the emulator over HTTP) -> WebSocket message to the
  ``livestack-relay`` client (a separate process) -> a warm worker process runs the handler ->
  back the same way. Not included: the Lambda service's own invoke overhead and the stub's
  connect (the stub keeps its connection warm across invocations, and the warm-up calls open it).
- **added round trip**: the round trip minus the time the local handler function itself took
  (measured inside it and returned with its result). The handler returns at once, so this is
  nearly all of the round trip: it is what the relay adds to what the handler costs anyway.
- **concurrent**: CONCURRENCY (default 50) stub execution environments (each a ``Relay`` with its
  own connection, as concurrent Lambda invocations have) call at once, COUNT invocations in all;
  the client runs with ``--concurrency`` CONCURRENCY. Throughput is invocations per second of wall
  time; latency is each call's round trip. Every result is checked to be its own invocation's.
  On one machine, the stubs, the gateway and the client share the same cores.
- **fail-fast**: the stub called for a developer with no client connected, 20 times: the time
  until it raises ``LocalClientNotConnected`` (the goal: under 2 s, not the Lambda's timeout).
"""

from __future__ import annotations

import concurrent.futures
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from relay.helpers import Client, FakeContext, deploy_relay, relay_stub  # noqa: E402

HANDLER = """
import time

def main(event, context):
    started = time.perf_counter()
    result = {"n": event["n"], "request": context.aws_request_id}
    result["handler_ms"] = (time.perf_counter() - started) * 1000
    return result
"""


class Emulator:
    def __init__(self, port: str) -> None:
        self.url = f"http://127.0.0.1:{port}"

    def client(self, service: str):
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def summary(values: list[float]) -> str:
    return f"median {statistics.median(values):.1f}, p99 {percentile(values, 0.99):.1f}, max {max(values):.1f}"


def call(relay: relay_stub.Relay, n: int) -> tuple[float, float]:
    """(round trip ms, handler ms) of one invocation, checked to be its own."""
    context = FakeContext(30)
    started = time.perf_counter()
    ok, result = relay.invoke({"n": n}, context)
    elapsed = (time.perf_counter() - started) * 1000
    if not ok or result.get("n") != n or result.get("request") != context.aws_request_id:
        raise AssertionError(f"invocation {n} ({context.aws_request_id}) got another's result: {result}")
    return elapsed, result["handler_ms"]


def new_relay(stage, developer: str) -> relay_stub.Relay:
    """A stub execution environment of its own (its own connection), as a concurrent Lambda invocation has."""
    return relay_stub.Relay(stage.url, stage.stage, developer, stage.bucket, "us-east-1")


def sequential(relay: relay_stub.Relay, count: int) -> tuple[list[float], list[float]]:
    round_trips, added = [], []
    for n in range(count):
        elapsed, handler_ms = call(relay, n)
        round_trips.append(elapsed)
        added.append(elapsed - handler_ms)
    return round_trips, added


def concurrent_run(relays: list[relay_stub.Relay], count: int) -> tuple[float, list[float]]:
    """(wall seconds, round trips) of ``count`` invocations made by ``len(relays)`` callers at once."""
    counter = iter(range(count))
    lock = threading.Lock()
    barrier = threading.Barrier(len(relays))

    def caller(relay: relay_stub.Relay) -> list[float]:
        barrier.wait()
        samples = []
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return samples
            samples.append(call(relay, n)[0])

    with concurrent.futures.ThreadPoolExecutor(len(relays)) as pool:
        started = time.perf_counter()
        results = list(pool.map(caller, relays))
        wall = time.perf_counter() - started
    return wall, [sample for samples in results for sample in samples]


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    concurrency = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    emulator = Emulator(os.environ["EMULATOR_PORT"])
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="us-east-1",
        AWS_ENDPOINT_URL=emulator.url,
    )
    stage = deploy_relay(emulator, f"latency{uuid.uuid4().hex[:4]}")
    os.environ.update(stage.environment())
    work = Path(tempfile.mkdtemp())
    (work / "app.py").write_text(HANDLER)

    failures = []
    nobody = new_relay(stage, "nobody")
    for _ in range(20):
        started = time.perf_counter()
        try:
            nobody.invoke({}, FakeContext(30))
        except relay_stub.LocalClientNotConnected:
            failures.append((time.perf_counter() - started) * 1000)
    if len(failures) != 20:
        raise AssertionError("a call without a client did not fail with LocalClientNotConnected")

    client = Client(stage, "app:main", work, stage.developer, work / "client.log", ["--concurrency", str(concurrency)])
    try:
        client.wait_for("connected to")
        relays = [new_relay(stage, stage.developer) for _ in range(concurrency)]
        for relay in relays:  # warm up: every stub connected (one at a time, as Lambda scales up)
            sequential(relay, 1)
        for step in (2, 5, 10, 20, concurrency):  # then every worker of the client started
            concurrent_run(relays[: min(step, concurrency)], min(step, concurrency) * 2)
        sequential(relays[0], 50)
        round_trips, added = sequential(relays[0], count)
        wall, loaded = concurrent_run(relays, max(count, concurrency * 20))
    finally:
        client.stop()
    print(f"invocations: {count} one at a time")
    print(f"round trip ms: {summary(round_trips)}")
    print(f"added round trip ms: {summary(added)}")
    print(
        f"concurrent: {concurrency} at once, {len(loaded)} invocations in {wall:.2f} s: "
        f"{len(loaded) / wall:.0f} invocations/s; round trip ms: {summary(loaded)}"
    )
    print(f"fail-fast without a client ms (20 calls): {summary(failures)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
