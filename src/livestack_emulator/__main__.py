"""``python -m livestack_emulator``: the emulator in the foreground, or around a command.

python -m livestack_emulator --port 5000          serve until Ctrl-C
python -m livestack_emulator --port 0 -- CMD ...  serve on a free port, run CMD with
                                                  EMULATOR_PORT set, stop when CMD ends
python -m livestack_emulator --lenient ...        moto's leniency instead of AWS's behaviours (strict.py)
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from . import strict, timing
from .extensions.patching import PatchOutdated
from .server import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="livestack-emulator", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s)")
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("EMULATOR_PORT", "5000")), help="0 picks a free port"
    )
    parser.add_argument("--port-file", type=Path, help="write the port listened on to this file")
    parser.add_argument("--quiet", action="store_true", help="no line per request (the default around a command)")
    parser.add_argument(
        "--timing",
        default=os.environ.get("LIVESTACK_EMULATOR_TIMING"),
        help="'realistic' (or a JSON of AWS minutes per kind and 'scale'): resources stay transitional a while",
    )
    parser.add_argument(
        "--lenient",
        action="store_true",
        help=f"turn strict mode off (as {strict.ENVIRONMENT}=off): no AWS refusals or waits that moto lacks",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD ...: run CMD against the emulator")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command

    strict.configure("off" if args.lenient else os.environ.get(strict.ENVIRONMENT))
    timing.configure(args.timing)
    if args.quiet or command:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    listening = threading.Event()
    bound: list[int] = []

    def ready(port: int) -> None:
        bound.append(port)
        if args.port_file:
            args.port_file.write_text(str(port))
        print(f"livestack emulator listening on http://{args.host}:{port}", file=sys.stderr, flush=True)
        listening.set()

    if not command:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            serve(args.host, args.port, ready)
        except KeyboardInterrupt:
            pass
        except PatchOutdated as error:
            print(f"livestack emulator did not start: {error}", file=sys.stderr)
            return 2
        return 0

    outdated: list[PatchOutdated] = []

    def serving() -> None:
        try:
            serve(args.host, args.port, ready)
        except PatchOutdated as error:
            outdated.append(error)
            listening.set()

    threading.Thread(target=serving, daemon=True).start()
    if not listening.wait(60) or outdated:
        print(f"livestack emulator did not start{''.join(f': {error}' for error in outdated)}", file=sys.stderr)
        return 2 if outdated else 1
    env = dict(os.environ, EMULATOR_PORT=str(bound[0]))
    with subprocess.Popen(command, env=env) as process:
        try:
            return process.wait()
        except KeyboardInterrupt:
            process.send_signal(signal.SIGINT)
            return process.wait()


if __name__ == "__main__":
    sys.exit(main())
