"""The handler's execution environments: one process each, one invocation at a time, kept warm.

Concurrent invocations must not wait behind one slow handler, and must not share the handler's
module state either: a handler written for Lambda keeps a database connection or a client in a
global, which Lambda never shares between concurrent calls, since each runs in an environment of
its own. Threads in one interpreter would share them; so each environment is a worker process
(``python -m livestack_relay.worker``), started when every warm one is busy (up to
``concurrency``), kept for the next invocation, and fed over a pipe. Workers inherit the
terminal, so a handler's prints and a ``breakpoint()`` work as in the client itself, and each
picks up an edited file on its next invocation (``runner.HandlerRunner``). A handler still running
at the function's deadline has its process killed, as Lambda recycles a timed-out environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from .runner import HandlerImportError, Outcome, error_shape

TIMEOUT_GRACE = 0.5  # seconds past the function's deadline before its environment is recycled


class Worker:
    def __init__(self, spec: str, root: Path) -> None:
        request_read, request_write = os.pipe()
        result_read, result_write = os.pipe()
        command = [sys.executable, "-m", "livestack_relay.worker", spec, str(root)]
        command += [str(request_read), str(result_write)]
        try:
            self.process = subprocess.Popen(command, pass_fds=(request_read, result_write))
        finally:
            os.close(request_read)
            os.close(result_write)
        self._requests = Connection(request_write, readable=False)
        self._results = Connection(result_read, writable=False)

    def ready(self) -> str | None:
        """Waits for the worker to import the handler: None, or the import error."""
        kind, detail = self._results.recv()
        return detail if kind == "import-error" else None

    def call(self, request_id: str, payload: Any, deadline_ms: int | None, timeout: float | None) -> Outcome | None:
        """The outcome, or None when the handler runs past ``timeout`` seconds."""
        self._requests.send((request_id, payload, deadline_ms))
        if timeout is not None and not self._results.poll(timeout):
            return None
        return self._results.recv()

    def close(self) -> None:
        self._requests.close()
        self._results.close()
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class WorkerPool:
    def __init__(self, spec: str, root: Path, concurrency: int) -> None:
        self.spec, self.root = spec, root.resolve()
        self.concurrency = concurrency
        self._slots = threading.BoundedSemaphore(concurrency)
        self._lock = threading.Lock()
        self._idle: list[Worker] = []
        self._all: list[Worker] = []
        self.started = 0

    def _start(self) -> Worker:
        worker = Worker(self.spec, self.root)
        with self._lock:
            self._all.append(worker)
            self.started += 1
        return worker

    def start(self) -> None:
        """Starts the first environment; HandlerImportError when the handler does not import."""
        worker = self._start()
        error = worker.ready()
        if error:
            self.close()
            raise HandlerImportError(error)
        self._idle.append(worker)

    def invoke(self, request_id: str, payload: Any, deadline_ms: int | None) -> Outcome:
        """Runs one invocation in a warm environment, or a new one when all are busy (blocking)."""
        with self._slots:
            with self._lock:
                worker = self._idle.pop() if self._idle else None
            try:
                if worker is None:
                    worker = self._start()
                    worker.ready()  # an import error now is the invocation's, reported by the worker's runner
                started = time.perf_counter()
                outcome = worker.call(request_id, payload, deadline_ms, (deadline_ms or 30000) / 1000 + TIMEOUT_GRACE)
            except (EOFError, OSError) as error:
                if worker is not None:
                    self._discard(worker)
                died = RuntimeError(f"the handler's process ended during the invocation ({error or 'no answer'})")
                return Outcome(False, error_shape(died), 0)
            if outcome is None:  # as Lambda does: the caller has its timeout error, the environment is recycled
                self._discard(worker)
                seconds = (deadline_ms or 30000) / 1000
                timed_out = {
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": f"Task timed out after {seconds:.2f} seconds",
                }
                return Outcome(
                    False, timed_out, (time.perf_counter() - started) * 1000, abandoned="the function's timeout"
                )
            with self._lock:
                self._idle.append(worker)
            return outcome

    def _discard(self, worker: Worker) -> None:
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
        worker.close()

    def close(self) -> None:
        with self._lock:
            workers, self._all, self._idle = list(self._all), [], []
        for worker in workers:
            worker.close()
