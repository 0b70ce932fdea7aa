"""The stage lock's test of an abandoned lock: its holder ran on this host and its process is gone."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from ansible_collections.livestack.aws.plugins.modules import stage_lock


def abandoned(**held: str) -> bool:
    lock = object.__new__(stage_lock.StageLock)  # no AWS client needed for this rule
    return lock.abandoned(held)


def test_a_live_holder_on_this_host_keeps_its_lock():
    me = str(os.getpid())
    assert not abandoned(host=socket.gethostname(), pid=me, pid_start=stage_lock._process_start(os.getpid()))


def test_a_dead_or_reused_holder_on_this_host_has_abandoned_it():
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = finished.stdout.strip()
    assert abandoned(host=socket.gethostname(), pid=dead, pid_start="12345")
    # The pid now belongs to another process (another start time): the holder is gone all the same.
    assert abandoned(host=socket.gethostname(), pid=str(os.getpid()), pid_start="0")


def test_a_holder_on_another_host_is_never_judged_from_here():
    assert not abandoned(host="another-host", pid="999999999", pid_start="1")
    assert not abandoned(host=socket.gethostname(), pid="not-a-pid", pid_start="1")


def test_the_holder_is_the_topmost_ansible_playbook_process_or_the_parent():
    # Under pytest no ancestor is ansible-playbook: the parent answers, with its start time.
    pid, start = stage_lock._playbook_process()
    assert pid == os.getppid() and start == stage_lock._process_start(os.getppid()) != ""
