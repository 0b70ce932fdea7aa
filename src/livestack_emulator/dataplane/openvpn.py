"""The OpenVPN server behind each Client VPN endpoint.

An endpoint that is ``available`` (a target network associated) gets a real ``openvpn`` server built
from its own configuration: the server certificate and key imported into ACM, the client root
chain, the imported CRL, transport, port, client CIDR, split tunnel, DNS servers and session
timeout. It listens on a loopback address of its own (``127.78.x.y``, see ``listener``), on the
endpoint's port when the emulator may bind it (root), else on a free port; the exported client
configuration names that address and port, so a stock ``openvpn`` client on this machine connects.

Where the machine allows TUN devices and network namespaces (root, ``/dev/net/tun``, ``ip``), the
tunnel carries traffic. The server's socket stays on the loopback of this machine, but its TUN
device is moved (by the ``up`` script) into a network namespace of the endpoint, ``livestack-<id>``,
which stands for the VPC: the client CIDR is routed there, and each VPC address that ``expose``
maps to a loopback listener is an address of that namespace, where a forwarder accepts the
tunnelled TCP sessions and relays them to the listener. Nothing is routed in this machine's own
namespace. Elsewhere the server is a point-to-point TLS server on ``dev null``: the TLS handshake
with the client certificate (and the CRL) is real, no tunnel is set up.
"""

from __future__ import annotations

import ctypes
import hashlib
import ipaddress
import logging
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import Unavailable, binary, supervisor

log = logging.getLogger(__name__)

LISTEN_NETWORK = ipaddress.IPv4Network("127.78.0.0/16")
READY = re.compile(r"link local \(bound\)|Listening for incoming TCP connection|Initialization Sequence Completed")
CLONE_NEWNET = 0x40000000


@dataclass(frozen=True)
class ServerSpec:
    """What the server of one endpoint is built from (everything the endpoint's records say)."""

    endpoint_id: str
    transport: str
    listen: tuple[str, int]
    client_cidr: str
    server_certificate: str  # the certificate and its chain, PEM
    server_key: str
    client_roots: str  # the CA certificates that client certificates must chain to, PEM
    crl: str | None
    routes: tuple[str, ...]  # the CIDRs of the associated VPC: pushed with split tunnel, forwarded from
    split_tunnel: bool
    dns_servers: tuple[str, ...]
    session_timeout_hours: int
    authorized: tuple[str, ...] = ()  # destination CIDRs of the active authorization rules (all groups)

    def restart_key(self) -> ServerSpec:
        """What a running server cannot take without a restart: all but the CRL's content (re-read per
        connection) and the authorization rules (checked by the forwarders)."""
        return replace(self, crl="" if self.crl is not None else None, authorized=())


# Receives (endpoint id, event) for each connection event, in the fields of AWS's connection log; the
# Client VPN extension sends them to the endpoint's CloudWatch Logs stream when connection logging is on.
connection_events: Callable[[str, dict[str, str]], None] | None = None
_listeners: dict[str, tuple[str, int, str, int]] = {}  # endpoint id -> (transport, port asked, host, port)
_servers: dict[str, _Server] = {}
_errors: dict[str, str] = {}
_lock = threading.RLock()


def _targets_from_environment() -> dict[tuple[str, int], tuple[str, int]]:
    """``LIVESTACK_EMULATOR_VPC_TARGETS``: "VPC-ADDRESS:PORT=HOST:PORT,..." exposed from the start."""
    found = {}
    for item in filter(None, os.environ.get("LIVESTACK_EMULATOR_VPC_TARGETS", "").split(",")):
        vpc, _, target = item.strip().partition("=")
        (address, _, port), (host, _, target_port) = vpc.rpartition(":"), target.rpartition(":")
        found[(address, int(port))] = (host, int(target_port))
    return found


# VPC address and port -> the loopback listener that serves it (see ``expose``).
_exposed = _targets_from_environment()


def expose(address: str, port: int, listener: tuple[str, int]) -> None:
    """Make ``address:port``, an address in a VPC, reach ``listener`` (a loopback host and port) through
    the tunnel of every endpoint whose VPC holds the address.

    This is the one mapping from "an address in the VPC" to the emulator's servers: the data plane
    of the RDS Proxy, say, calls ``expose(proxy_vpc_address, 3306, ("127.0.0.1", port))``; outside
    the emulator, ``LIVESTACK_EMULATOR_VPC_TARGETS`` sets entries. Running servers forward at once.
    """
    with _lock:
        _exposed[(address, port)] = listener
        for server in _servers.values():
            server.forward(address, port)


