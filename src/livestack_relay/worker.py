"""One execution environment of the handler (started by ``workers.WorkerPool``, not by hand).

    python -m livestack_relay.worker MODULE:FUNCTION ROOT REQUEST_FD RESULT_FD

Imports the handler, says whether that worked, then runs one invocation per request read from
REQUEST_FD and writes each outcome to RESULT_FD, until the client closes the pipe or goes away.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

from .runner import HandlerImportError, HandlerRunner


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
        results.send(runner.invoke(request_id, payload, deadline_ms))


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (KeyboardInterrupt, BrokenPipeError):
        sys.exit(0)  # Ctrl-C reaches the whole terminal's process group; the client reports it
