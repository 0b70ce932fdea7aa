"""Run a Lambda function stored in moto in this process: its zip, its handler, its environment.

moto runs functions in Docker, which the emulator does not have. The WebSocket gateway needs to
call the relay's small Python handlers, so they run here: the zip is unpacked once per code
hash and the handler's module loaded under a private name. As Lambda does, concurrent calls of a
function run in separate execution environments (here: separate instances of its module, so its
cached clients and globals are never shared between threads), and an environment serves one call
at a time and is kept warm for the next. An environment's first call (its cold start, when its
module creates its clients from boto3's process-wide default session, which is not thread-safe)
runs alone. Each call sees the function's environment variables (plus credentials and endpoints
pointing at the emulator) through ``SharedEnvironment``: ``os.environ`` is process-wide, so calls
overlap only when their variables agree. Only Python runtimes with standard library and boto3
code fit.
"""

from __future__ import annotations

import importlib.util
import io
import re
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .environment import SharedEnvironment

_FUNCTION_ARN = re.compile(r"(arn:aws[\w-]*:lambda:(?P<region>[^:]+):(?P<account>\d+):function:[^/]+)")


class LambdaError(Exception):
    """The function does not exist or cannot run here."""


class Context:
    """The subset of the Lambda context object that handlers use."""

    def __init__(self, function: Any) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.function_name = function.function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function.function_arn
        self.memory_limit_in_mb = str(function.memory_size)
        self.log_group_name = f"/aws/lambda/{function.function_name}"
        self.log_stream_name = "livestack-emulator"
        self._deadline = time.monotonic() + int(function.timeout or 3)

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._deadline - time.monotonic()) * 1000), 0)


class LambdaRunner:
    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url
        self._lock = threading.Lock()  # the pools of warm environments
        self._cold_start = threading.Lock()
        self._environment = SharedEnvironment()
        self._warm: dict[tuple[str, str], list[Callable[..., Any]]] = {}
        self._loaded = 0
        self._directory = Path(tempfile.mkdtemp(prefix="livestack-lambda-"))

    @staticmethod
    def function_arn(integration_uri: str) -> str:
        match = _FUNCTION_ARN.search(integration_uri or "")
        if not match:
            raise LambdaError(f"not a Lambda integration: {integration_uri}")
        return match.group(1)

    def _function(self, arn: str) -> Any:
        from moto.awslambda.models import lambda_backends

        match = _FUNCTION_ARN.match(arn)
        if not match:
            raise LambdaError(f"not a Lambda function ARN: {arn}")
        try:
            return lambda_backends[match["account"]][match["region"]].get_function(arn)
        except Exception as error:  # noqa: BLE001 - moto raises its own exception types
            raise LambdaError(f"function {arn} not found: {error}") from None

    def _load(self, function: Any) -> Callable[..., Any]:
        """The handler of a new execution environment: the function's module, loaded once more."""
        module_name, _, attribute = str(function.handler).rpartition(".")
        target = self._directory / function.code_sha_256.replace("/", "_")
        if not target.exists():
            zipfile.ZipFile(io.BytesIO(function.code_bytes)).extractall(target)
        source = target / (module_name.replace(".", "/") + ".py")
        if not source.exists():
            raise LambdaError(f"handler {function.handler}: {source.name} is not in the function's zip")
        self._loaded += 1
        private_name = f"livestack_lambda_{self._loaded}_{module_name.replace('.', '_')}"
        spec = importlib.util.spec_from_file_location(private_name, source)
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(target))
        try:
            spec.loader.exec_module(module)
        finally:
            sys.path.remove(str(target))
        return getattr(module, attribute)

    def invoke(self, arn: str, event: dict[str, Any], extra_environment: dict[str, str] | None = None) -> Any:
        function = self._function(arn)
        region = _FUNCTION_ARN.match(arn)["region"]
        environment = {
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
            **(function.environment_vars or {}),
            **(extra_environment or {}),
        }
        key = (function.function_arn, function.code_sha_256)
        with self._lock:
            warm = self._warm.setdefault(key, [])
            handler = warm.pop() if warm else None
        if handler is None:
            with self._cold_start, self._environment.applied(environment):
                handler = self._load(function)
                return self._call(key, handler, event, function)
        with self._environment.applied(environment):
            return self._call(key, handler, event, function)

    def _call(self, key: tuple[str, str], handler: Callable[..., Any], event: dict[str, Any], function: Any) -> Any:
        try:
            return handler(event, Context(function))
        finally:  # an environment stays warm after an error, as in Lambda
            with self._lock:
                self._warm[key].append(handler)
