"""The emulator's data plane: the real servers behind its API records.

An Aurora cluster has a MariaDB server, an RDS Proxy endpoint a MySQL listener that checks TLS and
IAM tokens, a Client VPN endpoint an OpenVPN server, a Lambda function runtime processes. They
are child processes (or listener threads) of the emulator, started when their resource becomes
available and stopped with it, on reset and on exit, and they keep their files under one state
directory (``LIVESTACK_EMULATOR_STATE``, default a temporary directory removed on exit).

``Supervisor`` is the one place that starts and stops them, so that nothing is left running.
A binary the machine lacks is ``Unavailable``: the message names the command that installs it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

# The Debian package of each binary the data plane runs; `make setup` installs them as root.
PACKAGES = {"mariadbd": "mariadb-server", "mariadb-install-db": "mariadb-server", "openvpn": "openvpn"}
SBIN = ("/usr/sbin", "/usr/local/sbin", "/sbin")


class Unavailable(RuntimeError):
    """A part of the data plane cannot run on this machine; the message says how to fix it."""


def binary(name: str) -> str:
    """The path of a binary the data plane needs, or ``Unavailable`` with the command installing it."""
    found = shutil.which(name) or next((f"{d}/{name}" for d in SBIN if os.access(f"{d}/{name}", os.X_OK)), None)
    if found:
        return found
    package = PACKAGES.get(name, name)
    raise Unavailable(
        f"the emulator's data plane needs {name}, which is not installed: run "
        f"`sudo apt-get install -y {package}` (or `make setup` as root)"
    )


class Supervisor:
    """Child processes and clean-ups of the data plane, under one state directory."""

    def __init__(self, root: Path | None = None) -> None:
        configured = os.environ.get("LIVESTACK_EMULATOR_STATE")
        self._owned = root is None and not configured
        self.root = Path(root or configured or tempfile.mkdtemp(prefix="livestack-emulator-state-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._processes: dict[str, subprocess.Popen] = {}
        self._cleanups: dict[str, Callable[[], None]] = {}
        atexit.register(self.close)

    def directory(self, *parts: str) -> Path:
        """A directory of the state tree (created), such as ``directory("mysql", cluster_id)``."""
        path = self.root.joinpath(*parts)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def start(self, name: str, argv: list[str], **popen: object) -> subprocess.Popen:
        """Start a child process known as ``name`` in its own process group (stopped as a whole)."""
        self.stop(name)
        process = subprocess.Popen(argv, start_new_session=True, **popen)  # type: ignore[call-overload]
        with self._lock:
            self._processes[name] = process
        return process

    def on_stop(self, name: str, cleanup: Callable[[], None]) -> None:
        """Run ``cleanup`` when ``name`` is stopped (a listener thread to close, files to remove)."""
        with self._lock:
            self._cleanups[name] = cleanup

    def process(self, name: str) -> subprocess.Popen | None:
        with self._lock:
            return self._processes.get(name)

    def names(self) -> list[str]:
        with self._lock:
            return sorted(set(self._processes) | set(self._cleanups))

    def stop(self, name: str, timeout: float = 10) -> None:
        with self._lock:
            process = self._processes.pop(name, None)
            cleanup = self._cleanups.pop(name, None)
        if process is not None and process.poll() is None:
            _signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(timeout)
        if cleanup is not None:
            cleanup()

    def stop_all(self) -> None:
        for name in self.names():
            self.stop(name)

    def close(self) -> None:
        """Stop everything; remove the state directory if it was a temporary one of ours."""
        self.stop_all()
        if self._owned:
            shutil.rmtree(self.root, ignore_errors=True)


def _signal_group(process: subprocess.Popen, number: int) -> None:
    try:
        os.killpg(process.pid, number)
    except (ProcessLookupError, PermissionError):
        pass


# The emulator's one supervisor, made on first use.
_current: Supervisor | None = None
_current_lock = threading.Lock()


def supervisor() -> Supervisor:
    global _current
    with _current_lock:
        if _current is None:
            _current = Supervisor()
        return _current