def withdraw(address: str, port: int) -> None:
    with _lock:
        _exposed.pop((address, port), None)
        for server in _servers.values():
            server.unforward(address, port)


def listener(endpoint_id: str, transport: str, port: int) -> tuple[str, int]:
    """The loopback address and port where the endpoint's server listens (and its profile points).

    The address is the endpoint's own in 127.78.0.0/16 (from its id; the next one if another emulator
    holds it), so the port stays the endpoint's 443 or 1194 when the emulator may bind it (root);
    otherwise the port is a free one.
    """
    with _lock:
        known = _listeners.get(endpoint_id)
        if known and known[:2] == (transport, port):
            return known[2], known[3]
        kind = socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
        start = int.from_bytes(hashlib.sha256(endpoint_id.encode()).digest()[:4], "big")
        hosts = LISTEN_NETWORK.num_addresses - 2
        for step in range(64):
            host = str(LISTEN_NETWORK[1 + (start + step) % hosts])
            try:
                found = (host, _bind(host, port, kind))
                break
            except PermissionError:
                found = (host, _bind(host, 0, kind))
                break
            except OSError:
                continue
        else:
            raise OSError(f"no free loopback address in {LISTEN_NETWORK} for port {port}")
        _listeners[endpoint_id] = (transport, port, *found)
        return found


