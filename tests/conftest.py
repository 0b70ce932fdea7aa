"""Shared fixtures: an emulator on a free port, and ansible-playbook runs against it."""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from ansible.plugins.loader import init_plugin_loader

ROOT = Path(__file__).resolve().parent.parent
# Ansible's collection loader on the collection's own path, installed before any test imports ansible_collections
# (as ansible-test's units do): a test that renders templates or runs a module in its own process, and every
# test importing the collection's plugins, then load them one way, whichever test file is collected first.
init_plugin_loader([str(ROOT / ".collections")])
# Per-developer files (the Client VPN PKI and .ovpn profiles, the relay's build) of test stages stay
# out of $HOME and apart from other test processes.
TEST_CONFIG_ROOT = Path(tempfile.mkdtemp(prefix="livestack-tests-"))
atexit.register(shutil.rmtree, TEST_CONFIG_ROOT, ignore_errors=True)
RECAP = re.compile(r"^\S+\s+:\s+(?P<counts>ok=\d+.*)$", re.MULTILINE)
# The shared emulator of a worker outlives every test's VPCs, Elastic IPs and Client VPN endpoints (the suite
# keeps many stages in us-east-1), so its per-region quotas are raised, as an account's can be; the quotas
# themselves are tested on emulators of their own (tests/emulator/test_region_quotas.py).
SHARED_QUOTAS = {"vpcs_per_region": 500, "elastic_ips_per_region": 500, "client_vpn_endpoints_per_region": 500}


class Emulator:
    """A running emulator: its URL, boto3 clients and its request counts."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    def _control(self, method: str, command: str) -> dict:
        request = urllib.request.Request(f"{self.url}/_livestack/{command}", method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def requests(self, calls: bool = False) -> dict:
        return self._control("GET", "requests?calls=1" if calls else "requests")

    def clear_requests(self) -> None:
        self._control("DELETE", "requests")

    def reset(self) -> None:
        self._control("POST", "reset")

    def arm_tripwire(self, after: int) -> None:
        """Hold back the answer to the ``after``-th mutating request from now on (it is still carried out)."""
        self._control("POST", f"tripwire?after={after}")

    def tripwire(self) -> dict:
        return self._control("GET", "tripwire")

    def disarm_tripwire(self) -> None:
        self._control("DELETE", "tripwire")

    def account_session(self, account_id: str) -> boto3.session.Session:
        """Credentials of another account of the emulator (STS AssumeRole of a role of that account)."""
        credentials = self.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{account_id}:role/tests", RoleSessionName="tests"
        )["Credentials"]
        return boto3.session.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )

    def client(self, service: str, region: str = "us-east-1"):
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


# What Lambda answers, in strict mode as on AWS, while IAM has not yet propagated a new role or policy.
PROPAGATING = ("cannot be assumed by Lambda", "does not have permissions to call CreateNetworkInterface")


def create_function(client, timeout: float = 30.0, **spec) -> dict:
    """CreateFunction as a client must call it on AWS: retried while IAM propagates the function's new role (or
    its policies), then waited for until Active (function_active_v2); the configuration CreateFunction answered."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            created = client.create_function(**spec)
            break
        except client.exceptions.InvalidParameterValueException as error:
            if not any(text in str(error) for text in PROPAGATING) or time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    client.get_waiter("function_active_v2").wait(FunctionName=spec["FunctionName"], WaiterConfig={"Delay": 0.2})
    return created


def start_emulator(
    log_path: Path, *options: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, Emulator]:
    port_file = log_path.with_suffix(".port")
    port_file.unlink(missing_ok=True)
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "livestack_emulator", "--port", "0", "--port-file", str(port_file), *options],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )
    deadline = time.monotonic() + 60
    while not port_file.exists() or not port_file.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the emulator did not start, see {log_path}")
        time.sleep(0.1)
    return process, Emulator(int(port_file.read_text()))


