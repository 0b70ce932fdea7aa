"""Measure the emulator's MySQL data plane: start-up, time to the first connection, round trips.

    .venv/bin/python tests/tools/mysql_latency.py [--queries 1000] [--baseline-src DIR]

Starts emulators of its own (on free ports) and prints:

- the emulator's start time (process start to listening, median of 5), and the same for the
  source tree in ``--baseline-src`` (e.g. ``git archive <commit> src | tar -x -C /tmp/base``,
  then ``--baseline-src /tmp/base/src``) to compare with a tree without the data plane;
- the time from CreateDBCluster (+ its db.serverless instance) to the first accepted connection
  through the cluster endpoint, for the emulator's first cluster (which makes the MariaDB template)
  and for a second one;
- the median (and 95th percentile) round trip of ``SELECT 1`` directly to the cluster's MariaDB,
  through the cluster endpoint, and through the RDS Proxy endpoint (TLS + IAM token).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import boto3
import pymysql


def start(source: Path | None = None) -> tuple[subprocess.Popen, int, float]:
    port_file = Path(tempfile.mkdtemp(prefix="mysql-latency-")) / "port"
    env = dict(os.environ, PYTHONPATH=str(source)) if source else None
    began = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "livestack_emulator", "--port", "0", "--port-file", str(port_file), "--quiet"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while not port_file.exists() or not port_file.read_text():
        if process.poll() is not None:
            raise SystemExit("the emulator did not start")
        time.sleep(0.005)
    return process, int(port_file.read_text()), time.monotonic() - began


def start_time(source: Path | None) -> float:
    times = []
    for _ in range(5):
        process, _port, seconds = start(source)
        times.append(seconds)
        process.terminate()
        process.wait()
    return statistics.median(times)


def connect_when_ready(host: str, port: int, **options) -> pymysql.connections.Connection:
    while True:
        try:
            return pymysql.connect(host=host, port=port, connect_timeout=5, **options)
        except pymysql.err.OperationalError as error:
            if error.args[0] == 1045:
                raise
            time.sleep(0.005)


def round_trips(connection: pymysql.connections.Connection, count: int) -> tuple[float, float]:
    samples = []
    with connection.cursor() as cursor:
        for _ in range(count):
            began = time.perf_counter()
            cursor.execute("SELECT 1")
            cursor.fetchall()
            samples.append(time.perf_counter() - began)
    samples.sort()
    return statistics.median(samples) * 1000, samples[int(len(samples) * 0.95)] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--baseline-src", type=Path, help="a src/ tree without the data plane to compare start times")
    args = parser.parse_args()

    print(f"emulator start (median of 5): {start_time(None):.2f} s with the data plane")
    if args.baseline_src:
        print(f"emulator start (median of 5): {start_time(args.baseline_src):.2f} s for {args.baseline_src}")

    process, port, _ = start()
    try:
        url = f"http://127.0.0.1:{port}"
        options = {"endpoint_url": url, "region_name": "us-east-1"}
        options.update(aws_access_key_id="testing", aws_secret_access_key="testing")
        rds, ec2, secrets = (boto3.client(name, **options) for name in ("rds", "ec2", "secretsmanager"))
        clusters = {}
        for label in ("first", "second"):
            name = f"latency-{label}"
            began = time.monotonic()
            rds.create_db_cluster(
                DBClusterIdentifier=name,
                Engine="aurora-mysql",
                MasterUsername="admin",
                MasterUserPassword="password1",
                EnableIAMDatabaseAuthentication=True,
                ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 2},
            )
            rds.create_db_instance(
                DBInstanceIdentifier=f"{name}-1",
                DBInstanceClass="db.serverless",
                Engine="aurora-mysql",
                DBClusterIdentifier=name,
            )
            endpoint = rds.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"][0]["Endpoint"]
            connect_when_ready(endpoint, 3306, user="admin", password="password1").close()
            print(f"CreateDBCluster to first connection, {label} cluster: {time.monotonic() - began:.2f} s")
            clusters[label] = endpoint

        with urllib.request.urlopen(f"{url}/_livestack/health") as response:
            health = json.load(response)
        direct = health["dataplane"]["mysql"]["servers"]["us-east-1/latency-first"]["address"].split(":")
        vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"][
                "SubnetId"
            ]
            for i, z in ((1, "a"), (2, "b"))
        ]
        secret = secrets.create_secret(
            Name="latency", SecretString=json.dumps({"username": "admin", "password": "password1"})
        )["ARN"]
        proxy = rds.create_db_proxy(
            DBProxyName="latency",
            EngineFamily="MYSQL",
            Auth=[{"AuthScheme": "SECRETS", "SecretArn": secret, "IAMAuth": "REQUIRED"}],
            RoleArn="arn:aws:iam::123456789012:role/proxy",
            VpcSubnetIds=subnets,
            RequireTLS=True,
        )["DBProxy"]["Endpoint"]
        # As on AWS (and in strict mode): the proxy and the writer must be available before registering.
        rds.get_waiter("db_instance_available").wait(
            DBInstanceIdentifier="latency-first-1", WaiterConfig={"Delay": 0.2, "MaxAttempts": 300}
        )
        while rds.describe_db_proxies(DBProxyName="latency")["DBProxies"][0]["Status"] != "available":
            time.sleep(0.2)
        rds.register_db_proxy_targets(DBProxyName="latency", DBClusterIdentifiers=["latency-first"])
        tls = {"ca": health["ca_bundle"], "check_hostname": True}

        paths = {
            "direct to MariaDB (TCP, no TLS)": lambda: connect_when_ready(
                direct[0], int(direct[1]), user="admin", password="password1", ssl_disabled=True
            ),
            "cluster endpoint (no TLS)": lambda: connect_when_ready(
                clusters["first"], 3306, user="admin", password="password1", ssl_disabled=True
            ),
            "cluster endpoint (TLS)": lambda: connect_when_ready(
                clusters["first"], 3306, user="admin", password="password1", ssl=tls
            ),
            "RDS Proxy endpoint (TLS, IAM token)": lambda: connect_when_ready(
                proxy, 3306, user="admin", password=rds.generate_db_auth_token(proxy, 3306, "admin"), ssl=tls
            ),
        }
        print(f"SELECT 1 round trip, {args.queries} queries: median / p95 (ms)")
        for label, make in paths.items():
            with make() as connection:
                median, p95 = round_trips(connection, args.queries)
            print(f"  {label:40} {median:6.3f} / {p95:6.3f}")
    finally:
        process.terminate()
        process.wait()


if __name__ == "__main__":
    main()