def _bind(host: str, port: int, kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind((host, port))
        return probe.getsockname()[1]


def tunnels() -> bool:
    """Whether servers get a TUN device (root, /dev/net/tun, ``ip``); ``LIVESTACK_EMULATOR_TUN=off`` says no."""
    return (
        os.environ.get("LIVESTACK_EMULATOR_TUN", "on") != "off"
        and os.geteuid() == 0
        and os.access("/dev/net/tun", os.R_OK | os.W_OK)
        and shutil.which("ip") is not None
    )


def sync(endpoint_id: str, spec: ServerSpec | None) -> None:
    """Make the endpoint's server match ``spec`` (None: no server). Never raises: failures go to ``health``."""
    name = f"openvpn/{endpoint_id}"
    with _lock:
        server = _servers.get(endpoint_id)
        try:
            if spec is None:
                _errors.pop(endpoint_id, None)
                if server is not None:
                    supervisor().stop(name)
                return
            if server is not None and server.running() and server.spec.restart_key() == spec.restart_key():
                server.refresh(spec)
                return
            server = _Server(spec, name, tunnels())
            server.start()
            _errors.pop(endpoint_id, None)
        except (Unavailable, OSError, RuntimeError, subprocess.SubprocessError) as error:
            _errors[endpoint_id] = str(error)
            log.error("the OpenVPN server of %s is not running: %s", endpoint_id, error)


def endpoints() -> set[str]:
    """The endpoints that have a server, or failed to get one."""
    with _lock:
        return set(_servers) | set(_errors)


def health() -> dict[str, object]:
    """The OpenVPN data plane as ``/_livestack/health`` reports it: the binary (or the command installing
    it), whether servers get a tunnel, and each endpoint's server (its listener, or why it is not running)."""
    try:
        binary("openvpn")
        error = None
    except Unavailable as missing:
        error = str(missing)
    with _lock:
        servers: dict[str, dict[str, str]] = {
            i: {"address": f"{s.spec.listen[0]}:{s.spec.listen[1]}/{s.spec.transport}"} for i, s in _servers.items()
        }
        for endpoint_id, failure in _errors.items():
            servers[endpoint_id] = {"error": failure}
    return {"available": error is None, **({"error": error} if error else {}), "tunnels": tunnels(), "servers": servers}


def render(spec: ServerSpec, directory: Path, tun: bool) -> str:
    """The server's configuration file."""
    host, port = spec.listen
    proto = "udp4" if spec.transport == "udp" else "tcp4-server"
    lines = [
        f"# The OpenVPN server of Client VPN endpoint {spec.endpoint_id}, from its configuration.",
        f"proto {proto}",
        f"local {host}",
        f"port {port}",
        f"ca {directory / 'client-roots.pem'}",
        f"cert {directory / 'server.pem'}",
        f"key {directory / 'server.key'}",
        "dh none",
        "data-ciphers AES-256-GCM",
        "cipher AES-256-GCM",
        # AWS ends a session after SessionTimeoutHours; the client reconnects (and is authenticated again).
        f"session-timeout {spec.session_timeout_hours * 3600}",
        "verb 3",
    ]
    if spec.crl is not None:
        lines.append(f"crl-verify {directory / 'crl.pem'}")
    if not tun:
        return "\n".join([*lines, "tls-server", "dev null", ""])
    network = ipaddress.IPv4Network(spec.client_cidr)
    lines += [
        "mode server",
        "tls-server",
        f"dev {_tun_name(spec.endpoint_id)}",
        "dev-type tun",
        "topology subnet",
        f"server {network.network_address} {network.netmask}",
        "duplicate-cn",
        "keepalive 10 60",
        # The TUN device goes into the endpoint's namespace (the up script); nothing is configured here.
        "ifconfig-noexec",
        "route-noexec",
        "script-security 2",
        f"up {directory / 'up.sh'}",
        f"client-connect {directory / 'event.sh'}",
        f"client-disconnect {directory / 'event.sh'}",
    ]
    if spec.transport == "udp":
        lines.append("explicit-exit-notify 1")
    if spec.split_tunnel:
        for cidr in spec.routes:
            route = ipaddress.IPv4Network(cidr)
            lines.append(f'push "route {route.network_address} {route.netmask}"')
    else:
        lines.append('push "redirect-gateway def1"')
    lines += [f'push "dhcp-option DNS {server}"' for server in spec.dns_servers]
    return "\n".join([*lines, ""])


def _tun_name(endpoint_id: str) -> str:
    return "cv" + endpoint_id[-13:]


def _namespace(endpoint_id: str) -> str:
    return f"livestack-{endpoint_id}"


def _write(path: Path, text: str) -> None:
    """Write a file 0600 (keys, and everything else alike), replacing it at once for readers."""
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


def _ip(*args: str) -> None:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if result.returncode:
        raise RuntimeError(f"ip {' '.join(args)}: {result.stderr.strip()}")


@dataclass
class _Server:
    spec: ServerSpec
    name: str
    tun: bool
    forwarders: dict[tuple[str, int], _Forwarder] = field(default_factory=dict)
    log: _ConnectionLog | None = None

    @property
    def directory(self) -> Path:
        return supervisor().directory("openvpn", self.spec.endpoint_id)

    def running(self) -> bool:
        process = supervisor().process(self.name)
        return process is not None and process.poll() is None

    def start(self) -> None:
        openvpn = binary("openvpn")
        # The server it replaces goes first, with its namespace.
        supervisor().stop(self.name)
        _servers[self.spec.endpoint_id] = self
        try:
            self._start(openvpn)
        except Exception:
            supervisor().stop(self.name)
            self.close()
            raise

    def _start(self, openvpn: str) -> None:
        directory = self.directory
        directory.chmod(0o700)
        self.refresh(self.spec)
        _write(directory / "server.pem", self.spec.server_certificate)
        _write(directory / "server.key", self.spec.server_key)
        _write(directory / "client-roots.pem", self.spec.client_roots)
        if self.tun:
            namespace = _namespace(self.spec.endpoint_id)
            _write(
                directory / "up.sh",
                "#!/bin/sh\n# Moves the server's TUN device into the endpoint's namespace and configures it there.\n"
                "set -e\n"
                f'ip link set dev "$dev" netns {namespace}\n'
                f'ip -n {namespace} addr add "$ifconfig_local/$ifconfig_netmask" dev "$dev"\n'
                f'ip -n {namespace} link set dev "$dev" mtu "$tun_mtu" up\n',
            )
            _write(
                directory / "event.sh",
                "#!/bin/sh\n# One line per connection and disconnection, read by the emulator (connection log).\n"
                'printf \'%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n\' "$script_type" "$time_unix" "$trusted_ip" '
                '"$trusted_port" "$common_name" "$ifconfig_pool_remote_ip" "${bytes_received:-0}" "${bytes_sent:-0}" '
                f">> {directory / 'events'}\n",
            )
            for script in ("up.sh", "event.sh"):
                (directory / script).chmod(0o700)
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True, check=False)
            _ip("netns", "add", namespace)
            _ip("-n", namespace, "link", "set", "lo", "up")
        config = directory / "server.conf"
        _write(config, render(self.spec, directory, self.tun))
        server_log = directory / "server.log"
        with server_log.open("a") as output:
            process = supervisor().start(
                self.name, [openvpn, "--config", str(config)], cwd=directory, stdout=output, stderr=subprocess.STDOUT
            )
        supervisor().on_stop(self.name, self.close)
        deadline = time.monotonic() + 15
        while not READY.search(server_log.read_text(errors="replace")):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = server_log.read_text(errors="replace")[-1500:]
                raise RuntimeError(f"openvpn did not start (see {server_log}):\n{tail}")
            time.sleep(0.05)
        if self.tun:
            for address, port in _exposed:
                self.forward(address, port)
        self.log = _ConnectionLog(self.spec.endpoint_id, self.spec.transport, directory)

    def refresh(self, spec: ServerSpec) -> None:
        """Take what a running server re-reads: the CRL (per connection) and the authorization rules."""
        self.spec = spec
        crl = self.directory / "crl.pem"
        if spec.crl is not None and (not crl.exists() or crl.read_text() != spec.crl):
            _write(crl, spec.crl)

    def forward(self, address: str, port: int) -> None:
        """Serve ``address:port`` in the endpoint's namespace, if the address is in its VPC."""
        inside = any(ipaddress.IPv4Address(address) in ipaddress.IPv4Network(c) for c in self.spec.routes)
        if not self.tun or not inside or (address, port) in self.forwarders:
            return
        namespace = _namespace(self.spec.endpoint_id)
        _ip("-n", namespace, "addr", "replace", f"{address}/32", "dev", "lo")
        self.forwarders[(address, port)] = _Forwarder(namespace, address, port, self)

    def unforward(self, address: str, port: int) -> None:
        forwarder = self.forwarders.pop((address, port), None)
        if forwarder is not None:
            forwarder.close()

    def target(self, address: str, port: int, client: str) -> tuple[str, int] | None:
        """Where a tunnelled session to ``address:port`` goes, or None when no rule authorizes it."""
        if ipaddress.IPv4Address(client) not in ipaddress.IPv4Network(self.spec.client_cidr):
            return None
        if not any(ipaddress.IPv4Address(address) in ipaddress.IPv4Network(c) for c in self.spec.authorized):
            return None
        return _exposed.get((address, port))

    def close(self) -> None:
        if self.log is not None:
            self.log.close()
        with _lock:
            if _servers.get(self.spec.endpoint_id) is self:
                del _servers[self.spec.endpoint_id]
            for key in list(self.forwarders):
                self.unforward(*key)
        if self.tun:
            subprocess.run(["ip", "netns", "del", _namespace(self.spec.endpoint_id)], capture_output=True, check=False)


