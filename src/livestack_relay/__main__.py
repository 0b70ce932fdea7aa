"""``livestack-relay``: run a handler locally for the stage's stub Lambda.

    livestack-relay --stage dev app.handler:main     # reads ~/.livestack/livestack-dev/relay.json
    livestack-relay app.handler:main --url wss://abc.execute-api.eu-west-1.amazonaws.com/dev --stage dev

Prints one line per invocation (time, request id, method and path or event source, status,
milliseconds, cold or warm), the handler's output prefixed with the request id, and a failing
handler's traceback in full; Ctrl-C (or SIGTERM, as from a process supervisor) stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError

from . import protocol
from .client import Fatal, Options, RelayClient, RoleCredentials
from .runner import HandlerImportError, HandlerRunner
from .workers import WorkerPool

_URL_REGION = re.compile(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com")
EMULATOR_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}  # it takes any


def parser() -> argparse.ArgumentParser:
    environ = os.environ
    parse = argparse.ArgumentParser(prog="livestack-relay", description=__doc__.splitlines()[0])
    parse.add_argument("handler", help="the handler to run, module:function (e.g. app.handler:main)")
    parse.add_argument("--stage", default=environ.get("LIVESTACK_STAGE"), help="the livestack stage")
    parse.add_argument("--project", default=environ.get("LIVESTACK_PROJECT", "livestack"), help="default: livestack")
    parse.add_argument(
        "--outputs",
        type=Path,
        default=None,
        help="the stage's relay outputs (default: ~/.livestack/<project>-<stage>/relay.json, written by the role)",
    )
    parse.add_argument("--url", default=environ.get("LIVESTACK_RELAY_URL"), help="the relay's WebSocket URL")
    parse.add_argument("--developer", default=environ.get("LIVESTACK_RELAY_DEVELOPER"), help="default: you")
    parse.add_argument("--region", default=None, help="the relay's region (default: the outputs', the URL's)")
    parse.add_argument("--profile", default=None, help="AWS profile (default: the usual credential chain)")
    parse.add_argument("--path", type=Path, default=Path.cwd(), help="directory the handler's modules live in")
    parse.add_argument("--keepalive", type=float, default=60.0, help="seconds between keep-alives")
    parse.add_argument(
        "--concurrency",
        type=int,
        default=10,
        help="invocations run at once, each in a process of its own kept warm (default 10)",
    )
    parse.add_argument(
        "--as-function-role",
        action="store_true",
        help="run the handler with the function role's temporary credentials (STS AssumeRole; the stage needs "
        "dev_relay_developer_assumes_app_role: true) instead of your own",
    )
    parse.add_argument("--role-arn", default=None, help="the function's role (default: relay.json's)")
    parse.add_argument("--verbose", action="store_true", help="also print each invocation's event and response")
    parse.add_argument(
        "--debug",
        action="store_true",
        help="run invocations one at a time in this process, for pdb, breakpoint() and IDE debuggers; "
        "a paused call runs up to the function's own timeout",
    )
    return parse


def stage_outputs(args: argparse.Namespace) -> dict[str, Any]:
    """The relay outputs the dev_relay role wrote for the stage, or {} when there are none."""
    path = args.outputs or Path.home() / ".livestack" / f"{args.project}-{args.stage}" / "relay.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        if args.outputs:
            raise Fatal(f"--outputs {path}: no such file") from None
        return {}
    except (OSError, ValueError) as error:
        raise Fatal(f"cannot read the stage's outputs {path}: {error}") from None


def settings(args: argparse.Namespace) -> tuple[Options, boto3.session.Session, RoleCredentials | None]:
    """The connection's options from the arguments and the stage's outputs; Fatal names what is wrong."""
    if not args.stage:
        raise Fatal("--stage is required (or LIVESTACK_STAGE)")
    outputs = stage_outputs(args)
    url = (args.url or outputs.get("websocket_url") or "").rstrip("/")
    if not url:
        raise Fatal(f"no relay URL: converge stage {args.stage} (dev_relay), or give --url")
    if not url.startswith(("wss://", "ws://")):
        raise Fatal(f"--url {url}: a WebSocket URL starts with wss:// (or ws:// for the local emulator)")
    developer = args.developer or outputs.get("developer") or getpass.getuser()
    if not protocol.DEVELOPER_NAME.match(developer):
        raise Fatal(f"--developer {developer!r} must be {protocol.DEVELOPER_RULE}")
    found = _URL_REGION.search(url)
    region = args.region or outputs.get("region") or (found and found.group(1)) or os.environ.get("AWS_REGION")
    if outputs.get("endpoint_url"):  # the local emulator: the handler's and the client's AWS calls go there
        os.environ.setdefault("AWS_ENDPOINT_URL", outputs["endpoint_url"])
    # What the deployed function has from its package, as this machine has it (the database's CA bundle): the
    # handler's environments inherit it; the function's own variables, set for each call, still win.
    for name, value in (outputs.get("handler_environment") or {}).items():
        os.environ.setdefault(name, str(value))
    try:
        session = boto3.session.Session(profile_name=args.profile, region_name=region or "us-east-1")
        if session.get_credentials() is None and outputs.get("endpoint_url"):
            os.environ.update(EMULATOR_CREDENTIALS)
            session = boto3.session.Session(profile_name=args.profile, region_name=region or "us-east-1")
        if session.get_credentials() is None:
            raise Fatal("no AWS credentials found: set AWS_PROFILE (or --profile), or sign in (aws sso login)")
    except BotoCoreError as error:  # an unknown profile, a broken config file
        raise Fatal(str(error)) from None
    options = Options(
        url, args.stage, developer, session.region_name, args.keepalive, profile=args.profile, verbose=args.verbose
    )
    role = None
    if args.as_function_role:
        role_arn = args.role_arn or outputs.get("app_role_arn")
        if not role_arn:
            raise Fatal("--as-function-role: the stage's relay.json names no role (give --role-arn)")
        role = RoleCredentials(session, role_arn, developer)
        role.variables()  # assumed once now: a role that does not trust the developer stops the client here
    return options, session, role


def credentials_line(
    session: boto3.session.Session, options: Options, handler: str, debug: bool, role: RoleCredentials | None
) -> str:
    source = f"profile {options.profile}" if options.profile else session.get_credentials().method
    mode = "debug: one invocation at a time, in this process" if debug else "each invocation in a warm process"
    whose = (
        f"the function role's temporary credentials ({role.role_arn})"
        if role
        else f"your own AWS credentials ({source}), not the function role's"
    )
    return f"livestack-relay {handler} for stage {options.stage}, developer {options.developer} ({mode}): " + (
        f"invocations run with {whose}"
    )


async def run_until_stopped(client: RelayClient) -> None:
    """The client's run, which SIGTERM cancels as Ctrl-C does (asyncio.run handles SIGINT itself)."""
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
    await client.run()


