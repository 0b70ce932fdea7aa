"""Run the Lambda functions stored in moto as Lambda runs them, without Docker.

Every execution environment is a runtime process of its own, forked by the runtime process
(``lambda_bootstrap``, started through ``dataplane.supervisor()``, which stops the environments with
it, on reset and on exit, and each one on its own): the function's zip unpacked once per code hash, its
handler imported once, its environment variables as Lambda sets them (``AWS_REGION``,
``AWS_LAMBDA_FUNCTION_NAME``, ``AWS_LAMBDA_LOG_GROUP_NAME``, ...), the temporary credentials of
its execution role (moto's STS AssumeRole, session named after the function) and
``AWS_ENDPOINT_URL`` pointing at the emulator, so that boto3 inside reaches it.

As in Lambda, an environment serves one invocation at a time and is kept warm for the next;
concurrent invocations get environments of their own; an update of the function's code or
configuration retires its environments; idle ones are stopped after ``LIVESTACK_LAMBDA_IDLE_SECONDS``
(default 300). A function running over its timeout has its process killed and the caller gets
Lambda's timeout error. Only Python runtimes with zip packages run here.
"""

from __future__ import annotations

import base64
import concurrent.futures
import datetime
import hashlib
import io
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from . import dataplane

_FUNCTION_ARN = re.compile(r"(arn:aws[\w-]*:lambda:(?P<region>[^:]+):(?P<account>\d+):function:[^/:]+(?::[^/:]+)?)")
BOOTSTRAP = Path(__file__).with_name("lambda_bootstrap.py")
RESPONSE_LIMIT = 6 * 1024 * 1024
CREDENTIALS_SECONDS = 3600
LOG_TAIL = 4096
ZYGOTE = "lambda/runtime"
LOG = logging.getLogger(__name__)


class LambdaError(Exception):
    """The function does not exist or cannot run here."""


class Unsupported(LambdaError):
    """The function's runtime or package cannot run in the emulator."""


class FunctionError(LambdaError):
    """The function ran and failed: ``payload`` is Lambda's error (errorMessage, errorType, ...)."""

    def __init__(self, payload: bytes) -> None:
        super().__init__(payload.decode(errors="replace"))
        self.payload = payload


@dataclass
class Result:
    """What Invoke answers: the payload, ``Unhandled`` when the function failed, the invocation's log."""

    payload: bytes
    function_error: str | None
    log: str
    executed_version: str

    def value(self) -> Any:
        if self.function_error:
            raise FunctionError(self.payload)
        return json.loads(self.payload)

    def log_tail(self) -> str:
        """The last 4 KB of the invocation's log, base64, as Invoke's LogResult."""
        return base64.b64encode(self.log.encode()[-LOG_TAIL:]).decode()


def function_arn(integration_uri: str) -> str:
    """The function ARN of an AWS_PROXY integration URI (plain, or API Gateway's ``.../functions/ARN/invocations``)."""
    match = _FUNCTION_ARN.search(integration_uri or "")
    if not match:
        raise LambdaError(f"not a Lambda integration: {integration_uri}")
    return match.group(1)


def find_function(name_or_arn: str, region: str, account_id: str, qualifier: str | None = None) -> Any:
    """The function (or version) in moto's backend; ``LambdaError`` when there is none."""
    from moto.awslambda.models import lambda_backends

    match = _FUNCTION_ARN.match(name_or_arn)
    if match:
        region, account_id = match["region"], match["account"]
    try:
        return lambda_backends[account_id][region].get_function(name_or_arn, qualifier)
    except Exception as error:  # noqa: BLE001 - moto raises its own exception types
        raise LambdaError(f"Function not found: {name_or_arn}: {error}") from None