class _ConnectionLog:
    """Follows the server's connection events (its client-connect/disconnect script) and its refusals
    (``VERIFY ERROR`` in its log) and hands them to ``connection_events`` as AWS logs them."""

    REFUSED = re.compile(r"^(\S+ \S+) (\S+):(\d+) VERIFY ERROR: depth=0, error=(.+?): CN=([^,]+)", re.MULTILINE)

    def __init__(self, endpoint_id: str, transport: str, directory: Path) -> None:
        self.endpoint_id, self.transport, self.directory = endpoint_id, transport, directory
        self.offsets = {name: self._size(name) for name in ("events", "server.log")}
        self.sessions: dict[str, tuple[str, float]] = {}  # device ip:port -> connection id, start
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        threading.Thread(target=self._follow, daemon=True, name=f"connection log {endpoint_id}").start()

    def _size(self, name: str) -> int:
        path = self.directory / name
        return path.stat().st_size if path.exists() else 0

    def _read(self, name: str) -> str:
        path = self.directory / name
        if not path.exists():
            return ""
        with path.open("rb") as handle:
            handle.seek(self.offsets[name])
            data = handle.read()
        complete = data[: data.rfind(b"\n") + 1]
        self.offsets[name] += len(complete)
        return complete.decode(errors="replace")

    def _follow(self) -> None:
        while not self.stopped.wait(0.5):
            self.flush()

    def flush(self) -> None:
        with self.lock:
            for line in self._read("events").splitlines():
                kind, when, ip, port, name, address, received, sent = (line.split("\t") + [""] * 8)[:8]
                self._event(kind, float(when or time.time()), ip, port, name, address, received, sent)
            for found in self.REFUSED.finditer(self._read("server.log")):
                stamp, ip, port, reason, name = found.groups()
                when = time.mktime(time.strptime(stamp, "%Y-%m-%d %H:%M:%S"))
                self._event("refused", when, ip, port, name, reason=reason)

    def _event(
        self,
        kind: str,
        when: float,
        ip: str,
        port: str,
        name: str,
        address: str = "",
        received: str = "0",
        sent: str = "0",
        reason: str = "NA",
    ) -> None:
        key = f"{ip}:{port}"
        new = ("cvpn-connection-" + os.urandom(9).hex()[:17], when)
        if kind == "client-connect":
            self.sessions[key] = new
        connection_id, start = self.sessions.pop(key, new) if kind == "client-disconnect" else new
        ended = kind == "client-disconnect"
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(when))
        event = {
            "connection-log-type": "connection-reset" if ended else "connection-attempt",
            "connection-attempt-status": {"client-connect": "successful", "refused": "failed"}.get(kind, "NA"),
            "connection-reset-status": "NA",
            "connection-attempt-failure-reason": reason,
            "connection-id": connection_id,
            "client-vpn-endpoint-id": self.endpoint_id,
            "transport-protocol": self.transport,
            "connection-start-time": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(start)),
            "connection-last-update-time": stamp,
            "client-ip": address or "NA",
            "common-name": name,
            "device-type": "NA",
            "device-ip": ip,
            "port": port,
            "ingress-bytes": received or "0",
            "egress-bytes": sent or "0",
            "ingress-packets": "NA",
            "egress-packets": "NA",
            "connection-end-time": stamp if ended else "NA",
            "connection-duration-seconds": str(int(when - start)) if ended else "0",
        }
        if connection_events is None:
            return
        try:
            connection_events(self.endpoint_id, event)
        except Exception:  # the log of a connection never stops the server
            log.exception("connection event of %s not logged", self.endpoint_id)

    def close(self) -> None:
        self.stopped.set()
        self.flush()


