"""The data plane's supervisor: children in their own process groups, all stopped, the state directory kept tidy."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from livestack_emulator import dataplane


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie child still answers signal 0: it is gone once reaped.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


def _group(pgid: int) -> list[int]:
    return [
        int(pid) for pid in subprocess.run(["pgrep", "-g", str(pgid)], capture_output=True, text=True).stdout.split()
    ]


def test_stop_all_ends_every_child_and_its_own_children(tmp_path):
    supervisor = dataplane.Supervisor(tmp_path / "state")
    # A child that starts a grandchild: stopping the child's process group must end both.
    sleeper = "import time; time.sleep(60)"
    script = f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {sleeper!r}]); time.sleep(60)"
    first = supervisor.start("one", [sys.executable, "-c", script])
    second = supervisor.start("two", [sys.executable, "-c", "import time; time.sleep(60)"])
    cleaned = []
    supervisor.on_stop("two", lambda: cleaned.append("two"))
    deadline = time.monotonic() + 10
    while len(group := _group(first.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    grandchildren = [pid for pid in group if pid != first.pid]
    assert grandchildren, "the child did not start its own child"
    assert supervisor.names() == ["one", "two"]

    supervisor.stop_all()

    assert first.poll() is not None and second.poll() is not None
    assert not any(_alive(pid) for pid in grandchildren)
    assert cleaned == ["two"] and supervisor.names() == []


def test_a_name_started_again_replaces_the_running_process(tmp_path):
    supervisor = dataplane.Supervisor(tmp_path)
    old = supervisor.start("server", [sys.executable, "-c", "import time; time.sleep(60)"])
    new = supervisor.start("server", [sys.executable, "-c", "import time; time.sleep(60)"])
    assert old.poll() is not None and new.poll() is None
    supervisor.close()
    assert new.poll() is not None


def test_a_temporary_state_directory_is_removed_on_close(monkeypatch):
    monkeypatch.delenv("LIVESTACK_EMULATOR_STATE", raising=False)
    supervisor = dataplane.Supervisor()
    (supervisor.directory("mysql", "cluster-1") / "data").write_text("x")
    supervisor.close()
    assert not supervisor.root.exists()


def test_a_configured_state_directory_is_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("LIVESTACK_EMULATOR_STATE", str(tmp_path / "kept"))
    supervisor = dataplane.Supervisor()
    supervisor.directory("openvpn")
    supervisor.close()
    assert (tmp_path / "kept" / "openvpn").is_dir()


def test_a_missing_binary_names_the_command_that_installs_it(monkeypatch):
    monkeypatch.setattr(dataplane, "SBIN", ())
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(dataplane.Unavailable, match=r"apt-get install -y openvpn"):
        dataplane.binary("openvpn")
