"""The emulator's WSGI application: extensions first, then moto; every API request recorded."""

from __future__ import annotations

import io
import json
import os
import threading
from collections import Counter
from importlib.metadata import version
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from . import dataplane, strict, timing
from .dataplane import certificates, mysql_proxy
from .dataplane import mysql as dataplane_mysql
from .dataplane import openvpn as dataplane_openvpn
from .extensions import Call, Registry, load_all, patching
from .http_api_gateway import HttpApiGateway
from .lambda_runner import LambdaRunner
from .requests import ApiRequest, classify
from .websocket_gateway import WebSocketGateway

CONTROL_PREFIX = "/_livestack/"


class Recorder:
    """Counts API requests by service, action and kind (read, mutating, or stage_lock: the writes to the stage
    locks' table, which change no resource of a stage, are not counted as mutating)."""

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
            kind = "read" if not call.mutating else "stage_lock" if call.stage_lock else "mutating"
            by_service.setdefault(call.service or "unknown", Counter())[kind] += 1
        summary: dict[str, Any] = {
            "total": len(calls),
            "mutating": sum(1 for call in calls if call.mutating and not call.stage_lock),
            "stage_lock": sum(1 for call in calls if call.mutating and call.stage_lock),
            "read": sum(1 for call in calls if not call.mutating),
            "by_service": {name: dict(counts) for name, counts in sorted(by_service.items())},
        }
        if with_calls:
            summary["calls"] = [
                {
                    "service": c.service,
                    "action": c.action,
                    "mutating": c.mutating and not c.stage_lock,
                    "stage_lock": c.mutating and c.stage_lock,
                    "region": c.region,
                }
                for c in calls
            ]
        return summary


class Tripwire:
    """Holds back the answer to the n-th mutating request from now on, until disarmed.

    The request itself is carried out: a client killed while it waits has changed the account
    without learning so, the hardest point at which a run can be interrupted. Tests arm it
    (``POST /_livestack/tripwire?after=n``), wait for ``GET`` to report it tripped, kill the
    client, then ``DELETE`` it, which also lets the held answer go.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._remaining: int | None = None
        self._tripped: ApiRequest | None = None
        self._release = threading.Event()

    def arm(self, after: int) -> None:
        if after < 1:
            raise ValueError("after must be at least 1")
        with self._lock:
            self._remaining, self._tripped = after, None
            self._release.clear()

    def disarm(self) -> None:
        with self._lock:
            self._remaining = None
            self._release.set()

    def trips(self, request: ApiRequest) -> bool:
        """Whether the answer to this request is to be held back."""
        with self._lock:
            if self._remaining is None or not request.mutating:
                return False
            self._remaining -= 1
            if self._remaining:
                return False
            self._remaining, self._tripped = None, request
            return True

    def hold(self) -> None:
        self._release.wait(timeout=600)

    def status(self) -> dict[str, Any]:
        with self._lock:
            tripped = self._tripped
            return {
                "armed": self._remaining is not None,
                "tripped": None if tripped is None else {"service": tripped.service, "action": tripped.action},
            }


class EmulatorApp:
    def __init__(self) -> None:
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.registry = Registry()
        self.extensions = load_all(self.registry)
        self.recorder = Recorder()
        self.tripwire = Tripwire()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "/")
        if path.startswith(CONTROL_PREFIX):
            return self._control(Request(environ))(environ, start_response)

        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        request = classify(environ, body)
        if not request.service:
            return self.moto(environ, start_response)
        self.recorder.add(request)
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        response = self.registry.dispatch(Call(request=request, body=body, headers=headers))
        if self.tripwire.trips(request):
            if response is None:
                environ["wsgi.input"] = io.BytesIO(body)
                response = Response.from_app(self.moto, environ)
            self.tripwire.hold()
        if response is not None:
            return response(environ, start_response)
        environ["wsgi.input"] = io.BytesIO(body)
        return self.moto(environ, start_response)

    def _tripwire(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                self.tripwire.arm(int(request.args.get("after", "")))
            except ValueError:
                return _json({"error": "tripwire: after must be an integer of at least 1"}, status=400)
        elif request.method == "DELETE":
            self.tripwire.disarm()
        return _json(self.tripwire.status())

    def reset(self) -> None:
        # moto's own reset route (its documented HTTP API, as moto_server serves it), not its private backend.
        reset = Response.from_app(self.moto, EnvironBuilder(path="/moto-api/reset", method="POST").get_environ())
        if reset.status_code != 200:
            raise RuntimeError(f"moto's POST /moto-api/reset answered {reset.status}")
        self.registry.reset()
        # AWS keeps no server of a resource that is gone: the data plane goes with the records.
        dataplane.supervisor().stop_all()
        self.recorder.clear()
        self.tripwire.disarm()

    def _control(self, request: Request) -> Response:
        command = request.path[len(CONTROL_PREFIX) :].strip("/")
        if command == "health":
            gateway = self.registry.services.get("websocket_gateway")
            return _json(
                {
                    "status": "ok",
                    "extensions": self.extensions,
                    # What moto lacks: the operations and routes each extension of apis/ answers.
                    "apis": {
                        module.rsplit(".", 1)[-1]: sorted(operations)
                        for module, operations in sorted(self.registry.answered.items())
                        if ".extensions.apis." in module
                    },
                    # What moto gets wrong: every active patch, why, and the AWS behaviour it restores.
                    "patches": patching.active(),
                    "moto": version("moto"),
                    "strict": strict.current.describe(),
                    "timing": timing.current.describe(),
                    "websocket_url": getattr(gateway, "url", None),
                    "ca_bundle": str(certificates.ca_bundle()),
                    "dataplane": {
                        "mysql": {**dataplane_mysql.health(), "endpoints": mysql_proxy.health()},
                        "openvpn": dataplane_openvpn.health(),
                    },
                }
            )
        if command == "ca-bundle.pem":
            # The CA of the database endpoints' certificates, as AWS publishes the RDS CA bundle.
            return Response(certificates.ca_bundle().read_bytes(), content_type="application/x-pem-file")
        if command == "requests" and request.method == "GET":
            return _json(self.recorder.summary(with_calls=request.args.get("calls") == "1"))
        if command == "requests" and request.method == "DELETE":
            self.recorder.clear()
            return _json({"status": "cleared"})
        if command == "reset" and request.method == "POST":
            self.reset()
            return _json({"status": "reset"})
        if command == "tripwire":
            return self._tripwire(request)
        return _json({"error": f"unknown control request {request.method} {request.path}"}, status=404)


def _json(payload: object, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


def serve(host: str, port: int, ready: Any = None) -> None:
    """Serve until interrupted; ``ready(port)`` is called once the socket listens."""
    app = EmulatorApp()
    server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    # Functions run in processes of their own, reaching the emulator at its URL; Invoke and both gateways share them.
    runner = LambdaRunner(f"http://{host}:{server.server_port}")
    runner.start()
    # The WebSocket APIs are served on a port of their own (LIVESTACK_WEBSOCKET_PORT, default a free one),
    # each HTTP API on one of its own.
    websocket_port = int(os.environ.get("LIVESTACK_WEBSOCKET_PORT", "0"))
    gateway = WebSocketGateway(host, websocket_port, runner.endpoint_url, runner=runner)
    gateway.start()
    app.registry.services.update(
        lambda_runner=runner, websocket_gateway=gateway, http_api_gateway=HttpApiGateway(host, runner)
    )
    if ready:
        ready(server.server_port)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        dataplane.supervisor().close()
