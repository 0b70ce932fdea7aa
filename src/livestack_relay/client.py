"""The connection to the stage's relay: SigV4 on $connect, keep-alives, reconnects, invocations.

Invocations run concurrently, each in a warm execution environment of the handler (a worker
process, see ``workers``), up to the pool's concurrency; unpacking, the call and packing take one
thread hop off the event loop. Results go through an outbox that survives reconnects.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import random
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TextIO
from urllib.parse import urlencode

import boto3
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from . import protocol
from .runner import Outcome, error_shape

CLOCK_SKEW = 2.0  # seconds of tolerated difference between this machine's clock and the stub's


class Invoker(Protocol):
    """What runs the handler: a ``workers.WorkerPool``, or a ``runner.HandlerRunner`` in --debug."""

    def invoke(self, request_id: str, payload: Any, deadline_ms: int | None) -> Outcome: ...


class Fatal(Exception):
    """An error that retrying will not fix (refused credentials, replaced by a newer client)."""


@dataclass
class Options:
    url: str
    stage: str
    developer: str
    region: str
    keepalive: float = 60.0
    pong_timeout: float = 20.0
    max_backoff: float = 30.0
    profile: str | None = None
    verbose: bool = False


def describe(event: Any) -> str:
    """What an invocation is, as a log line names it: an HTTP request's method and path, or the event source."""
    if isinstance(event, dict):
        http = (event.get("requestContext") or {}).get("http")
        if isinstance(http, dict):
            return f"{http.get('method')} {event.get('rawPath') or http.get('path')}"
        if "httpMethod" in event:
            return f"{event['httpMethod']} {event.get('path')}"
        records = event.get("Records")
        if isinstance(records, list) and records and isinstance(records[0], dict):
            source = records[0].get("eventSource") or records[0].get("EventSource") or "records"
            return f"{source} ({len(records)} record{'' if len(records) == 1 else 's'})"
        if "detail-type" in event:
            return f"{event.get('source')} {event['detail-type']}"
    return "event"


def status(outcome: Outcome) -> str:
    if outcome.abandoned:
        return f"timed out ({outcome.abandoned}): the caller has given up, the environment is recycled"
    if not outcome.ok:
        return f"error {outcome.value.get('errorType')}: {outcome.value.get('errorMessage')}"
    if isinstance(outcome.value, dict) and "statusCode" in outcome.value:
        return str(outcome.value["statusCode"])
    return "ok"


def permanent_refusal(status_code: int, body: str, url: str) -> str | None:
    """Why the relay refused to connect, when retrying cannot help; None for a refusal worth retrying."""
    if status_code in (400, 404):
        return f"the relay refused the connection ({status_code}): {body or 'bad request'}"
    if status_code in (401, 403):
        if body.strip() in ("Forbidden", '{"message":"Forbidden"}'):
            return (
                f"the relay answered {status_code} Forbidden: there is no WebSocket API or stage at {url} "
                "(check the API id and the stage at the end of the URL)"
            )
        return (
            f"the relay refused these credentials ({status_code} {body}): they need execute-api:Invoke "
            f"on the $connect route of {url}"
        )
    return None


class Backoff:
    def __init__(self, maximum: float) -> None:
        self.maximum = maximum
        self.attempt = 0

    def next(self) -> float:
        delay = min(self.maximum, 0.5 * 2**self.attempt)
        self.attempt += 1
        return delay * random.uniform(0.5, 1.0)

    def reset(self) -> None:
        self.attempt = 0


class RoleCredentials:
    """The function role's temporary credentials (STS AssumeRole), kept in memory only, renewed before they expire."""

    RENEW_BEFORE = 300.0

    def __init__(self, session: boto3.session.Session, role_arn: str, developer: str) -> None:
        self.session, self.role_arn, self.name = session, role_arn, f"livestack-relay-{developer}"[:64]
        self._lock = threading.Lock()
        self._variables: dict[str, str] = {}
        self._expires = 0.0

    def variables(self) -> dict[str, str]:
        """AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN of the role; Fatal when it cannot be assumed."""
        with self._lock:
            if time.time() > self._expires - self.RENEW_BEFORE:
                try:
                    answer = self.session.client("sts").assume_role(RoleArn=self.role_arn, RoleSessionName=self.name)
                except Exception as error:  # noqa: BLE001 - ClientError, no credentials: the cause, in one line
                    raise Fatal(
                        f"cannot assume the function's role {self.role_arn} ({error}): converge the stage with "
                        "dev_relay_developer_assumes_app_role: true, or run without --as-function-role"
                    ) from None
                credentials = answer["Credentials"]
                self._expires = credentials["Expiration"].timestamp()
                self._variables = {
                    "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
                    "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
                    "AWS_SESSION_TOKEN": credentials["SessionToken"],
                }
            return dict(self._variables)