def _timestamp() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Environment:
    """One execution environment: a runtime process, its channel and its log stream."""

    def __init__(self, name: str, key: tuple[str, str], pid: int, channel: Connection, log_path: Path) -> None:
        self.name, self.key, self.pid, self.channel, self.log_path = name, key, pid, channel, log_path
        self.expires_at = time.monotonic() + CREDENTIALS_SECONDS - 300  # retired before its credentials expire
        self.last_used = time.monotonic()
        self.ready = False
        self.closed = False

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except FileNotFoundError:
            return 0

    def read_log(self, start: int) -> str:
        with self.log_path.open("rb") as log:
            log.seek(start)
            return log.read().decode(errors="replace")

    def write_log(self, text: str) -> None:
        with self.log_path.open("a") as log:
            log.write(text)

    def _receive(self, deadline: float) -> tuple[str, bytes] | None:
        try:
            if not self.channel.poll(max(deadline - time.monotonic(), 0)):
                return None
            return self.channel.recv()
        except (EOFError, OSError):
            return "exited", b""

    def call(self, request: dict[str, Any], deadline: float) -> tuple[str, bytes] | None:
        """(outcome, payload): ``ok``, ``error``, ``init-error`` or ``exited``; None when the deadline passed."""
        if not self.ready:
            message = self._receive(deadline)
            if message is None or message[0] != "ready":
                return message
            self.ready = True
        try:
            self.channel.send(request)
        except OSError:
            return "exited", b""
        return self._receive(deadline)

    def kill(self) -> None:
        """Kill the process and wait (a little) until it is gone: its end of the channel closes."""
        self.closed = True
        try:
            os.kill(self.pid, signal.SIGKILL)
            deadline = time.monotonic() + 2
            while self.channel.poll(max(deadline - time.monotonic(), 0)):
                self.channel.recv()
        except (ProcessLookupError, EOFError, OSError):
            pass
        self.channel.close()


