"""Measure the API call through the relay to the database: HTTP API -> stub -> relay -> local sample handler ->
RDS Proxy (TLS, IAM token, end-to-end IAM) -> the cluster's MariaDB, and back.

    python -m livestack_emulator --port 0 --quiet -- python tests/tools/relay_database_latency.py [COUNT]

On the emulator, over loopback: the relay functions, the stub and the HTTP API as the dev_relay role deploys them
(made with boto3, tests/relay/helpers.py), a cluster with an IAM user behind a proxy with end-to-end IAM, and
``livestack-relay`` running ``roles/dev_relay/files/sample_handler.py`` in a process of its own. Each call is a
plain HTTP GET (urllib, as curl) of the API, checked to answer the user's row with a TLS cipher; COUNT (default
200) calls one after the other, after 20 to warm up (the handler keeps its connection, as a warm Lambda does, so a
call is one query's round trip, the token and TLS handshake only at the first). For comparison, the same handler
called in this process, straight to the proxy, COUNT times: what the path through the API and the relay adds.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from relay.helpers import FILES, Client, deploy_app, deploy_database, deploy_relay  # noqa: E402
from relay_latency import Emulator, percentile  # noqa: E402


def summary(values: list[float]) -> str:
    return f"median {statistics.median(values):.1f}, p99 {percentile(values, 0.99):.1f}, max {max(values):.1f}"


def get(url: str, user: str) -> float:
    """Milliseconds of one GET, its answer checked."""
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        row = json.load(response)
    elapsed = (time.perf_counter() - started) * 1000
    if row.get("user") != f"{user}@%" or not row.get("tls_cipher"):
        raise AssertionError(f"unexpected answer: {row}")
    return elapsed


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    emulator = Emulator(os.environ["EMULATOR_PORT"])
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="us-east-1",
        AWS_ENDPOINT_URL=emulator.url,
    )
    work = Path(tempfile.mkdtemp())
    database = deploy_database(emulator, f"latency-{uuid.uuid4().hex[:4]}")
    bundle = work / "db-ca-bundle.pem"  # what the role fetches, and relay.json hands the local handler
    with urllib.request.urlopen(database.ca_bundle_url, timeout=30) as response:
        bundle.write_bytes(response.read())
    variables = {"DB_HOST": database.host, "DB_PORT": "3306", "DB_USER": database.user, "DB_NAME": database.name}
    stage = deploy_relay(emulator, f"dblatency{uuid.uuid4().hex[:4]}")
    app = deploy_app(emulator, stage, **variables)
    shutil.copy(FILES / "sample_handler.py", work / "sample_handler.py")
    # The bundle as relay.json's handler_environment gives it to the handler's environments.
    client = Client(
        stage, "sample_handler:handler", work, stage.developer, work / "client.log", env={"DB_CA_BUNDLE": str(bundle)}
    )
    try:
        client.wait_for("connected to")
        url = f"{app.http_url}/row"
        for _ in range(20):
            get(url, database.user)
        through_relay = [get(url, database.user) for _ in range(count)]
    finally:
        client.stop()

    os.environ.update(variables, DB_CA_BUNDLE=str(bundle))
    sys.path.insert(0, str(FILES))
    import sample_handler

    direct = []
    for n in range(count + 20):
        started = time.perf_counter()
        row = json.loads(sample_handler.handler({}, None)["body"])
        if n >= 20:
            direct.append((time.perf_counter() - started) * 1000)
    assert row["user"] == f"{database.user}@%" and row["tls_cipher"], row
    print(f"API -> stub -> relay -> local sample handler -> proxy -> database, {count} GETs one after the other")
    print(f"round trip ms: {summary(through_relay)}")
    print(f"the handler alone (this process -> proxy -> database) ms: {summary(direct)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