class _Forwarder:
    """A TCP listener at a VPC address inside the endpoint's namespace, relaying to a loopback listener."""

    def __init__(self, namespace: str, address: str, port: int, server: _Server) -> None:
        self.server = server
        self.address, self.port = address, port
        self.socket = _in_namespace(namespace, lambda: socket.create_server((address, port)))
        self.connections: set[socket.socket] = set()
        threading.Thread(target=self._accept, daemon=True, name=f"forward {address}:{port}").start()

    def _accept(self) -> None:
        while True:
            try:
                client, (source, _) = self.socket.accept()
            except OSError:
                return
            target = self.server.target(self.address, self.port, source)
            if target is None:
                client.close()
                continue
            try:
                upstream = socket.create_connection(target, timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            threading.Thread(target=self._session, args=(client, upstream), daemon=True).start()

    def _session(self, client: socket.socket, upstream: socket.socket) -> None:
        self.connections.update((client, upstream))
        back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
        back.start()
        _pipe(client, upstream)
        back.join()
        for end in (client, upstream):
            end.close()
            self.connections.discard(end)

    def close(self) -> None:
        for end in [self.socket, *self.connections]:
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def _in_namespace(namespace: str, make: Callable[[], socket.socket]) -> socket.socket:
    """Run ``make`` in a thread that has entered the network namespace (sockets made there stay there)."""
    outcome: list[object] = []

    def run() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        try:
            with open(f"/run/netns/{namespace}") as target:
                if libc.setns(target.fileno(), CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), f"setns into {namespace}")
            # The thread ends here, in the namespace: nothing else runs on it.
            outcome.append(make())
        except Exception as error:  # noqa: BLE001 - handed to the caller
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if isinstance(outcome[0], Exception):
        raise outcome[0]
    return outcome[0]  # type: ignore[return-value]
