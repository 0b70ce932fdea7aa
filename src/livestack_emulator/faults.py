"""A fault-injecting proxy between AWS clients and the emulator (loopback only).

It answers a seeded fraction of API requests with what AWS really sends under load, each in the
service's own wire format: throttling (EC2 ``RequestLimitExceeded``, query ``Throttling``, JSON
``ThrottlingException``, REST ``TooManyRequestsException``, S3 ``SlowDown``), 500 and 503
errors, and a connection closed without an answer. A faulted request never reaches the emulator,
so a client that retries sees exactly what it would on AWS: the call did not happen.

    python -m livestack_emulator.faults --upstream 5000 --rate 0.2 --seed 7 --port 0
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import random
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import botocore.session

from . import protocol
from .requests import classify

KINDS = ("throttle", "internal_error", "unavailable", "drop")
_MODEL_NAMES = {"apigateway": "apigatewayv2", "execute-api": None}


def _protocol_of(service: str) -> str:
    name = _MODEL_NAMES.get(service, service)
    try:
        return botocore.session.get_session().get_service_model(name).protocol if name else "rest-json"
    except Exception:  # noqa: BLE001 - an unknown service gets the JSON error shape
        return "json"


def fault_response(service: str, kind: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of a fault of ``kind`` in the wire format of ``service``."""
    wire = _protocol_of(service)
    status, code, message = {
        "throttle": {
            "ec2": (503, "RequestLimitExceeded", "Request limit exceeded."),
            "query": (400, "Throttling", "Rate exceeded"),
            "json": (400, "ThrottlingException", "Rate exceeded"),
            "rest-json": (429, "TooManyRequestsException", "Too Many Requests"),
            "rest-xml": (503, "SlowDown", "Please reduce your request rate."),
        }.get(wire, (400, "ThrottlingException", "Rate exceeded")),
        "internal_error": (500, "InternalFailure", "An internal error occurred."),
        "unavailable": (503, "ServiceUnavailable", "Service is unavailable, please try again later."),
    }[kind]
    if wire == "ec2":
        response = protocol.ec2_error(code, message, status)
    elif wire in ("query", "rest-xml"):
        response = protocol.query_error(code, message, status, sender=kind == "throttle")
    else:
        response = protocol.json_error(code, message, status)
    return response.status_code, dict(response.headers), response.get_data()


class FaultProxy:
    def __init__(self, upstream_port: int, rate: float, seed: int, port: int = 0) -> None:
        self.upstream_port = upstream_port
        self.rate = rate
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {"rate": self.rate, **dict(self.counts)}

    def _draw(self) -> str | None:
        with self._lock:
            self.counts["requests"] += 1
            if self._random.random() >= self.rate:
                return None
            kind = self._random.choice(KINDS)
            self.counts["faulted"] += 1
            self.counts[kind] += 1
            return kind

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path, _, query = self.path.partition("?")
                if path == "/_faults/stats":
                    self._answer(200, {"Content-Type": "application/json"}, json.dumps(proxy.stats()).encode())
                    return
                environ = {
                    "REQUEST_METHOD": self.command,
                    "PATH_INFO": path,
                    "QUERY_STRING": query,
                    "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                    "HTTP_AUTHORIZATION": self.headers.get("Authorization", ""),
                    "HTTP_X_AMZ_TARGET": self.headers.get("X-Amz-Target", ""),
                    "wsgi.input": io.BytesIO(body),
                }
                service = classify(environ, body).service if not path.startswith("/_livestack/") else None
                kind = proxy._draw() if service else None
                if kind == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                if kind:
                    self._answer(*fault_response(service, kind))
                    return
                upstream = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=300)
                try:
                    headers = {key: value for key, value in self.headers.items() if key.lower() != "connection"}
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    answer = upstream.getresponse()
                    data = answer.read()
                    passed = {
                        k: v for k, v in answer.getheaders() if k.lower() not in ("transfer-encoding", "connection")
                    }
                    self._answer(answer.status, passed, data)
                finally:
                    upstream.close()

            def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    if key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _relay

        return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m livestack_emulator.faults", description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", type=int, required=True, help="the emulator's port")
    parser.add_argument("--rate", type=float, default=0.2, help="fraction of API requests faulted")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    proxy = FaultProxy(args.upstream, args.rate, args.seed, args.port).start()
    print(f"fault proxy on http://127.0.0.1:{proxy.port} -> 127.0.0.1:{args.upstream}", file=sys.stderr, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        proxy.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
