"""The emulator's WSGI application: extensions first, then moto; every API request recorded."""

from __future__ import annotations

import io
import json
import threading
from collections import Counter
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from . import timing
from .extensions import Call, Registry, load_all
from .requests import ApiRequest, classify

CONTROL_PREFIX = "/_livestack/"


class Recorder:
    """Counts API requests by service, action and kind (read or mutating)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[ApiRequest] = []

    def add(self, request: ApiRequest) -> None:
        with self._lock:
            self._calls.append(request)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    def summary(self, with_calls: bool = False) -> dict[str, Any]:
        with self._lock:
            calls = list(self._calls)
        by_service: dict[str, Counter[str]] = {}
        for call in calls:
            by_service.setdefault(call.service or "unknown", Counter())["mutating" if call.mutating else "read"] += 1
        summary: dict[str, Any] = {
            "total": len(calls),
            "mutating": sum(1 for call in calls if call.mutating),
            "read": sum(1 for call in calls if not call.mutating),
            "by_service": {name: dict(counts) for name, counts in sorted(by_service.items())},
        }
        if with_calls:
            summary["calls"] = [
                {"service": c.service, "action": c.action, "mutating": c.mutating, "region": c.region} for c in calls
            ]
        return summary


class EmulatorApp:
    def __init__(self) -> None:
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.registry = Registry()
        self.extensions = load_all(self.registry)
        self.recorder = Recorder()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "/")
        if path.startswith(CONTROL_PREFIX):
            return self._control(Request(environ))(environ, start_response)

        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        request = classify(environ, body)
        if request.service:
            self.recorder.add(request)
            headers = {
                key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")
            }
            response = self.registry.dispatch(Call(request=request, body=body, headers=headers))
            if response is not None:
                return response(environ, start_response)
        environ["wsgi.input"] = io.BytesIO(body)
        return self.moto(environ, start_response)

    def reset(self) -> None:
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()
        self.registry.reset()
        self.recorder.clear()

    def _control(self, request: Request) -> Response:
        command = request.path[len(CONTROL_PREFIX) :].strip("/")
        if command == "health":
            return _json({"status": "ok", "extensions": self.extensions, "timing": timing.current.describe()})
        if command == "requests" and request.method == "GET":
            return _json(self.recorder.summary(with_calls=request.args.get("calls") == "1"))
        if command == "requests" and request.method == "DELETE":
            self.recorder.clear()
            return _json({"status": "cleared"})
        if command == "reset" and request.method == "POST":
            self.reset()
            return _json({"status": "reset"})
        return _json({"error": f"unknown control request {request.method} {request.path}"}, status=404)


def _json(payload: object, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


def serve(host: str, port: int, ready: Any = None) -> None:
    """Serve until interrupted; ``ready(port)`` is called once the socket listens."""
    server = make_server(host, port, EmulatorApp(), threaded=True, request_handler=MotoRequestHandler)
    if ready:
        ready(server.server_port)
    try:
        server.serve_forever()
    finally:
        server.server_close()
