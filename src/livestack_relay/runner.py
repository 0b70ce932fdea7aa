"""Run the developer's handler: imported once, imported again when one of its files changed.

A subprocess per invocation would be the freshest state but loses what a warm Lambda keeps
(a database connection, a client) and costs the imports each time. Instead the modules loaded
from the project directory are tracked with their file's size and modification time, and all
of them are dropped from ``sys.modules`` and imported again when any changed, so an edit shows
in the next invocation while an unchanged handler keeps its module state, as a warm Lambda does.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .wire import LAMBDA_PAYLOAD_LIMIT

_LAMBDA_ONLY_VARIABLES = ("AWS_", "LAMBDA_", "_HANDLER", "_X_AMZN", "LIVESTACK_RELAY_")


class HandlerImportError(Exception):
    """The handler path does not import or does not name a function."""


class Context:
    """The Lambda context object, rebuilt from what the stub sent."""

    def __init__(self, request_id: str, fields: dict[str, Any], deadline_ms: int | None) -> None:
        self.aws_request_id = request_id
        self.function_name = fields.get("function_name") or "local"
        self.function_version = fields.get("function_version") or "$LATEST"
        self.invoked_function_arn = fields.get("invoked_function_arn") or ""
        self.memory_limit_in_mb = fields.get("memory_limit_in_mb") or "128"
        self.log_group_name = fields.get("log_group_name") or ""
        self.log_stream_name = fields.get("log_stream_name") or ""
        self._deadline = time.monotonic() + (deadline_ms or 30000) / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._deadline - time.monotonic()) * 1000), 0)


@dataclass
class Outcome:
    ok: bool
    value: Any  # the result, or Lambda's error shape {errorType, errorMessage, stackTrace}
    milliseconds: float


def error_shape(error: BaseException) -> dict[str, Any]:
    return {
        "errorType": type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_exception(error),
    }


class HandlerRunner:
    def __init__(self, spec: str, root: Path) -> None:
        module, separator, function = spec.partition(":")
        if not separator or not module or not function:
            raise HandlerImportError(f"handler {spec!r} is not of the form module:function (e.g. app.handler:main)")
        self.module_name, self.function_name = module, function
        self.root = root.resolve()
        self._snapshot: dict[str, tuple[int, int]] = {}
        self._locations: dict[str, tuple[Any, Path | None]] = {}
        self._function: Callable[..., Any] | None = None
        if str(self.root) not in sys.path:
            sys.path.insert(0, str(self.root))
        sys.dont_write_bytecode = True  # a stale .pyc must never hide an edit made within the same second

    def _project_files(self) -> dict[str, Path]:
        """The loaded modules whose file is under the project directory.

        Resolving every module's path is slow (thousands of modules once boto3 is loaded): it is done
        once per module object, so an unchanged interpreter costs one pass over ``sys.modules``.
        """
        found = {}
        for name, module in list(sys.modules.items()):
            known = self._locations.get(name)
            if known is None or known[0] is not module:
                location = getattr(module, "__file__", None)
                path = Path(location) if location and Path(location).resolve().is_relative_to(self.root) else None
                known = self._locations[name] = (module, path)
            if known[1] is not None:
                found[name] = known[1]
        return found

    def _stat(self, files: dict[str, Path]) -> dict[str, tuple[int, int]]:
        stats = {}
        for name, path in files.items():
            try:
                stat = path.stat()
                stats[name] = (stat.st_mtime_ns, stat.st_size)
            except OSError:
                stats[name] = (-1, -1)
        return stats

    def load(self) -> Callable[..., Any]:
        """The handler function, imported again if a project file changed since the last import."""
        files = self._project_files()
        if self._function is not None and self._stat(files) == self._snapshot:
            return self._function
        for name, path in files.items():
            sys.modules.pop(name, None)
            self._locations.pop(name, None)
            cached = Path(importlib.util.cache_from_source(str(path))) if path.suffix == ".py" else None
            if cached and cached.exists():
                cached.unlink(missing_ok=True)
        importlib.invalidate_caches()
        self._function = None
        try:
            module = importlib.import_module(self.module_name)
        except Exception as error:  # noqa: BLE001 - any import failure is the user's to see
            raise HandlerImportError(f"cannot import {self.module_name}: {type(error).__name__}: {error}") from error
        function = getattr(module, self.function_name, None)
        if not callable(function):
            raise HandlerImportError(f"module {self.module_name} has no function {self.function_name}")
        self._snapshot = self._stat(self._project_files())
        self._function = function
        return function

    def invoke(self, request_id: str, payload: dict[str, Any], deadline_ms: int | None) -> Outcome:
        started = time.perf_counter()
        # The function's variables, set for the call and put back after it; only those, so the client's
        # other threads (S3 transfers) never see an environment without the developer's settings.
        environment = {
            key: value
            for key, value in (payload.get("environment") or {}).items()
            if not key.startswith(_LAMBDA_ONLY_VARIABLES)
        }
        saved = {name: os.environ.get(name) for name in environment}
        os.environ.update(environment)
        try:
            function = self.load()
            context = Context(request_id, payload.get("context") or {}, deadline_ms)
            result = function(payload.get("event"), context)
            size = len(json.dumps(result, separators=(",", ":")))
            if size > LAMBDA_PAYLOAD_LIMIT:
                raise ValueError(f"the handler's result is {size} bytes of JSON, over Lambda's 6 MB response limit")
            outcome = Outcome(True, result, 0)
        except Exception as error:  # noqa: BLE001 - the stub raises it, as Lambda would
            outcome = Outcome(False, error_shape(error), 0)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        outcome.milliseconds = (time.perf_counter() - started) * 1000
        return outcome
