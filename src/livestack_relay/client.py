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
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TextIO
from urllib.parse import urlencode

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from . import wire
from .runner import Outcome, error_shape


class Invoker(Protocol):
    """What runs the handler: a ``workers.WorkerPool`` (or, in tests, a ``runner.HandlerRunner``)."""

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


def signed_headers(url: str, region: str, credentials: Any) -> dict[str, str]:
    """SigV4 headers of the WebSocket upgrade request (API Gateway checks them when $connect uses AWS_IAM)."""
    request = AWSRequest(method="GET", url=url.replace("wss://", "https://", 1).replace("ws://", "http://", 1))
    SigV4Auth(credentials, "execute-api", region).add_auth(request)
    return {name: value for name, value in request.headers.items() if name.lower() != "host"}


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


class RelayClient:
    def __init__(self, options: Options, runner: Invoker, out: TextIO = sys.stdout, concurrency: int = 1) -> None:
        self.options = options
        self.runner = runner
        self.out = out
        self.session = boto3.session.Session(profile_name=options.profile, region_name=options.region)
        self.outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.backoff = Backoff(options.max_backoff)
        self._worker = concurrent.futures.ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="handler")
        self._s3: Any = None
        self._s3_lock = threading.Lock()
        self._pong = asyncio.Event()
        self.connected = asyncio.Event()
        self.on_connect: Callable[[], None] | None = None

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
                status = error.response.status_code
                body = error.response.body.decode("utf-8", "replace")[:300] if error.response.body else ""
                if status in (401, 403):
                    raise Fatal(
                        f"the relay refused these credentials ({status} {body}): they need execute-api:Invoke "
                        f"on the $connect route of {self.options.url}"
                    ) from None
                self.say(f"relay refused the connection ({status} {body}); retrying")
            except (OSError, InvalidHandshake, ConnectionClosed, TimeoutError) as error:
                self.say(f"relay connection lost ({type(error).__name__}: {error}); reconnecting")
            self.connected.clear()
            await asyncio.sleep(self.backoff.next())

    async def _session(self) -> None:
        url = self.connect_url
        headers = signed_headers(url, self.options.region, self.session.get_credentials())
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
                await ws.send(wire.frames(json.dumps(message, separators=(",", ":"))))
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
            elif kind == "error":
                self.say(f"relay error: {message.get('message') or message.get('reason')}")
            elif message.get("message") in ("Forbidden", "Internal server error"):
                self.say(f"relay answered: {message['message']}")

    async def _invoke(self, message: dict[str, Any]) -> None:
        request_id = str(message.get("requestId"))
        loop = asyncio.get_running_loop()
        outcome, reference = await loop.run_in_executor(self._worker, self._run, request_id, message)
        status = "ok" if outcome.ok else f"error {outcome.value.get('errorType')}: {outcome.value.get('errorMessage')}"
        self.say(f"{request_id} {status} {outcome.milliseconds:.0f} ms")
        result = {"action": "result", "requestId": request_id, "stub": message.get("stub"), "ok": outcome.ok}
        self.outbox.put_nowait({**result, "payload": reference})

    def _run(self, request_id: str, message: dict[str, Any]) -> tuple[Outcome, dict[str, Any]]:
        """Unpack, run, pack (in a handler thread): the outcome and the result's reference."""
        try:
            payload = wire.unpack(message.get("payload") or {}, self.s3)
        except Exception as error:  # noqa: BLE001 - reported to the stub as the invocation's error
            outcome = Outcome(False, error_shape(error), 0)
        else:
            outcome = self.runner.invoke(request_id, payload, message.get("deadlineMs"))
        try:
            return outcome, wire.pack(outcome.value, self.s3, message.get("bucket"), f"responses/{request_id}")
        except (wire.PayloadTooLarge, TypeError, ValueError) as error:
            outcome = Outcome(False, error_shape(error), outcome.milliseconds)
            return outcome, {"inline": wire.encode(outcome.value)[0]}
