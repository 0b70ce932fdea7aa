"""The runtime of Lambda's execution environments (started by ``lambda_runner``, never by hand).

    python -P lambda_bootstrap.py CONTROL_FD

The process started is a zygote: it imports what every environment would (boto3), then forks one
child per environment the emulator asks for, each with its channel to the emulator, its log file
and its environment variables. In each environment, as Lambda's Python runtime does
(``awslambdaric``): the unpacked zip is the working directory and the first entry of
``sys.path``; the init phase imports the handler named by ``_HANDLER`` once;
then invocations run one at a time, each with a context built from the environment Lambda sets,
and its outcome is the handler's result as JSON or Lambda's error shape (``errorMessage``,
``errorType``, ``requestId``, ``stackTrace``). Output goes to stdout, the environment's log
stream, framed by START / END / REPORT lines. Standard library only: the function's own
modules are what it imports.
"""

from __future__ import annotations

import decimal
import gc
import importlib
import json
import logging
import math
import os
import signal
import socket
import sys
import threading
import time
import traceback
import types
from multiprocessing.connection import Connection
from typing import Any

# Imported by the zygote, so that a new environment finds them loaded; a function that ships one of
# them imports its own copies of all of them.
PRELOADED = ("boto3", "botocore", "s3transfer", "urllib3", "jmespath", "dateutil", "six")
# Services whose models boto3's default session parses in the zygote, for the clients functions make.
PRELOADED_SERVICES = ("dynamodb", "apigatewaymanagementapi", "s3", "sts", "rds", "secretsmanager", "lambda")


class InitError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


class Context:
    """The context object of Lambda's Python runtime."""

    def __init__(self, request: dict[str, Any]) -> None:
        self.aws_request_id = request["request_id"]
        self.invoked_function_arn = request["invoked_function_arn"]
        client_context = request.get("client_context")  # Invoke's X-Amz-Client-Context, decoded
        self.client_context = (
            None
            if client_context is None
            else types.SimpleNamespace(
                client=types.SimpleNamespace(**(client_context.get("client") or {})),
                custom=client_context.get("custom"),
                env=client_context.get("env"),
            )
        )
        self.identity = None
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self._deadline_ms = request["deadline_ms"]

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def log(self, message: str) -> None:
        sys.stdout.write(message)


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def _install_logging() -> _RequestIdFilter:
    """The root logger's handler of Lambda's runtime: level, time, request id, message."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s", "%Y-%m-%dT%H:%M:%S"
        )
    )
    handler.formatter.converter = time.gmtime
    request_ids = _RequestIdFilter()
    handler.addFilter(request_ids)
    logging.getLogger().addHandler(handler)
    return request_ids


def load_handler(spec: str) -> Any:
    try:
        module_name, function_name = spec.rsplit(".", 1)
    except ValueError as error:
        raise InitError("Runtime.MalformedHandlerName", f"Bad handler '{spec}': {error}") from None
    module_name = module_name.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise InitError("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}") from None
    except SyntaxError as error:
        raise InitError("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {error}") from None
    try:
        return getattr(module, function_name)
    except AttributeError:
        message = f"Handler '{function_name}' missing on module '{module_name}'"
        raise InitError("Runtime.HandlerNotFound", message) from None


def _json_default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return math.nan if value.is_nan() else (int(value) if value == value.to_integral_value() else float(value))
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def error_payload(error_type: str, message: str, request_id: str, stack: list[str]) -> bytes:
    shape = {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": stack}
    return json.dumps(shape).encode()


def _log_error(error_type: str, message: str, stack: list[str]) -> None:
    trace = "".join(stack)
    print(f"[ERROR] {error_type}: {message}" + (f"\nTraceback (most recent call last):\n{trace}" if trace else ""))


def invoke(handler: Any, request: dict[str, Any]) -> tuple[bool, bytes]:
    """(succeeded, payload) of one invocation."""
    request_id = request["request_id"]
    try:
        result = handler(json.loads(request["payload"] or b"null"), Context(request))
    except Exception as error:  # noqa: BLE001 - every handler error is the invoker's Unhandled error
        stack = traceback.format_list(traceback.extract_tb(error.__traceback__)[1:])  # from the handler on
        _log_error(type(error).__name__, str(error), stack)
        return False, error_payload(type(error).__name__, str(error), request_id, stack)
    try:
        return True, json.dumps(result, default=_json_default).encode()
    except (TypeError, ValueError) as error:
        message = f"Unable to marshal response: {error}"
        _log_error("Runtime.MarshalError", message, [])
        return False, error_payload("Runtime.MarshalError", message, request_id, [])


def _peak_memory_mb() -> int:
    """This process's peak resident memory (getrusage's would count the process it was forked from)."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return 0


