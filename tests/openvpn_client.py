"""A stock ``openvpn`` client on a profile, for the tests that connect to the emulator's Client VPN."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

OPENVPN = shutil.which("openvpn") or "/usr/sbin/openvpn"


def tunnels_possible() -> str | None:
    """Why the tunnel cannot be tested here, or None."""
    if not os.path.exists(OPENVPN):
        return "openvpn is not installed"
    if os.geteuid() != 0:
        return "TUN devices and network namespaces need root"
    if not os.access("/dev/net/tun", os.R_OK | os.W_OK):
        return "no /dev/net/tun"
    if subprocess.run(["ip", "netns", "list"], capture_output=True, check=False).returncode:
        return "ip netns is not available"
    return None


@contextlib.contextmanager
def laptop_namespace(prefix: str = "livestack-laptop") -> Iterator[str]:
    """A network namespace of its own, its loopback up, for a developer's machine: removed on exit."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


class Client:
    """A stock openvpn client on a profile; with ``laptop`` its TUN device is moved into that namespace."""

    def __init__(self, path: Path, laptop: str | None = None) -> None:
        self.log = path.with_suffix(".log")
        argv = [OPENVPN, "--config", str(path), "--verb", "3"]
        if laptop:
            # The test's safety harness, not part of the profile: the client configures nothing in this
            # machine's namespace; its TUN device, address and pushed routes go into the namespace "laptop".
            script = path.with_suffix(".sh")
            script.write_text(LAPTOP_SCRIPT.replace("LAPTOP", laptop))
            script.chmod(0o700)
            argv += ["--ifconfig-noexec", "--route-noexec", "--script-security", "2"]
            argv += ["--up", str(script), "--route-up", str(script)]
        else:
            # The TLS handshake only: no TUN device, nothing configured.
            argv += ["--dev", "null", "--ifconfig-noexec", "--route-noexec"]
        with self.log.open("w") as output:
            self.process = subprocess.Popen(argv, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, pattern: str, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.text()):
                return True
            if self.process.poll() is not None:
                return bool(re.search(pattern, self.text()))
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(10)


LAPTOP_SCRIPT = """#!/bin/sh
set -e
if [ "$script_type" = up ]; then
  ip link set dev "$dev" netns LAPTOP
  ip -n LAPTOP addr add "$ifconfig_local/$ifconfig_netmask" dev "$dev"
  ip -n LAPTOP link set dev "$dev" mtu "$tun_mtu" up
else
  i=1
  while eval "network=\\${route_network_$i:-}"; [ -n "$network" ]; do
    eval "ip -n LAPTOP route add $network/\\$route_netmask_$i via \\$route_gateway_$i"
    i=$((i + 1))
  done
fi
"""


def handshake(path: Path, timeout: float = 30) -> tuple[bool, str]:
    """Whether a client on the profile completes the TLS handshake with the server, and its log."""
    client = Client(path)
    try:
        return client.wait_for("Peer Connection Initiated", timeout), client.text()
    finally:
        client.stop()