class RelayClient:
    def __init__(
        self,
        options: Options,
        runner: Invoker,
        out: TextIO = sys.stdout,
        concurrency: int = 1,
        session: boto3.session.Session | None = None,
        role: RoleCredentials | None = None,
    ) -> None:
        self.role = role
        self.options = options
        self.runner = runner
        self.out = out
        self.session = session or boto3.session.Session(profile_name=options.profile, region_name=options.region)
        self.outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.backoff = Backoff(options.max_backoff)
        self._worker = concurrent.futures.ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="handler")
        self._s3: Any = None
        self._s3_lock = threading.Lock()
        self._pong = asyncio.Event()
        self.connected = asyncio.Event()
        self.on_connect: Callable[[], None] | None = None
        self._warned: set[str] = set()

    def s3(self) -> Any:
        """The S3 client, made on first use (only large payloads need it; a boto3 session is not thread-safe)."""
        with self._s3_lock:
            if self._s3 is None:
                self._s3 = self.session.client("s3")
            return self._s3

    def say(self, text: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {text}", file=self.out, flush=True)

    @property
    def connect_url(self) -> str:
        query = urlencode({"role": "client", "stage": self.options.stage, "developer": self.options.developer})
        return f"{self.options.url}?{query}"

    async def run(self) -> None:
        """Connect, serve, reconnect with backoff after any drop; returns only through Fatal or cancellation."""
        while True:
            try:
                await self._session()
                self.say("the relay closed the connection; reconnecting")
            except Fatal:
                raise
            except InvalidStatus as error:
                code = error.response.status_code
                body = error.response.body.decode("utf-8", "replace")[:300] if error.response.body else ""
                refusal = permanent_refusal(code, body, self.options.url)
                if refusal:
                    raise Fatal(refusal) from None
                self.say(f"relay refused the connection ({code} {body}); retrying")
            except socket.gaierror as error:
                if error.errno == socket.EAI_NONAME:
                    raise Fatal(
                        f"no such host in {self.options.url} ({error.strerror}): is the API id right?"
                    ) from None
                self.say(f"cannot resolve the relay's host ({error.strerror}); retrying")
            except (OSError, InvalidHandshake, ConnectionClosed, TimeoutError) as error:
                self.say(f"relay connection lost ({type(error).__name__}: {error}); reconnecting")
            self.connected.clear()
            await asyncio.sleep(self.backoff.next())

    async def _session(self) -> None:
        url = self.connect_url
        headers = protocol.signed_headers(url, self.options.region, self.session.get_credentials())
        async with connect(url, additional_headers=headers, max_size=None, ping_interval=None, open_timeout=10) as ws:
            self.backoff.reset()
            self.say(f"connected to {self.options.url} as {self.options.developer} (stage {self.options.stage})")
            self.connected.set()
            if self.on_connect:
                self.on_connect()
            tasks = [
                asyncio.create_task(self._receive(ws)),
                asyncio.create_task(self._send(ws)),
                asyncio.create_task(self._keepalive(ws)),
            ]
            try:
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _keepalive(self, ws: ClientConnection) -> None:
        """Resets API Gateway's 10 minute idle timer and detects a dead connection."""
        while True:
            await asyncio.sleep(self.options.keepalive)
            self._pong.clear()
            await ws.send(json.dumps({"action": "ping", "id": int(time.time())}))
            try:
                await asyncio.wait_for(self._pong.wait(), self.options.pong_timeout)
            except TimeoutError:
                await ws.close(1001, "no pong")
                raise ConnectionError(f"no answer to a keep-alive within {self.options.pong_timeout} s") from None

    async def _send(self, ws: ClientConnection) -> None:
        while True:
            message = await self.outbox.get()
            try:
                await ws.send(protocol.frames(json.dumps(message, separators=(",", ":"))))
            except ConnectionClosed:
                self.outbox.put_nowait(message)  # sent again on the next connection
                raise

    async def _receive(self, ws: ClientConnection) -> None:
        async for raw in ws:
            try:
                message = json.loads(raw)
            except ValueError:
                continue
            kind = message.get("type")
            if kind == "invoke":
                asyncio.create_task(self._invoke(message))
            elif kind == "pong":
                self._pong.set()
            elif kind == "replaced":
                raise Fatal(f"a newer livestack-relay client ({message.get('by')}) took over; this one stops")
            elif kind == "error" and message.get("reason") == "stub-gone":
                self.say(f"{message.get('requestId')} not delivered: the caller has gone (timed out or disconnected)")
            elif kind == "error":
                self.say(f"relay error: {message.get('message') or message.get('reason')}")
            elif message.get("message") in ("Forbidden", "Internal server error"):
                self.say(f"relay answered: {message['message']}")

    async def _invoke(self, message: dict[str, Any]) -> None:
        request_id, stub = str(message.get("requestId")), message.get("stub")
        late = time.time() - int(message.get("sentAt") or time.time() * 1000) / 1000
        if late > protocol.CLIENT_ACK_TIMEOUT + CLOCK_SKEW:
            self.say(
                f"{request_id} dropped: it arrived {late:.1f} s late, the caller has given up (was this client frozen?)"
            )
            return
        call = asyncio.get_running_loop().run_in_executor(self._worker, self._run, request_id, message)
        done, _ = await asyncio.wait({call}, timeout=protocol.RECEIVED_AFTER)
        if not done:  # the stub waits past its acknowledgement timeout for a handler that is running
            self.outbox.put_nowait({"action": "received", "requestId": request_id, "stub": stub})
        outcome, event, reference = await call
        start = "cold" if outcome.cold else "warm"
        self.say(f"{request_id} {describe(event)} {status(outcome)} {outcome.milliseconds:.0f} ms {start}")
        if outcome.traceback:
            self.out.write(outcome.traceback)
            self.out.flush()
        if self.options.verbose:
            self.say(f"{request_id} event: {json.dumps(event, default=str)}")
            self.say(f"{request_id} {'response' if outcome.ok else 'error'}: {json.dumps(outcome.value, default=str)}")
        if not outcome.abandoned:
            result = {"action": "result", "requestId": request_id, "stub": stub, "ok": outcome.ok}
            self.outbox.put_nowait({**result, "payload": reference})

    def _warn_runtime(self, environment: dict[str, Any]) -> None:
        """Once: the function's runtime (AWS_EXECUTION_ENV) is not this interpreter's version."""
        runtime = str(environment.get("AWS_EXECUTION_ENV") or "").removeprefix("AWS_Lambda_")
        local = f"python{sys.version_info.major}.{sys.version_info.minor}"
        if runtime.startswith("python") and runtime != local and runtime not in self._warned:
            self._warned.add(runtime)
            self.say(f"warning: the function runs on {runtime}, this handler on {local} ({sys.executable})")

    def _run(self, request_id: str, message: dict[str, Any]) -> tuple[Outcome, Any, dict[str, Any]]:
        """Unpack, run, pack (in a handler thread): the outcome, the event and the result's reference."""
        event = None
        try:
            payload = protocol.unpack(message.get("payload") or {}, self.s3)
            if self.role:  # over the worker's pipe, never written anywhere
                payload["credentials"] = self.role.variables()
        except Exception as error:  # noqa: BLE001 - reported to the stub as the invocation's error
            outcome = Outcome(False, error_shape(error), 0)
            outcome.value["errorMessage"] = (
                f"the client could not prepare the invocation: {type(error).__name__}: {error}"
            )
        else:
            event = payload.get("event")
            self._warn_runtime(payload.get("environment") or {})
            outcome = self.runner.invoke(request_id, payload, message.get("deadlineMs"))
        try:
            return (
                outcome,
                event,
                protocol.pack(outcome.value, self.s3, message.get("bucket"), f"responses/{request_id}"),
            )
        except Exception as error:  # noqa: BLE001 - S3 refused, too large, not JSON: the caller hears it at once
            cause = f"{type(error).__name__}: {error}"
            if "AccessDenied" in cause:
                cause += f" (your credentials need s3:PutObject on {message.get('bucket')}/responses/*)"
            outcome.traceback += f"the result could not be handed back: {cause}\n"
            undeliverable = {
                "errorType": "LocalResultUndeliverable",
                "errorMessage": f"the local handler's result could not be handed back to the function: {cause}",
            }
            return (
                Outcome(False, undeliverable, outcome.milliseconds, outcome.cold, outcome.traceback),
                event,
                {"inline": protocol.encode(undeliverable)[0]},
            )