@contextmanager
def emulator_with(directory: Path, strict: str) -> Iterator[Emulator]:
    """An emulator of its own whose strict mode is ``strict`` (LIVESTACK_EMULATOR_STRICT: windows and quotas as JSON,
    or "off"), stopped afterwards."""
    process, emulator = start_emulator(directory / "emulator.log", env={"LIVESTACK_EMULATOR_STRICT": strict})
    try:
        yield emulator
    finally:
        process.terminate()
        process.wait(timeout=30)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files marked ``long`` (minutes each) go first, so that `make test`'s two workers start them
    at once instead of ending on one of them alone (with --no-loadscope-reorder, xdist follows this order)."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory):
    strict = os.environ.get("LIVESTACK_EMULATOR_STRICT")
    settings = json.dumps(SHARED_QUOTAS) if strict in (None, "on") else strict
    process, running = start_emulator(
        tmp_path_factory.mktemp("emulator") / "emulator.log", env={"LIVESTACK_EMULATOR_STRICT": settings}
    )
    try:
        yield running
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass
class PlaybookRun:
    rc: int
    output: str

    @property
    def recap(self) -> dict[str, int]:
        found = RECAP.findall(self.output)
        assert found, f"no PLAY RECAP in:\n{self.output[-3000:]}"
        return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", found[-1])}


@pytest.fixture
def run_playbook(emulator: Emulator):
    """Run a playbook against the emulator (or whatever listens on ``port``): run_playbook("site.yml", "--check")."""

    def run(
        playbook: str, *args: str, stage: str = "test", extra_vars: dict | None = None, port: int | None = None
    ) -> PlaybookRun:
        return ansible_playbook(playbook, *args, stage=stage, extra_vars=extra_vars, port=port or emulator.port)

    return run


def ansible_playbook(playbook: str, *args: str, stage: str, extra_vars: dict | None = None, port: int) -> PlaybookRun:
    """Run a playbook of the collection against the emulator listening on ``port``."""
    command, env = playbook_command(playbook, *args, stage=stage, extra_vars=extra_vars, port=port)
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    return PlaybookRun(result.returncode, result.stdout + result.stderr)


def retried(output: str, task: str) -> bool:
    """Whether a playbook's output shows ``task`` retried by ``until``; ansible-core 2.21 names the task's role
    before it ("FAILED - RETRYING: [localhost]: livestack.aws.dev_relay : Deploy ..."), 2.20 does not."""
    return re.search(rf"FAILED - RETRYING: \[localhost\]: (?:\S+ : )?{re.escape(task)}", output) is not None


def ran(output: str, task: str) -> bool:
    """Whether a playbook's output shows ``task`` run (ok or changed, for any item) rather than skipped."""
    found = re.search(rf"^TASK \[(?:\S+ : )?{re.escape(task)}\].*?(?=^TASK \[|^PLAY RECAP)", output, re.S | re.M)
    return found is not None and re.search(r"^(ok|changed): ", found.group(0), re.M) is not None


def playbook_command(
    playbook: str, *args: str, stage: str, extra_vars: dict | None, port: int
) -> tuple[list[str], dict[str, str]]:
    """The ansible-playbook command line and environment for a playbook of the collection."""
    variables = {
        "livestack_stage": stage,
        "client_vpn_config_dir": str(TEST_CONFIG_ROOT / stage),
        "dev_relay_build_dir": str(TEST_CONFIG_ROOT / stage / "build"),
        **(extra_vars or {}),
    }
    path = playbook if os.path.isabs(playbook) else str(ROOT / "playbooks" / playbook)
    command = [str(Path(sys.executable).parent / "ansible-playbook"), path, "-e", json.dumps(variables), *args]
    env = dict(os.environ, EMULATOR_PORT=str(port), ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    env.setdefault("ANSIBLE_NOCOLOR", "1")
    return command, env


@pytest.fixture(scope="module")
def laptop():
    """A developer's machine as a network namespace, for the tests that reach the VPC through a Client VPN tunnel."""
    from openvpn_client import laptop_namespace, tunnels_possible

    reason = tunnels_possible()
    if reason:
        pytest.skip(f"the tunnel cannot be tested here: {reason}")
    with laptop_namespace() as name:
        yield name
