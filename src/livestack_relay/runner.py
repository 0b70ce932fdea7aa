"""Run the developer's handler: imported once, imported again when one of its files changed.

A subprocess per invocation would be the freshest state but loses what a warm Lambda keeps
(a database connection, a client) and costs the imports each time. Instead the modules loaded
from the project directory are tracked with their file's size and modification time, and all
of them are dropped from ``sys.modules`` and imported again when any changed, so an edit shows
in the next invocation while an unchanged handler keeps its module state, as a warm Lambda does.
"""

from __future__ import annotations

import datetime
import importlib
import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .protocol import CREDENTIAL_VARIABLES, LAMBDA_PAYLOAD_LIMIT, LOCAL_VARIABLE, function_environment

LOG_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s"


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
    value: Any  # the result, or Lambda's error shape {errorType, errorMessage, stackTrace} (+ frames)
    milliseconds: float
    cold: bool = False
    traceback: str = ""  # the local traceback, in full, for the developer's terminal
    abandoned: str = ""  # why the caller no longer waits for it (the function's timeout)


def _relative(filename: str, root: Path) -> str:
    """A frame's file as the caller may see it: relative to the project, or to its sys.path entry."""
    path = Path(filename)
    for base in sorted((root, *(Path(entry) for entry in sys.path if entry)), key=lambda p: -len(str(p))):
        if path.is_relative_to(base):
            return path.relative_to(base).as_posix()
    return path.name


def error_shape(error: BaseException, root: Path | None = None, skip: int = 0) -> dict[str, Any]:
    """Lambda's error shape of an exception: the handler's frames only (``skip`` ours), no local paths."""
    frames = traceback.extract_tb(error.__traceback__)[skip:]
    for frame in frames:
        frame.filename = _relative(frame.filename, root or Path.cwd())
    return {
        "errorType": type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_list(frames),
        "frames": [{"file": f.filename, "line": f.lineno or 1, "name": f.name, "code": f.line or ""} for f in frames],
    }


class _RequestId(logging.Filter):
    """Puts the running invocation's request id on every log record, as Lambda's runtime does."""

    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


class _JsonFormatter(logging.Formatter):
    """Lambda's JSON log format (``AWS_LAMBDA_LOG_FORMAT=JSON``)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "timestamp": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "requestId": getattr(record, "aws_request_id", ""),
        }
        if record.exc_info:
            entry["stackTrace"] = traceback.format_exception(*record.exc_info)
        return json.dumps(entry, default=str)


class LambdaLogging:
    """The root logger's handler of Lambda's Python runtime: level and format from the function's settings."""

    def __init__(self) -> None:
        self.request_ids = _RequestId()
        self.handler = logging.StreamHandler(sys.stdout)
        self.handler.addFilter(self.request_ids)
        self._format: str | None = None
        logging.getLogger().addHandler(self.handler)

    def apply(self, request_id: str) -> None:
        self.request_ids.request_id = request_id
        wanted = os.environ.get("AWS_LAMBDA_LOG_FORMAT", "Text")
        if wanted != self._format:
            self._format = wanted
            if wanted.upper() == "JSON":
                self.handler.setFormatter(_JsonFormatter())
            else:
                formatter = logging.Formatter(LOG_FORMAT, "%Y-%m-%dT%H:%M:%S")
                formatter.converter = time.gmtime
                self.handler.setFormatter(formatter)
        level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
        if level in ("TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR", "FATAL", "CRITICAL"):
            logging.getLogger().setLevel({"TRACE": "DEBUG", "WARN": "WARNING", "FATAL": "CRITICAL"}.get(level, level))


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
        self._environment: dict[str, str] = {}
        self.imported = False
        self.logging: LambdaLogging | None = None  # installed on the first invocation, in the handler's process
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
        self.imported = False
        if self._function is not None and self._stat(files) == self._snapshot:
            return self._function
        self.imported = True
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
        # The function's variables (all but its credentials), set for the call and put back after it, so the
        # client's other threads (S3 transfers) never see an environment without the developer's settings.
        environment = {
            **function_environment(payload.get("environment") or {}),
            **(payload.get("credentials") or {}),  # the function role's, with --as-function-role
            LOCAL_VARIABLE: "true",
        }
        saved = {name: os.environ.get(name) for name in environment}
        os.environ.update(environment)
        settings = {name: value for name, value in environment.items() if name not in CREDENTIAL_VARIABLES}
        if settings != self._environment:
            self._environment, self._function = settings, None  # imported again, as Lambda's init runs in them
        cold = False
        try:
            cold = self._function is None  # or set by load() when an edit made it import again
            function = self.load()
            cold = cold or self.imported
            self.logging = self.logging or LambdaLogging()
            self.logging.apply(request_id)
            context = Context(request_id, payload.get("context") or {}, deadline_ms)
            result = function(payload.get("event"), context)
            size = len(json.dumps(result, separators=(",", ":")))
            if size > LAMBDA_PAYLOAD_LIMIT:
                raise ValueError(f"the handler's result is {size} bytes of JSON, over Lambda's 6 MB response limit")
            outcome = Outcome(True, result, 0)
        except Exception as error:  # noqa: BLE001 - the stub raises it, as Lambda would
            outcome = Outcome(False, error_shape(error, self.root, skip=1), 0)  # from the handler's frame on
            outcome.traceback = "".join(traceback.format_exception(error))
        finally:
            if self.logging:
                self.logging.request_ids.request_id = ""
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        outcome.cold = cold
        outcome.milliseconds = (time.perf_counter() - started) * 1000
        return outcome