def main(argv: list[str] | None = None) -> int:
    # Ctrl-C (SIGINT) stops the client even when its parent ignored SIGINT (a script's background job, a CI
    # runner, a test harness): Python keeps an inherited SIG_IGN, and asyncio.run then installs no Ctrl-C handler.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    args = parser().parse_args(argv)
    if args.concurrency < 1:
        print("livestack-relay: --concurrency must be at least 1", file=sys.stderr)
        return 2
    try:
        options, session, role = settings(args)
    except Fatal as error:
        print(f"livestack-relay: {error}", file=sys.stderr)
        return 2
    pool = None
    try:
        runner = HandlerRunner(args.handler, args.path)  # the form of the handler path, checked before any process
        if args.debug:
            runner.load()
        else:
            pool = WorkerPool(args.handler, args.path, args.concurrency)
            pool.start()  # the first environment, warm: refuses a handler that does not import
    except HandlerImportError as error:
        print(f"livestack-relay: {error}", file=sys.stderr)
        return 2
    print(credentials_line(session, options, args.handler, args.debug, role), flush=True)
    invoker = runner if args.debug else pool
    concurrency = 1 if args.debug else args.concurrency
    client = RelayClient(options, invoker, concurrency=concurrency, session=session, role=role)
    try:
        asyncio.run(run_until_stopped(client))
    except Fatal as error:
        print(f"livestack-relay: {error}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("livestack-relay: stopped", file=sys.stderr)
        return 0
    finally:
        if pool:
            pool.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