def _exit_with_parent(parent: int) -> None:
    """An emulator killed outright cannot stop its environments: each notices its parent has gone."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def serve(connection: Connection) -> int:
    """One execution environment: the init phase, then one invocation per request until the emulator hangs up."""
    request_ids = _install_logging()
    started = time.perf_counter()
    try:
        handler = load_handler(os.environ["_HANDLER"])
    except InitError as error:
        _log_error(error.error_type, str(error), [])
        sys.stdout.flush()
        connection.send(("init-error", error_payload(error.error_type, str(error), "", [])))
        return 1
    except Exception as error:  # noqa: BLE001 - an exception raised by the module's own code at import
        stack = traceback.format_list(traceback.extract_tb(error.__traceback__))
        _log_error(type(error).__name__, str(error), stack)
        sys.stdout.flush()
        connection.send(("init-error", error_payload(type(error).__name__, str(error), "", stack)))
        return 1
    init_ms: float | None = (time.perf_counter() - started) * 1000
    connection.send(("ready", None))
    memory = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
    version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
    while True:
        try:
            request = connection.recv()
        except EOFError:
            return 0
        request_id = request_ids.request_id = request["request_id"]
        print(f"START RequestId: {request_id} Version: {version}", flush=True)
        began = time.perf_counter()
        succeeded, payload = invoke(handler, request)
        duration = (time.perf_counter() - began) * 1000
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\tBilled Duration: {math.ceil(duration)} ms\t"
            f"Memory Size: {memory} MB\tMax Memory Used: {_peak_memory_mb()} MB\t"
        )
        if init_ms is not None:
            report += f"Init Duration: {init_ms:.2f} ms\t"
            init_ms = None
        print(f"END RequestId: {request_id}\n{report}")
        sys.stdout.flush()
        sys.stderr.flush()
        connection.send(("ok" if succeeded else "error", payload))


def _environment(command: dict[str, Any], channel: int) -> int:
    """In a child just forked: become the environment ``command`` describes, then serve it."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the function's own subprocesses are its to wait for
    log = os.open(command["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    os.environ.clear()
    os.environ.update(command["environment"])
    task_root = command["task_root"]
    os.chdir(task_root)
    sys.path.insert(0, task_root)  # the function's code first, as /var/task in Lambda
    if any(os.path.exists(os.path.join(task_root, name)) for name in PRELOADED + tuple(f"{n}.py" for n in PRELOADED)):
        for module in [m for m in sys.modules if m.partition(".")[0] in PRELOADED]:  # the function's own, then
            del sys.modules[module]
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    return serve(Connection(channel))


def _preload() -> None:
    """boto3 imported and the models of common services parsed, in boto3's default session.

    The session reads the environment (region, credentials, endpoint) only when a client is made
    without them, so each environment's clients still see its own; no configuration file is read,
    as in Lambda (the zygote runs with AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE empty).
    """
    try:
        import boto3
    except ImportError:
        return
    keys = {"region_name": "us-east-1", "aws_access_key_id": "preload", "aws_secret_access_key": "preload"}
    for service in PRELOADED_SERVICES:
        boto3.client(service, **keys)
    boto3.resource("dynamodb", **keys)


def zygote(control: socket.socket) -> int:
    """Fork an environment per command received (with its channel's descriptor), answering its pid.

    The runtime's heavy imports are done once, here: a new environment starts in milliseconds, as
    Lambda's pre-initialised sandboxes do, not in the second a cold Python with boto3 takes.
    """
    _preload()
    gc.freeze()  # what the zygote holds is never collected in an environment: no copy-on-write by the collector
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forked environments are reaped as they exit
    # No thread here (forking a threaded process may deadlock the child, and Python 3.12 warns so): an emulator
    # killed outright closes its end of the control socket, so the receive below answers nothing and the zygote
    # ends; its environments notice it has gone (_exit_with_parent).
    while True:
        message, channels, _, _ = socket.recv_fds(control, 1 << 20, 1)
        if not message:
            return 0
        pid = os.fork()
        if pid == 0:
            control.close()
            try:
                code = _environment(json.loads(message), channels[0])
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)
        os.close(channels[0])
        control.send(json.dumps({"pid": pid}).encode())


if __name__ == "__main__":
    sys.exit(zygote(socket.socket(fileno=int(sys.argv[1]))))
