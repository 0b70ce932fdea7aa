"""``livestack-relay``: run a handler locally for the stage's stub Lambda.

    livestack-relay app.handler:main --url wss://abc.execute-api.eu-west-1.amazonaws.com/dev \
        --stage dev --developer alice

Prints one line per invocation (request id, status, milliseconds); Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path

from .client import Fatal, Options, RelayClient
from .runner import HandlerImportError, HandlerRunner
from .workers import WorkerPool


def parser() -> argparse.ArgumentParser:
    environ = os.environ
    parse = argparse.ArgumentParser(prog="livestack-relay", description=__doc__.splitlines()[0])
    parse.add_argument("handler", help="the handler to run, module:function (e.g. app.handler:main)")
    parse.add_argument("--url", default=environ.get("LIVESTACK_RELAY_URL"), help="the relay's WebSocket URL")
    parse.add_argument("--stage", default=environ.get("LIVESTACK_STAGE"), help="the livestack stage")
    parse.add_argument(
        "--developer", default=environ.get("LIVESTACK_RELAY_DEVELOPER") or getpass.getuser(), help="default: you"
    )
    parse.add_argument(
        "--region", default=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    )
    parse.add_argument("--profile", default=None, help="AWS profile (default: the usual credential chain)")
    parse.add_argument("--path", type=Path, default=Path.cwd(), help="directory the handler's modules live in")
    parse.add_argument("--keepalive", type=float, default=60.0, help="seconds between keep-alives")
    parse.add_argument(
        "--concurrency",
        type=int,
        default=10,
        help="invocations run at once, each in a process of its own kept warm (default 10)",
    )
    return parse


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not args.url or not args.stage:
        print("livestack-relay: --url and --stage are required (or LIVESTACK_RELAY_URL, LIVESTACK_STAGE)")
        return 2
    if args.concurrency < 1:
        print("livestack-relay: --concurrency must be at least 1", file=sys.stderr)
        return 2
    try:
        HandlerRunner(args.handler, args.path)  # the form of the handler path, checked before any process starts
        pool = WorkerPool(args.handler, args.path, args.concurrency)
        pool.start()  # the first environment, warm: refuses a handler that does not import
    except HandlerImportError as error:
        print(f"livestack-relay: {error}", file=sys.stderr)
        return 2
    options = Options(
        args.url.rstrip("/"), args.stage, args.developer, args.region, args.keepalive, profile=args.profile
    )
    client = RelayClient(options, pool, concurrency=args.concurrency)
    try:
        asyncio.run(client.run())
    except Fatal as error:
        print(f"livestack-relay: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("livestack-relay: stopped", file=sys.stderr)
        return 0
    finally:
        pool.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
