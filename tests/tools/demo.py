"""`make demo`: converge site.yml on the emulator twice, tell a person what exists, and show it working.

Runs inside `python -m livestack_emulator --port 0 -- ...`, which sets EMULATOR_PORT. After the two converges,
the blog's two endings, as a developer meets them:

1. the API answers with data read through the proxy: `livestack-relay` runs the sample handler here, a plain
   HTTP GET of the stage's API goes API -> stub Lambda -> relay -> local handler -> RDS Proxy (TLS, IAM token,
   end-to-end IAM) -> the cluster, and the row comes back; then 200 more calls measure the round trip;
2. a database client through the VPN: `livestack-sql -e` as the application user, from a network namespace
   (the "laptop") whose only way to the proxy's VPC address is a stock `openvpn` client on the developer's
   profile, when this machine allows tunnels (root, /dev/net/tun, ip netns); otherwise on loopback, saying so.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build" / "demo"
BIN = Path(sys.executable).parent
EMULATOR = f"http://127.0.0.1:{os.environ['EMULATOR_PORT']}"
CALLS = 200
# The developer's commands use the emulator's account (its keys are not secrets), whatever this shell has.
DEVELOPER_ENV = {
    **{name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "DB_"))},
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}

sys.path.insert(0, str(ROOT / "tests"))
from openvpn_client import Client, laptop_namespace, tunnels_possible  # noqa: E402


def control(method: str, command: str) -> dict:
    request = urllib.request.Request(f"{EMULATOR}/_livestack/{command}", method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def converge(name: str, outputs: Path) -> tuple[float, str, dict]:
    """Run site.yml once; return wall seconds, the recap line and the emulator's request counts."""
    control("DELETE", "requests")
    log = BUILD / f"{name.replace(' ', '-')}.log"
    print(f"==> {name}: ansible-playbook playbooks/site.yml (log: {log.relative_to(ROOT)})", flush=True)
    started = time.monotonic()
    with log.open("w") as handle:
        result = subprocess.run(
            [
                str(Path(sys.executable).parent / "ansible-playbook"),
                "playbooks/site.yml",
                "-e",
                f"livestack_outputs_file={outputs}",
            ],
            cwd=ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, ANSIBLE_NOCOLOR="1"),
            check=False,
        )
    elapsed = time.monotonic() - started
    text = log.read_text()
    if result.returncode != 0:
        print(text[-4000:])
        sys.exit(f"{name} failed (exit {result.returncode}), see {log}")
    recap = re.findall(r"^localhost\s+:\s+(.*)$", text, re.MULTILINE)[-1]
    return elapsed, " ".join(recap.split()), control("GET", "requests")


