"""Run a Lambda function stored in moto in this process: its zip, its handler, its environment.

moto runs functions in Docker, which the emulator does not have. The WebSocket gateway needs to
call the relay's small Python handlers, so they run here: the zip is unpacked once per code
hash, the handler's module loaded under a private name, and each call made with the function's
environment (plus credentials and endpoints pointing at the emulator) under a lock, since
``os.environ`` is process-wide. Only Python runtimes with standard library and boto3 code fit.
"""

from __future__ import annotations

import importlib.util
import io
import os
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
        self._lock = threading.RLock()
        self._handlers: dict[tuple[str, str], Callable[..., Any]] = {}
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

    def _handler(self, function: Any) -> Callable[..., Any]:
        key = (function.function_arn, function.code_sha_256)
        if key not in self._handlers:
            module_name, _, attribute = str(function.handler).rpartition(".")
            target = self._directory / function.code_sha_256.replace("/", "_")
            if not target.exists():
                zipfile.ZipFile(io.BytesIO(function.code_bytes)).extractall(target)
            source = target / (module_name.replace(".", "/") + ".py")
            if not source.exists():
                raise LambdaError(f"handler {function.handler}: {source.name} is not in the function's zip")
            private_name = f"livestack_lambda_{len(self._handlers)}_{module_name.replace('.', '_')}"
            spec = importlib.util.spec_from_file_location(private_name, source)
            module = importlib.util.module_from_spec(spec)
            sys.path.insert(0, str(target))
            try:
                spec.loader.exec_module(module)
            finally:
                sys.path.remove(str(target))
            self._handlers[key] = getattr(module, attribute)
        return self._handlers[key]

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
        with self._lock:
            handler = self._handler(function)
            # Only the function's variables are set and put back, so the emulator's own threads never
            # see an environment without theirs.
            saved = {name: os.environ.get(name) for name in environment}
            os.environ.update(environment)
            try:
                return handler(event, Context(function))
            finally:
                for name, value in saved.items():
                    if value is None:
                        os.environ.pop(name, None)
                    else:
                        os.environ[name] = value