class LambdaRunner:
    def __init__(self, endpoint_url: str, idle_seconds: float | None = None) -> None:
        self.endpoint_url = endpoint_url
        self.idle_seconds = idle_seconds or float(os.environ.get("LIVESTACK_LAMBDA_IDLE_SECONDS", "300"))
        self._lock = threading.RLock()
        self._idle: dict[tuple[str, str], list[Environment]] = {}
        self._unpacking = threading.Lock()
        self._forking = threading.Lock()
        self._control: socket.socket | None = None
        self._reaper: threading.Thread | None = None
        # Event invocations and callers that stop waiting (the HTTP API's 30 s) run here.
        self._background = concurrent.futures.ThreadPoolExecutor(max_workers=32, thread_name_prefix="lambda-invoke")

    def start(self) -> None:
        """Start the runtime process now, in the background, so that the first invocation finds it ready."""
        threading.Thread(target=self._zygote, name="lambda-runtime", daemon=True).start()

    # -- invocations -------------------------------------------------------------------------------
    def call(self, arn: str, event: Any, extra_environment: dict[str, str] | None = None) -> Any:
        """The handler's answer to ``event`` (JSON), or ``FunctionError``: for the gateways' integrations."""
        function = find_function(arn, "", "")  # the region and account are the ARN's
        payload = json.dumps(event).encode()
        return self.invoke(function, payload, invoked_arn=arn, extra_environment=extra_environment).value()

    def submit(self, function: Any, payload: bytes, **options: Any) -> concurrent.futures.Future[Result]:
        return self._background.submit(self.invoke, function, payload, **options)

    def invoke(self, function: Any, payload: bytes, *, invoked_arn: str | None = None,
               extra_environment: dict[str, str] | None = None, client_context: Any = None) -> Result:  # fmt: skip
        """Run one invocation in a warm environment of the function, or a new one."""
        variables = self._variables(function, extra_environment or {})
        configuration = [function.code_sha_256, function.timeout, function.role, variables]
        fingerprint = hashlib.sha256(json.dumps(configuration, sort_keys=True).encode())
        key = (function.function_arn, fingerprint.hexdigest())
        environment = self._take(key) or self._start(function, key, variables)
        request_id = str(uuid.uuid4())
        timeout = float(function.timeout or 3)
        started = time.monotonic()
        log_start = environment.log_size() if environment.ready else 0
        request = {
            "request_id": request_id,
            "payload": payload,
            "deadline_ms": int((time.time() + timeout) * 1000),
            "invoked_function_arn": invoked_arn or function.function_arn,
            "client_context": client_context,
        }
        outcome = environment.call(request, started + timeout)
        kind, body = outcome if outcome is not None else ("timeout", b"")
        if kind == "timeout":
            self._stop(environment)
            elapsed = time.monotonic() - started
            message = f"{_timestamp()} {request_id} Task timed out after {elapsed:.2f} seconds"
            environment.write_log(f"END RequestId: {request_id}\n{message}\n")
            body = json.dumps({"errorMessage": message}).encode()
        elif kind == "exited":
            self._stop(environment)
            message = f"RequestId: {request_id} Error: Runtime exited without providing a reason"
            environment.write_log(message + "\n")
            body = json.dumps({"errorType": "Runtime.ExitError", "errorMessage": message}).encode()
        elif kind == "init-error":
            self._stop(environment)
        elif kind == "ok" and len(body) > RESPONSE_LIMIT:
            kind = "error"
            message = f"Response payload size exceeded maximum allowed payload size ({RESPONSE_LIMIT} bytes)."
            body = json.dumps({"errorMessage": message, "errorType": "Function.ResponseSizeTooLarge"}).encode()
        if kind in ("ok", "error"):
            self._release(environment)
        log = environment.read_log(log_start)
        return Result(body, None if kind == "ok" else "Unhandled", log, str(function.version))

    # -- environments -------------------------------------------------------------------------------
    def _variables(self, function: Any, extra: dict[str, str]) -> dict[str, str]:
        """The environment of the function's processes, but for what is each environment's own."""
        runtime = str(function.run_time or "")
        return {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "AWS_ENDPOINT_URL": self.endpoint_url,
            **(function.environment_vars or {}),
            **extra,
            "_HANDLER": str(function.handler),
            "AWS_REGION": function.region,
            "AWS_DEFAULT_REGION": function.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
            "AWS_LAMBDA_FUNCTION_VERSION": str(function.version),
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.function_name}",
            "LAMBDA_RUNTIME_DIR": str(BOOTSTRAP.parent),
        }

    def _code(self, function: Any) -> Path:
        """The function's zip, unpacked once per code hash."""
        if str(getattr(function, "package_type", "Zip")) != "Zip" or not str(function.run_time or "").startswith(
            "python"
        ):
            raise Unsupported(
                f"function {function.function_name}: only Python runtimes with a zip package run in the emulator "
                f"(runtime {function.run_time}, package {function.package_type})"
            )
        digest = hashlib.sha256(function.code_bytes).hexdigest()
        target = dataplane.supervisor().directory("lambda", "code", digest)
        with self._unpacking:
            if not (target / ".unpacked").exists():
                try:
                    zipfile.ZipFile(io.BytesIO(function.code_bytes)).extractall(target)
                except zipfile.BadZipFile:
                    raise Unsupported(f"function {function.function_name}: its code is not a zip file") from None
                (target / ".unpacked").touch()
        return target

    def _credentials(self, function: Any) -> dict[str, str]:
        """Temporary credentials of the execution role, as Lambda hands them to the function."""
        from moto.sts.models import sts_backends
        from moto.utilities.utils import get_partition

        role = sts_backends[function.account_id][get_partition(function.region)].assume_role(
            region_name=function.region,
            role_session_name=function.function_name,
            role_arn=function.role,
            policy=None,
            duration=CREDENTIALS_SECONDS,
            external_id=None,
        )
        return {
            "AWS_ACCESS_KEY_ID": role.access_key_id,
            "AWS_SECRET_ACCESS_KEY": role.secret_access_key,
            "AWS_SESSION_TOKEN": role.session_token,
        }

    def _zygote(self) -> socket.socket:
        """The control socket of the runtime process that forks environments, started (again) if need be."""
        with self._forking:
            return self._zygote_started()

    def _zygote_started(self) -> socket.socket:
        supervisor = dataplane.supervisor()
        process = supervisor.process(ZYGOTE)
        if process is None or process.poll() is not None or self._control is None:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                supervisor.start(
                    ZYGOTE,
                    [sys.executable, "-P", str(BOOTSTRAP), str(theirs.fileno())],
                    env={
                        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                        "LANG": "en_US.UTF-8",
                        "TZ": ":UTC",
                        "AWS_CONFIG_FILE": "/dev/null",
                        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                    },
                    stdin=subprocess.DEVNULL,
                    pass_fds=(theirs.fileno(),),
                )
            finally:
                theirs.close()
            self._control = ours
            supervisor.on_stop(ZYGOTE, ours.close)
        return self._control

    def _start(self, function: Any, key: tuple[str, str], variables: dict[str, str]) -> Environment:
        code = self._code(function)
        supervisor = dataplane.supervisor()
        environment_id = uuid.uuid4().hex
        stream = f"{time.strftime('%Y/%m/%d', time.gmtime())}/[{function.version}]{environment_id}"
        log_path = supervisor.directory("lambda", "logs", function.function_name) / f"{environment_id}.log"
        command = {
            "task_root": str(code),
            "log": str(log_path),
            "environment": {
                **variables,
                **self._credentials(function),
                "AWS_LAMBDA_LOG_STREAM_NAME": stream,
                "LAMBDA_TASK_ROOT": str(code),
            },
        }
        ours, theirs = socket.socketpair()
        try:
            with self._forking:
                control = self._zygote_started()
                socket.send_fds(control, [json.dumps(command).encode()], [theirs.fileno()])
                reply = control.recv(1024)
        except OSError as error:
            ours.close()
            raise LambdaError(f"the Lambda runtime could not start an environment: {error}") from None
        finally:
            theirs.close()
        if not reply:
            ours.close()
            raise LambdaError("the Lambda runtime process exited")
        name = f"lambda/{function.function_name}/{environment_id}"
        environment = Environment(name, key, json.loads(reply)["pid"], Connection(ours.detach()), log_path)
        supervisor.on_stop(name, lambda: self._forget(environment))
        self._start_reaper()
        return environment

    def _take(self, key: tuple[str, str]) -> Environment | None:
        """A warm environment of this function and configuration; those of an older one are stopped."""
        retired: list[Environment] = []
        found = None
        now = time.monotonic()
        with self._lock:
            for other in [k for k in self._idle if k[0] == key[0] and k != key]:
                retired += self._idle.pop(other)
            warm = self._idle.get(key, [])
            while warm and found is None:
                candidate = warm.pop()
                if candidate.expires_at > now:
                    found = candidate
                else:
                    retired.append(candidate)
        for environment in retired:
            self._stop(environment)
        return found

    def _release(self, environment: Environment) -> None:
        with self._lock:
            if not environment.closed:
                environment.last_used = time.monotonic()
                self._idle.setdefault(environment.key, []).append(environment)

    def _forget(self, environment: Environment) -> None:
        """Called by the supervisor when the environment is stopped (also on reset and exit): its process killed."""
        with self._lock:
            environment.kill()
            warm = self._idle.get(environment.key, [])
            if environment in warm:
                warm.remove(environment)

    def _stop(self, environment: Environment) -> None:
        dataplane.supervisor().stop(environment.name)

    def _start_reaper(self) -> None:
        with self._lock:
            if self._reaper is None:
                self._reaper = threading.Thread(target=self._reap, name="lambda-reaper", daemon=True)
                self._reaper.start()

    def _reap(self) -> None:
        while True:
            time.sleep(min(max(self.idle_seconds / 4, 0.2), 30))
            now = time.monotonic()
            with self._lock:
                stale = [
                    environment
                    for warm in self._idle.values()
                    for environment in warm
                    if now - environment.last_used > self.idle_seconds or environment.expires_at <= now
                ]
                for environment in stale:
                    self._idle[environment.key].remove(environment)
            for environment in stale:
                self._stop(environment)