@contextlib.contextmanager
def relay_client(log: Path) -> Iterator[None]:
    """livestack-relay running the sample handler, as a developer's project would (a copy, no bundle beside)."""
    project = BUILD / "handler"
    project.mkdir(exist_ok=True)
    shutil.copy(ROOT / "roles" / "dev_relay" / "files" / "sample_handler.py", project)
    command = [str(BIN / "livestack-relay"), "--stage", "local", "sample_handler:handler"]
    with log.open("w") as output:
        client = subprocess.Popen(command, cwd=project, env=DEVELOPER_ENV, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "connected to" not in log.read_text():
            if client.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"livestack-relay did not connect:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield
    finally:
        client.send_signal(2)
        client.wait(timeout=60)


def get(url: str) -> tuple[float, dict]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        body = json.load(response)
    return (time.perf_counter() - started) * 1000, body


def api_ending(outputs: dict) -> tuple[float, list[float]]:
    """The API answers with the row read through the proxy; then CALLS more calls, timed."""
    url = outputs["dev_relay"]["http_url"] + "/row"
    log = BUILD / "relay-client.log"
    started = time.monotonic()
    with relay_client(log):
        _, row = get(url)
        elapsed = time.monotonic() - started
        print(f"\n==> ending 1: GET {url}  (API -> stub -> livestack-relay -> local handler -> proxy -> cluster)")
        for key, value in row.items():
            print(f"    {key:<14} {value}")
        if "GET /row" not in log.read_text():
            sys.exit(f"the call did not reach the local handler, see {log}")
        times = [get(url)[0] for _ in range(CALLS)]
    return elapsed, times


def proxy_vpc_address(endpoint: str) -> str:
    endpoints = control("GET", "health")["dataplane"]["mysql"]["endpoints"].values()
    return next(e["vpc_address"] for e in endpoints if e["endpoint"].startswith(endpoint))


def sql_ending(outputs_path: Path, outputs: dict) -> tuple[float, str]:
    """One statement through livestack-sql: through the VPN when this machine allows a tunnel."""
    statement = "SELECT CURRENT_USER() AS user, DATABASE() AS db, NOW() AS now"
    command = [str(BIN / "livestack-sql"), "--stage", "local", "--outputs", str(outputs_path), "-e", statement]
    command += ["--ca-bundle", outputs["dev_relay"]["db_ca_bundle"]]
    started = time.monotonic()
    reason = tunnels_possible()
    if reason:
        path = f"loopback ({reason}, so no tunnel here)"
        run = subprocess.run(command, env=DEVELOPER_ENV, capture_output=True, text=True, timeout=120, check=False)
    else:
        address = proxy_vpc_address(outputs["rds_proxy"]["endpoint"])
        profile = Path(next(iter(outputs["client_vpn"]["profiles"].values())))
        # The openvpn client's log and scripts go beside a copy of the profile, not into the developer's directory.
        copy = BUILD / "vpn" / profile.name
        copy.parent.mkdir(exist_ok=True)
        shutil.copy(profile, copy)
        with laptop_namespace("livestack-demo") as laptop:
            vpn = Client(copy, laptop)
            try:
                if not vpn.wait_for("Initialization Sequence Completed", timeout=60):
                    sys.exit(f"the VPN did not come up:\n{vpn.text()[-3000:]}")
                path = f"the VPN: openvpn --config {profile}, to the proxy's VPC address {address}"
                command = ["ip", "netns", "exec", laptop, *command, "--address", address]
                run = subprocess.run(
                    command, env=DEVELOPER_ENV, capture_output=True, text=True, timeout=120, check=False
                )
            finally:
                vpn.stop()
    elapsed = time.monotonic() - started
    print(f"\n==> ending 2: livestack-sql --stage local -e {statement!r}")
    print(f"    through {path}")
    if run.returncode:
        sys.exit(f"livestack-sql failed (exit {run.returncode}):\n{run.stderr}")
    print("    " + run.stdout.rstrip().replace("\n", "\n    "))
    return elapsed, path


def idle_cost_report(stage: dict) -> list[str]:
    """The lines site.yml's summary shows, from the same rule (plugins/module_utils/cost.py, no Ansible import)."""
    spec = importlib.util.spec_from_file_location("cost", ROOT / "plugins" / "module_utils" / "cost.py")
    cost = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cost)
    return cost.report(cost.idle_cost(stage, stage["stage"]["region"]))


def main() -> int:
    BUILD.mkdir(parents=True, exist_ok=True)
    outputs = BUILD / "outputs.json"
    first = converge("first run", outputs)
    second = converge("second run", outputs)

    print("\nlivestack stage 'local' on the emulator at", EMULATOR)
    for role, values in json.loads(outputs.read_text()).items():
        print(f"\n  {role}")
        for key, value in values.items():
            shown = ", ".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else value
            shown = ", ".join(map(str, shown)) if isinstance(shown, list) else shown
            print(f"    {key:<22} {shown}")
    print()
    for name, (elapsed, recap, calls) in (("first run", first), ("second run", second)):
        print(f"  {name:<11} {elapsed:6.1f} s   {recap}")
        print(f"  {'':<11} API requests: {calls['total']} ({calls['read']} read, {calls['mutating']} mutating)")
    changed = int(re.search(r"changed=(\d+)", second[1]).group(1))
    if changed or second[2]["mutating"]:
        print("\nthe second run changed something: not idempotent")
        return 1
    print("\nthe second run changed nothing.")

    stage = json.loads(outputs.read_text())
    print("\n  what the stage costs while idle (site.yml's summary):")
    for line in idle_cost_report(stage):
        print(f"    {line}")
    api_seconds, times = api_ending(stage)
    sql_seconds, _ = sql_ending(outputs, stage)
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    print(f"\n  ending 1 (relay client up, first answer)  {api_seconds:6.1f} s")
    print(f"  ending 2 (VPN up, SQL statement)          {sql_seconds:6.1f} s")
    median = statistics.median(times)
    print(f"  {CALLS} API calls through the relay to the database: median {median:.1f} ms, p99 {p99:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
