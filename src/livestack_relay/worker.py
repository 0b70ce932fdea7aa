"""One execution environment of the handler (started by ``workers.WorkerPool``, not by hand).

    python -m livestack_relay.worker MODULE:FUNCTION ROOT REQUEST_FD RESULT_FD

Imports the handler, says whether that worked, then runs one invocation per request read from
REQUEST_FD and writes each outcome to RESULT_FD, until the client closes the pipe or goes away.
The handler's output is line buffered and each line prefixed with the invocation's request id,
so that concurrent invocations' prints stay apart and show at once even when not on a terminal.
"""

from __future__ import annotations

import io
import os
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TextIO

from .runner import HandlerImportError, HandlerRunner


class PrefixedLines(io.TextIOBase):
    """A text stream that starts each line with ``prefix`` and writes each whole line at once."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.prefix = ""
        self._pending = ""

    def write(self, text: str) -> int:
        lines = (self._pending + text).split("\n")
        self._pending = lines.pop()
        if lines:
            self.stream.write("".join(f"{self.prefix}{line}\n" for line in lines))
            self.stream.flush()
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self.stream.write(f"{self.prefix}{self._pending}")
            self._pending = ""
        self.stream.flush()

    def fileno(self) -> int:
        return self.stream.fileno()

    def isatty(self) -> bool:
        return self.stream.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.stream.encoding


def _exit_with_parent(parent: int) -> None:
    """A client killed outright cannot close the pipe: the worker notices its parent has gone."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def main(argv: list[str]) -> int:
    spec, root, request_fd, result_fd = argv
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    requests = Connection(int(request_fd), writable=False)
    results = Connection(int(result_fd), readable=False)
    streams = sys.stdout, sys.stderr = PrefixedLines(sys.stdout), PrefixedLines(sys.stderr)
    runner = HandlerRunner(spec, Path(root))
    try:
        runner.load()
        results.send(("ready", None))
    except HandlerImportError as error:
        results.send(("import-error", str(error)))
    while True:
        try:
            request_id, payload, deadline_ms = requests.recv()
        except EOFError:
            return 0
        for stream in streams:
            stream.prefix = f"{request_id[:8]} | "
        outcome = runner.invoke(request_id, payload, deadline_ms)
        for stream in streams:
            stream.flush()
        results.send(outcome)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (KeyboardInterrupt, BrokenPipeError):
        sys.exit(0)  # Ctrl-C reaches the whole terminal's process group; the client reports it
