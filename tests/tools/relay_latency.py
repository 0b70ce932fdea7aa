"""Measure the relay's added round-trip time on loopback, and the fail-fast time without a client.

    python -m livestack_emulator --port 0 -- python tests/tools/relay_latency.py [COUNT]

The stub is called as the Lambda runtime calls it; the handler returns at once, so the time is
what the relay adds (stub -> gateway -> relay Lambda -> client -> relay Lambda -> stub).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from relay.helpers import Client, FakeContext, deploy_relay, relay_stub  # noqa: E402


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


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
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
    (work / "app.py").write_text("def main(event, context):\n    return {'ok': True}\n")

    failures = []
    for _ in range(20):
        os.environ["LIVESTACK_RELAY_DEVELOPER"] = "nobody"
        started = time.perf_counter()
        try:
            relay_stub.handler({}, FakeContext(30))
        except relay_stub.LocalClientNotConnected:
            failures.append((time.perf_counter() - started) * 1000)
    os.environ["LIVESTACK_RELAY_DEVELOPER"] = stage.developer

    client = Client(stage, "app:main", work, stage.developer, work / "client.log")
    try:
        client.wait_for("connected to")
        for _ in range(20):  # warm up
            relay_stub.handler({"n": 0}, FakeContext(30))
        samples = []
        for index in range(count):
            started = time.perf_counter()
            relay_stub.handler({"n": index}, FakeContext(30))
            samples.append((time.perf_counter() - started) * 1000)
    finally:
        client.stop()
    print(f"invocations: {count}")
    median, p99 = statistics.median(samples), percentile(samples, 0.99)
    print(f"round trip ms: median {median:.1f}, p99 {p99:.1f}, max {max(samples):.1f}")
    print(
        f"fail-fast without a client ms (20 calls): median {statistics.median(failures):.1f}, max {max(failures):.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
