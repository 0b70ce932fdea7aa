"""A minimal RFC 6455 WebSocket client for the stub Lambda (standard library only).

The stub must run on the bare Python 3.12 Lambda runtime (standard library and boto3), so it
cannot use the ``websockets`` package the local client uses. It needs little: one client
connection with extra handshake headers (SigV4), text messages sent in frames of at most 32 KB
(API Gateway's frame limit), fragmented messages reassembled, ping answered, close handled.
Reads are buffered so that a timeout between two messages never leaves half a frame behind.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import ssl
import struct
import time
from urllib.parse import urlsplit

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
FRAME_LIMIT = 32 * 1024
_TEXT, _BINARY, _CONTINUATION, _CLOSE, _PING, _PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA


class WebSocketError(Exception):
    """The connection failed or was closed."""


class HandshakeError(WebSocketError):
    """The server answered the opening handshake with an HTTP status other than 101."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body[:200]}")
        self.status = status
        self.body = body


class ConnectionClosed(WebSocketError):
    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"connection closed ({code}) {reason}".strip())
        self.code = code
        self.reason = reason


def _mask(data: bytes, key: bytes) -> bytes:
    if not data:
        return data
    length = len(data)
    repeated = (key * (length // 4 + 1))[:length]
    return (int.from_bytes(data, "little") ^ int.from_bytes(repeated, "little")).to_bytes(length, "little")


class WebSocket:
    def __init__(self, sock: socket.socket, leftover: bytes) -> None:
        self._sock = sock
        self._buffer = bytearray(leftover)
        self.closed = False

    @classmethod
    def connect(cls, url: str, headers: dict[str, str], timeout: float) -> WebSocket:
        parts = urlsplit(url)
        secure = parts.scheme == "wss"
        host = parts.hostname or ""
        port = parts.port or (443 if secure else 80)
        sock = socket.create_connection((host, port), timeout=timeout)
        try:
            if secure:
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            key = base64.b64encode(os.urandom(16)).decode()
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            lines = [
                f"GET {path} HTTP/1.1",
                f"Host: {parts.netloc}",
                "Upgrade: websocket",
                "Connection: Upgrade",
                f"Sec-WebSocket-Key: {key}",
                "Sec-WebSocket-Version: 13",
                *(f"{name}: {value}" for name, value in headers.items()),
            ]
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            response = b""
            deadline = time.monotonic() + timeout
            while b"\r\n\r\n" not in response:
                sock.settimeout(max(deadline - time.monotonic(), 0.001))
                chunk = sock.recv(65536)
                if not chunk:
                    raise WebSocketError("the server closed the connection during the handshake")
                response += chunk
            head, _separator, rest = response.partition(b"\r\n\r\n")
            status_line, *header_lines = head.decode("latin-1").split("\r\n")
            status = int(status_line.split()[1])
            if status != 101:
                sock.settimeout(0.2)
                try:
                    rest += sock.recv(65536)
                except OSError:
                    pass
                raise HandshakeError(status, rest.decode("utf-8", "replace"))
            received = {line.split(":", 1)[0].strip().lower(): line.split(":", 1)[1].strip() for line in header_lines}
            expected = base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest()).decode()
            if received.get("sec-websocket-accept") != expected:
                raise WebSocketError("the server's Sec-WebSocket-Accept does not match the key")
            return cls(sock, rest)
        except BaseException:
            sock.close()
            raise

    def send_text(self, text: str) -> None:
        data = text.encode()
        chunks = [data[i : i + FRAME_LIMIT] for i in range(0, len(data), FRAME_LIMIT)] or [b""]
        for index, chunk in enumerate(chunks):
            opcode = _TEXT if index == 0 else _CONTINUATION
            self._send_frame(opcode, chunk, final=index == len(chunks) - 1)

    def _send_frame(self, opcode: int, payload: bytes, final: bool = True) -> None:
        header = bytearray([(0x80 if final else 0) | opcode])
        length = len(payload)
        if length < 126:
            header.append(0x80 | length)
        elif length < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", length)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", length)
        key = os.urandom(4)
        try:
            self._sock.settimeout(10)
            self._sock.sendall(bytes(header) + key + _mask(payload, key))
        except OSError as error:
            self.closed = True
            raise WebSocketError(f"send failed: {error}") from error

    def recv(self, timeout: float) -> str:
        """The next text message; TimeoutError when none arrives within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        fragments: list[bytes] = []
        while True:
            opcode, final, payload = self._read_frame(deadline)
            if opcode == _PING:
                self._send_frame(_PONG, payload)
            elif opcode == _PONG:
                continue
            elif opcode == _CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                self.close()
                raise ConnectionClosed(code, payload[2:].decode("utf-8", "replace"))
            else:
                fragments.append(payload)
                if final:
                    return b"".join(fragments).decode("utf-8", "replace")

    def _fill(self, size: int, deadline: float) -> None:
        while len(self._buffer) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no message before the deadline")
            self._sock.settimeout(remaining)
            try:
                chunk = self._sock.recv(max(65536, size - len(self._buffer)))
            except TimeoutError:
                raise
            except OSError as error:
                self.closed = True
                raise WebSocketError(f"receive failed: {error}") from error
            if not chunk:
                self.closed = True
                raise ConnectionClosed(1006, "the connection dropped")
            self._buffer += chunk

    def _read_frame(self, deadline: float) -> tuple[int, bool, bytes]:
        self._fill(2, deadline)
        first, second = self._buffer[0], self._buffer[1]
        length, offset = second & 0x7F, 2
        if length == 126:
            self._fill(4, deadline)
            length, offset = struct.unpack("!H", self._buffer[2:4])[0], 4
        elif length == 127:
            self._fill(10, deadline)
            length, offset = struct.unpack("!Q", self._buffer[2:10])[0], 10
        masked = bool(second & 0x80)
        total = offset + (4 if masked else 0) + length
        self._fill(total, deadline)
        payload = bytes(self._buffer[offset + (4 if masked else 0) : total])
        if masked:
            payload = _mask(payload, bytes(self._buffer[offset : offset + 4]))
        del self._buffer[:total]
        return first & 0x0F, bool(first & 0x80), payload

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self._send_frame(_CLOSE, struct.pack("!H", 1000))
            except WebSocketError:
                pass
        self._sock.close()
