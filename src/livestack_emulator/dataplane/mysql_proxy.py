"""The MySQL front end of every database endpoint: Aurora cluster endpoints and RDS Proxies.

Clients never reach a cluster's MariaDB (``dataplane.mysql``) directly. Each endpoint the API
reports is a listener of this module on a loopback address of its own (``127.77.x.y``) and the
reported port (3306), so an unchanged client reaches it with nothing but the ``Endpoint`` and
``Port`` of DescribeDBClusters / DescribeDBProxies, and verifies its TLS certificate (an IP SAN
issued by the emulator's CA, ``certificates.ca_bundle()``) as it verifies an RDS endpoint.

The front end speaks the MySQL protocol to the client (handshake with ``mysql_native_password``,
TLS on request, AuthSwitchRequest to ``mysql_clear_password`` for IAM tokens, OK/ERR) and, once
it has checked the client, logs in to the cluster's MariaDB over its socket for it and relays
the session, rewriting the statements that create IAM users (``mysql.translate_statement``):

- cluster endpoint: a password user is checked against the ``mysql_native_password`` hash
  MariaDB stores, SHA1(SHA1(pw)): SHA1(pw) is recovered from the client's scramble and scrambled
  again for MariaDB's salt (as ProxySQL does), so no plain password is needed. An IAM user (see
  ``mysql``) must use TLS, the cluster must have IAM database authentication on, and the
  password must be a valid IAM token for the endpoint (``rds_token``).
- proxy endpoint: ``RequireTLS``; with the ``Auth`` secrets, the client's user must be the
  user of one of them, with an IAM token when its ``IAMAuth`` is ``REQUIRED`` (a password when
  ``DISABLED``, either when ``ENABLED``), and the proxy logs in with the secret's password; with
  ``DefaultAuthScheme`` ``IAM_AUTH``, the client's token admits it and the proxy logs in as the
  same IAM user (end-to-end IAM), when the proxy's IAM role (its inline and attached policies) allows
  ``rds-db:connect`` on ``dbuser:<cluster resource id>/<user>``. ``IdleClientTimeout`` closes idle
  clients; a proxy without an available target refuses the connection. There is no pooling: one
  MariaDB session per client.

Every refusal is MySQL error 1045 (``Access denied``) with the reason in the emulator's log and,
for a proxy with ``DebugLogging``, in its CloudWatch log group ``/aws/rds/proxy/<name>``.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import itertools
import json
import logging
import random
import re
import select
import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass
from typing import Any

import pymysql

from . import Unavailable, certificates, mysql, openvpn, rds_token, supervisor

LOG = logging.getLogger(__name__)

CLIENT_LONG_PASSWORD = 1  # MariaDB reads it as CLIENT_MYSQL: no MariaDB-only extensions
CLIENT_CONNECT_WITH_DB = 1 << 3
CLIENT_COMPRESS = 1 << 5
CLIENT_PROTOCOL_41 = 1 << 9
CLIENT_SSL = 1 << 11
CLIENT_SECURE_CONNECTION = 1 << 15
CLIENT_PLUGIN_AUTH = 1 << 19
CLIENT_CONNECT_ATTRS = 1 << 20
CLIENT_PLUGIN_AUTH_LENENC = 1 << 21
# The MySQL 8 capabilities MariaDB 10.11 shares (bits 0-24), without compression.
CAPABILITIES = ((1 << 25) - 1) & ~CLIENT_COMPRESS
SERVER_VERSION = "8.0.39-livestack"  # Aurora MySQL 3.08 is MySQL 8.0.39; the session is MariaDB's
UTF8MB4_GENERAL_CI = 45
UTF8MB4_0900_AI_CI = 255  # MySQL 8's default, which MariaDB 10.11 lacks
NATIVE = "mysql_native_password"
CLEAR = "mysql_clear_password"
COM_QUERY, COM_STMT_PREPARE = 0x03, 0x16
MAX_PACKET = 0xFFFFFF
ENDPOINT_NETWORK = "127.77"
ACCESS_DENIED, LOST_CONNECTION = 1045, 2013

_connection_ids = itertools.count(1)


# -- the mysql_native_password maths ---------------------------------------------------------


def _xor(left: bytes, right: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(left, right, strict=True))


def _sha1(data: bytes) -> bytes:
    return hashlib.sha1(data).digest()


def scramble(password_sha1: bytes, salt: bytes) -> bytes:
    """The client's answer to ``salt``, from SHA1(password): SHA1(pw) XOR SHA1(salt + SHA1(SHA1(pw)))."""
    return _xor(password_sha1, _sha1(salt + _sha1(password_sha1)))


def recover_password_sha1(response: bytes, salt: bytes, stored_hash: str) -> bytes | None:
    """SHA1(password) from a client's answer and the stored ``*HEX`` hash, or None if the answer is wrong."""
    try:
        double = bytes.fromhex(stored_hash.lstrip("*"))
    except ValueError:
        return None
    if len(response) != 20 or len(double) != 20:
        return None
    candidate = _xor(response, _sha1(salt + double))
    return candidate if hmac.compare_digest(_sha1(candidate), double) else None


def _salt() -> bytes:
    return bytes(random.SystemRandom().randint(1, 127) for _ in range(20))


# -- packets ---------------------------------------------------------------------------------


def _lenenc(data: bytes, position: int) -> tuple[int, int]:
    first = data[position]
    if first < 0xFB:
        return first, position + 1
    size = {0xFC: 2, 0xFD: 3, 0xFE: 8}[first]
    return int.from_bytes(data[position + 1 : position + 1 + size], "little"), position + 1 + size


def _lenenc_bytes(value: bytes) -> bytes:
    size = len(value)
    if size < 0xFB:
        prefix = bytes([size])
    elif size < 1 << 16:
        prefix = b"\xfc" + size.to_bytes(2, "little")
    else:
        prefix = b"\xfd" + size.to_bytes(3, "little")
    return prefix + value


def _cstring(data: bytes, position: int) -> tuple[bytes, int]:
    end = data.find(b"\0", position)
    if end < 0:
        return data[position:], len(data)
    return data[position:end], end + 1


def _header(length: int, sequence: int) -> bytes:
    return length.to_bytes(3, "little") + bytes([sequence & 0xFF])


def _error(code: int, message: str, state: str) -> bytes:
    return b"\xff" + struct.pack("<H", code) + b"#" + state.encode() + message.encode(errors="replace")


class Wire:
    """Reads and writes MySQL packets on a socket, never reading past the packet asked for."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sequence = 0

    def _exact(self, size: int) -> bytes:
        chunks, missing = [], size
        while missing:
            chunk = self.sock.recv(missing)
            if not chunk:
                raise ConnectionError("the peer closed the connection")
            chunks.append(chunk)
            missing -= len(chunk)
        return b"".join(chunks)

    def read(self) -> bytes:
        payload = b""
        while True:
            header = self._exact(4)
            length = int.from_bytes(header[:3], "little")
            self.sequence = header[3]
            payload += self._exact(length)
            if length < MAX_PACKET:
                return payload

    def write(self, payload: bytes) -> None:
        self.sequence = (self.sequence + 1) & 0xFF
        self.sock.sendall(_header(len(payload), self.sequence) + payload)

    def first(self, payload: bytes) -> None:
        self.sequence = 0
        self.sock.sendall(_header(len(payload), 0) + payload)


@dataclass
class Hello:
    """The client's HandshakeResponse41."""

    capabilities: int
    max_packet: int
    charset: int
    user: str
    auth_response: bytes
    database: str | None
    plugin: str
    attributes: bytes

    @classmethod
    def parse(cls, payload: bytes) -> Hello:
        capabilities, max_packet, charset = struct.unpack_from("<IIB", payload, 0)
        if not capabilities & CLIENT_PROTOCOL_41:
            raise ConnectionError("the client does not speak the 4.1 protocol")
        user, position = _cstring(payload, 32)
        if capabilities & CLIENT_PLUGIN_AUTH_LENENC:
            size, position = _lenenc(payload, position)
            response, position = payload[position : position + size], position + size
        elif capabilities & CLIENT_SECURE_CONNECTION:
            size = payload[position]
            response, position = payload[position + 1 : position + 1 + size], position + 1 + size
        else:
            response, position = _cstring(payload, position)
        database = None
        if capabilities & CLIENT_CONNECT_WITH_DB and position < len(payload):
            name, position = _cstring(payload, position)
            database = name.decode() or None
        plugin = b""
        if capabilities & CLIENT_PLUGIN_AUTH and position < len(payload):
            plugin, position = _cstring(payload, position)
        attributes = b""
        if capabilities & CLIENT_CONNECT_ATTRS and position < len(payload):
            size, start = _lenenc(payload, position)
            attributes = payload[position : start + size]
        return cls(
            capabilities,
            max_packet,
            charset,
            user.decode(errors="replace"),
            response,
            database,
            plugin.decode(errors="replace") or NATIVE,
            attributes,
        )


class Denied(Exception):
    """The client is refused with error 1045; the message is the reason, for the logs only."""


class Refused(Exception):
    """The client is refused with this code and message (no target, no server)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Login:
    """How the front end logs in to the cluster's MariaDB for a client."""

    server: mysql.Server
    user: str
    password: str | None = None
    password_sha1: bytes | None = None

    def answer(self, salt: bytes) -> bytes:
        if self.password_sha1 is not None:
            return scramble(self.password_sha1, salt)
        return scramble(_sha1(self.password.encode()), salt) if self.password else b""


# -- the MariaDB side ------------------------------------------------------------------------


class Backend:
    """A client connection to a cluster's MariaDB, over its socket."""

    def __init__(self, server: mysql.Server) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(str(server.socket))
        self.wire = Wire(self.sock)

    def login(self, login: Login, hello: Hello) -> bytes:
        """Log in; the backend's OK payload, or ``Refused`` with its ERR."""
        greeting = self.wire.read()
        _version, position = _cstring(greeting, 1)
        salt = greeting[position + 4 : position + 12]
        position += 13
        position += 2 + 1 + 2 + 2  # capabilities (low), charset, status, capabilities (high)
        salt_size = greeting[position]
        position += 11
        salt += greeting[position : position + max(13, salt_size - 8) - 1]
        capabilities = (hello.capabilities & CAPABILITIES & ~CLIENT_SSL) | (
            CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH
        )
        capabilities &= ~(CLIENT_CONNECT_WITH_DB | CLIENT_CONNECT_ATTRS | CLIENT_PLUGIN_AUTH_LENENC)
        if hello.database:
            capabilities |= CLIENT_CONNECT_WITH_DB
        if hello.attributes:
            capabilities |= CLIENT_CONNECT_ATTRS
        charset = UTF8MB4_GENERAL_CI if hello.charset == UTF8MB4_0900_AI_CI else hello.charset
        answer = login.answer(salt)
        payload = (
            struct.pack("<IIB", capabilities, hello.max_packet or MAX_PACKET, charset)
            + bytes(23)
            + login.user.encode()
            + b"\0"
            + bytes([len(answer)])
            + answer
            + (hello.database.encode() + b"\0" if hello.database else b"")
            + NATIVE.encode()
            + b"\0"
            + hello.attributes
        )
        self.wire.write(payload)
        while True:
            reply = self.wire.read()
            if reply[:1] == b"\x00":
                self.sock.settimeout(None)
                return reply
            if reply[:1] == b"\xff":
                code = struct.unpack_from("<H", reply, 1)[0]
                raise Refused(code, reply[9:].decode(errors="replace"))
            if reply[:1] == b"\xfe":
                plugin, position = _cstring(reply, 1)
                if plugin.decode() != NATIVE:
                    raise Refused(LOST_CONNECTION, f"the database asked for the {plugin.decode()} plugin")
                self.wire.write(login.answer(reply[position : position + 20]))
                continue
            raise Refused(LOST_CONNECTION, "the database answered the login with an unknown packet")

    def close(self) -> None:
        self.sock.close()


# The session's TLS status variables: MariaDB's would describe its own socket, which carries no TLS, while the
# client's TLS ends at the front end (as it ends at Aurora's server, and at RDS Proxy): it answers for that session.
_TLS_STATUS = re.compile(r"\s*SHOW\s+(?:SESSION\s+|LOCAL\s+)?STATUS\s+LIKE\s+'(ssl_cipher|ssl_version)'\s*;?\s*", re.I)


def tls_status_statement(statement: str, client: socket.socket) -> str:
    """``SHOW [SESSION] STATUS LIKE 'Ssl_cipher'`` (or ``'Ssl_version'``) as a SELECT of the client's TLS session
    (empty without TLS, as MySQL answers); any other statement unchanged."""
    match = _TLS_STATUS.fullmatch(statement)
    if not match:
        return statement
    cipher = client.cipher() if isinstance(client, ssl.SSLSocket) else None
    name = match[1].capitalize()
    value = "" if cipher is None else cipher[0] if name == "Ssl_cipher" else cipher[1]
    return f"SELECT '{name}' AS Variable_name, '{value}' AS Value"


# -- endpoints -------------------------------------------------------------------------------


class Endpoint:
    """What a listener serves: how it checks clients and which server it logs them in to."""

    kind = ""
    address = ""
    port = 0
    # The endpoint's address in its VPC, reached through a Client VPN tunnel (``openvpn.expose``).
    vpc_address: str | None = None

    def name(self) -> str:
        raise NotImplementedError

    def addresses(self) -> tuple[str, ...]:
        """The addresses a client may reach the endpoint at (its certificate's IP SANs)."""
        return (self.address, self.vpc_address) if self.vpc_address else (self.address,)

    def resource_id(self) -> str:
        """The resource of the ``rds-db:connect`` ARN: ``dbuser:<resource id>/<user>``."""
        raise NotImplementedError

    def idle_timeout(self) -> float | None:
        return None

    def authenticate(self, session: Session, hello: Hello) -> Login:
        raise NotImplementedError

    def log(self, message: str) -> None:
        LOG.warning("%s %s: %s", self.kind, self.name(), message)


def _available_server(cluster: Any) -> mysql.Server:
    """The running server of a cluster that has an available instance, else ``Refused``."""
    identifier = cluster.db_cluster_identifier
    if cluster.status != "available":
        raise Refused(LOST_CONNECTION, f"the cluster {identifier} is {cluster.status}")
    if not any(member.status == "available" for member in cluster.members):
        raise Refused(LOST_CONNECTION, f"the cluster {identifier} has no available DB instance")
    server = mysql.server(cluster.account_id, cluster.region, identifier)
    if server is None:
        raise Refused(LOST_CONNECTION, f"no database server runs for the cluster {identifier}")
    try:
        server.wait()
    except Unavailable as error:
        raise Refused(LOST_CONNECTION, str(error)) from None
    return server


def _verify_token(token: str, endpoint: Endpoint, user: str, region: str) -> None:
    """A valid token for this endpoint and user, whose signer may ``rds-db:connect``; else ``Denied``."""
    try:
        signer = rds_token.verify(token, endpoint.address, endpoint.port, user, region)
        rds_token.authorize(signer, region, endpoint.resource_id(), user)
    except rds_token.TokenError as error:
        raise Denied(f"IAM authentication of {user!r} failed: {error}") from None


class ClusterEndpoint(Endpoint):
    kind = "cluster"

    def __init__(self, cluster: Any) -> None:
        self.cluster = cluster

    def name(self) -> str:
        return self.cluster.db_cluster_identifier

    def resource_id(self) -> str:
        return self.cluster.db_cluster_resource_id

    def authenticate(self, session: Session, hello: Hello) -> Login:
        server = _available_server(self.cluster)
        account = server.stored_account(hello.user)
        if account is None:
            raise Denied(f"no user {hello.user!r}")
        stored_hash, plugin = account
        if mysql.is_iam_user(hello.user, stored_hash):
            if not self.cluster.iam_auth:
                raise Denied(f"{hello.user!r} is an IAM user and IAM database authentication is off")
            if not session.tls:
                raise Denied(f"{hello.user!r} is an IAM user: IAM authentication requires TLS")
            _verify_token(session.ask_clear_password(), self, hello.user, self.cluster.region)
            return Login(server, hello.user, password=mysql.iam_password(hello.user))
        if plugin != NATIVE:
            raise Denied(f"{hello.user!r} uses the {plugin} plugin, which the emulator's front end does not check")
        response = session.native_response(hello)
        if not stored_hash:
            if response:
                raise Denied(f"{hello.user!r} has no password")
            return Login(server, hello.user, password="")
        password_sha1 = recover_password_sha1(response, session.salt, stored_hash)
        if password_sha1 is None:
            raise Denied(f"wrong password for {hello.user!r}")
        return Login(server, hello.user, password_sha1=password_sha1)


def _entries(proxy: Any) -> list[dict[str, Any]]:
    return [entry.original_dict() if hasattr(entry, "original_dict") else dict(entry) for entry in proxy.auth or []]


class ProxyEndpoint(Endpoint):
    kind = "proxy"

    def __init__(self, proxy: Any) -> None:
        self.proxy = proxy

    def name(self) -> str:
        return self.proxy.db_proxy_name

    def resource_id(self) -> str:
        return self.proxy.unique_id

    def idle_timeout(self) -> float | None:
        return float(self.proxy.idle_client_timeout)

    def log(self, message: str) -> None:
        super().log(message)
        if self.proxy.debug_logging:
            _cloudwatch(self.proxy, message)

    def _target(self) -> tuple[Any, mysql.Server]:
        """The registered cluster and its running server."""
        from moto.rds.models import rds_backends

        backend = rds_backends[self.proxy.account_id][self.proxy.region]
        group = self.proxy.proxy_target_groups.get("default")
        for target in group.targets if group else []:
            cluster = backend.clusters.get(target.rds_resource_id) if target.type == "TRACKED_CLUSTER" else None
            if cluster is not None:
                try:
                    return cluster, _available_server(cluster)
                except Refused as refused:
                    raise Refused(LOST_CONNECTION, f"the proxy's target is not available: {refused}") from None
        raise Refused(LOST_CONNECTION, f"the proxy {self.name()} has no registered target")

    def _secret(self, user: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        from moto.secretsmanager.models import secretsmanager_backends

        backend = secretsmanager_backends[self.proxy.account_id][self.proxy.region]
        for entry in _entries(self.proxy):
            if entry.get("AuthScheme", "SECRETS") != "SECRETS" or not entry.get("SecretArn"):
                continue
            try:
                document = json.loads(backend.get_secret_value(entry["SecretArn"], None, "AWSCURRENT")["SecretString"])
            except Exception as error:  # noqa: BLE001 - any secret the proxy cannot read is logged and skipped
                self.log(f"cannot read the secret {entry['SecretArn']}: {error}")
                continue
            if document.get("username") == user:
                return entry, document
        return None

    def authenticate(self, session: Session, hello: Hello) -> Login:
        if self.proxy.require_tls and not session.tls:
            raise Denied("the proxy requires TLS (RequireTLS) and the client did not ask for it")
        user, region = hello.user, self.proxy.region
        if getattr(self.proxy, "default_auth_scheme", None) == "IAM_AUTH":
            _verify_token(session.ask_clear_password(), self, user, region)
            cluster, server = self._target()
            # The proxy logs in to the cluster as the same user with a token of its own role, which the
            # cluster checks as it checks any IAM login: rds-db:connect on dbuser:<cluster resource id>/<user>.
            try:
                rds_token.authorize_role(self.proxy.role_arn, region, cluster.db_cluster_resource_id, user)
            except rds_token.TokenError as error:
                raise Denied(f"end-to-end IAM: the proxy cannot connect to the database as {user!r}: {error}") from None
            account = server.stored_account(user)
            if account is None or not mysql.is_iam_user(user, account[0]):
                raise Denied(f"end-to-end IAM: {user!r} is not an IAM database user of the target cluster")
            return Login(server, user, password=mysql.iam_password(user))
        found = self._secret(user)
        if found is None:
            raise Denied(f"no secret of the proxy's Auth is for the user {user!r}")
        entry, document = found
        password = str(document.get("password", ""))
        iam = entry.get("IAMAuth", "DISABLED")
        if iam == "REQUIRED":
            _verify_token(session.ask_clear_password(), self, user, region)
        elif iam == "ENABLED":
            given = session.ask_clear_password()
            if not hmac.compare_digest(given.encode(), password.encode()):
                _verify_token(given, self, user, region)
        else:
            expected = scramble(_sha1(password.encode()), session.salt) if password else b""
            if not hmac.compare_digest(session.native_response(hello), expected):
                raise Denied(f"wrong password for {user!r}")
        return Login(self._target()[1], user, password=password)


def _cloudwatch(proxy: Any, message: str) -> None:
    """A line in the proxy's log group, as enhanced logging (DebugLogging) writes it."""
    from moto.logs.models import logs_backends

    backend = logs_backends[proxy.account_id][proxy.region]
    group, stream = f"/aws/rds/proxy/{proxy.db_proxy_name}", proxy.db_proxy_name
    try:
        if group not in backend.groups:
            backend.create_log_group(group, {})
        if stream not in backend.groups[group].streams:
            backend.create_log_stream(group, stream)
        stamp = datetime.datetime.now(datetime.UTC)
        backend.put_log_events(
            group,
            stream,
            [{"timestamp": int(stamp.timestamp() * 1000), "message": f"{stamp:%Y-%m-%dT%H:%M:%SZ} {message}"}],
        )
    except Exception:  # noqa: BLE001 - the log is best effort, the emulator's own log has the line
        LOG.exception("cannot write to %s", group)


# -- sessions and listeners ------------------------------------------------------------------


class Session:
    """One client connection, from the greeting to the end of its relayed session."""

    def __init__(self, endpoint: Endpoint, client: socket.socket, peer: str) -> None:
        self.endpoint, self.client, self.peer = endpoint, client, peer
        self.wire = Wire(client)
        self.salt = _salt()
        self.tls = False
        self.backend: Backend | None = None
        self.closed = threading.Event()

    def ask_clear_password(self) -> str:
        self.wire.write(b"\xfe" + CLEAR.encode() + b"\0")
        return self.wire.read().rstrip(b"\0").decode(errors="replace")

    def native_response(self, hello: Hello) -> bytes:
        if hello.plugin == NATIVE:
            return hello.auth_response
        self.wire.write(b"\xfe" + NATIVE.encode() + b"\0" + self.salt + b"\0")
        return self.wire.read()

    def _greet(self) -> None:
        capabilities = CAPABILITIES | CLIENT_SSL
        self.wire.first(
            b"\x0a"
            + SERVER_VERSION.encode()
            + b"\0"
            + struct.pack("<I", next(_connection_ids) & 0xFFFFFFFF)
            + self.salt[:8]
            + b"\0"
            + struct.pack("<HBHH", capabilities & 0xFFFF, UTF8MB4_GENERAL_CI, 2, capabilities >> 16)
            + bytes([len(self.salt) + 1])
            + bytes(10)
            + self.salt[8:]
            + b"\0"
            + NATIVE.encode()
            + b"\0"
        )

    def _hello(self) -> Hello:
        payload = self.wire.read()
        if len(payload) == 32 and struct.unpack_from("<I", payload)[0] & CLIENT_SSL:
            sequence = self.wire.sequence
            context = certificates.server_context(*self.endpoint.addresses())
            self.client = context.wrap_socket(self.client, server_side=True)
            self.wire = Wire(self.client)
            self.wire.sequence = sequence
            self.tls = True
            payload = self.wire.read()
        return Hello.parse(payload)

    def run(self) -> None:
        user = "?"
        try:
            self.client.settimeout(30)
            self._greet()
            hello = self._hello()
            user = hello.user
            try:
                login = self.endpoint.authenticate(self, hello)
            except Denied as denied:
                self.endpoint.log(f"access denied for {user!r} from {self.peer}: {denied}")
                using = "YES" if hello.auth_response else "NO"
                self.wire.write(
                    _error(
                        ACCESS_DENIED,
                        f"Access denied for user '{user}'@'{self.peer}' (using password: {using})",
                        "28000",
                    )
                )
                return
            self.backend = Backend(login.server)
            ok = self.backend.login(login, hello)
            self.wire.write(ok)
            self._relay()
        except Refused as refused:
            self.endpoint.log(f"connection of {user!r} from {self.peer} refused: {refused}")
            self._try_error(refused.code, str(refused))
        except (pymysql.MySQLError, FileNotFoundError, ConnectionRefusedError) as error:
            # The cluster's server went away between the check and the login.
            self.endpoint.log(f"connection of {user!r} from {self.peer} lost: {error}")
            self._try_error(LOST_CONNECTION, f"Lost connection to the database server: {error}")
        except (OSError, ConnectionError, ssl.SSLError, ValueError, struct.error, IndexError) as error:
            LOG.debug("%s %s: connection from %s ended: %s", self.endpoint.kind, self.endpoint.name(), self.peer, error)
        finally:
            self.close()

    def _try_error(self, code: int, message: str) -> None:
        try:
            self.wire.write(_error(code, message, "HY000"))
        except OSError:
            pass

    def _relay(self) -> None:
        assert self.backend is not None
        client, server = self.client, self.backend.sock
        client.settimeout(None)
        idle = self.endpoint.idle_timeout()
        pending = b""
        last = time.monotonic()
        while not self.closed.is_set():
            wait = 1.0 if idle is None else max(0.0, min(1.0, last + idle - time.monotonic()))
            if isinstance(client, ssl.SSLSocket) and client.pending():
                readable = [client]
            else:
                readable, _, _ = select.select([client, server], [], [], wait)
            if not readable:
                if idle is not None and time.monotonic() - last >= idle:
                    self.endpoint.log(
                        f"closed the connection of {self.peer}: idle for {idle:.0f} s (IdleClientTimeout)"
                    )
                    return
                continue
            last = time.monotonic()
            if client in readable:
                data = client.recv(1 << 16)
                if not data:
                    return
                pending = self._forward(pending + data, server)
            if server in readable:
                data = server.recv(1 << 16)
                if not data:
                    return
                client.sendall(data)

    def _forward(self, data: bytes, server: socket.socket) -> bytes:
        """Send the complete packets of ``data`` on, statements translated; keep the incomplete rest."""
        packets = []
        while len(data) >= 4:
            length = int.from_bytes(data[:3], "little")
            if len(data) < 4 + length:
                break
            packet, data = data[: 4 + length], data[4 + length :]
            if packet[3] == 0 and 0 < length < MAX_PACKET and packet[4] in (COM_QUERY, COM_STMT_PREPARE):
                statement = packet[5:].decode(errors="surrogateescape")
                translated = tls_status_statement(mysql.translate_statement(statement), self.client)
                if translated != statement:
                    body = packet[4:5] + translated.encode(errors="surrogateescape")
                    packet = _header(len(body), 0) + body
            packets.append(packet)
        if packets:
            server.sendall(b"".join(packets))
        return data

    def close(self) -> None:
        self.closed.set()
        for sock in (self.client, self.backend.sock if self.backend else None):
            if sock is not None:
                try:
                    sock.close()
                except OSError:
                    pass


class Listener:
    """An endpoint's socket on its own loopback address; it listens once its resource is available."""

    def __init__(self, endpoint: Endpoint, port: int) -> None:
        self.endpoint = endpoint
        self.sock, endpoint.address = _bind(port)
        endpoint.port = port
        self.sessions: set[Session] = set()
        self.closed = threading.Event()
        self.listening = threading.Event()
        self._lock = threading.Lock()

    @property
    def address(self) -> str:
        return self.endpoint.address

    def activate(self, delay: float) -> None:
        threading.Thread(
            target=self._serve, args=(delay,), name=f"{self.endpoint.kind} {self.address}", daemon=True
        ).start()

    def _serve(self, delay: float) -> None:
        if self.closed.wait(delay):
            return
        self.sock.listen(64)
        self.sock.settimeout(0.25)
        self.listening.set()
        while not self.closed.is_set():
            try:
                client, peer = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            session = Session(self.endpoint, client, peer[0])
            with self._lock:
                self.sessions.add(session)
            threading.Thread(target=self._run, args=(session,), daemon=True).start()

    def _run(self, session: Session) -> None:
        try:
            session.run()
        finally:
            with self._lock:
                self.sessions.discard(session)

    def close(self) -> None:
        self.closed.set()
        # shutdown wakes an accept() under way in the serving thread, so the port closes now, not after its timeout.
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        with self._lock:
            sessions = list(self.sessions)
        for session in sessions:
            session.close()


def _bind(port: int) -> tuple[socket.socket, str]:
    """A TCP socket bound to ``port`` on a free address of 127.77.0.0/16 (not listening yet)."""
    chooser = random.SystemRandom()
    for _attempt in range(200):
        address = f"{ENDPOINT_NETWORK}.{chooser.randint(0, 255)}.{chooser.randint(1, 254)}"
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((address, port))
        except OSError:
            sock.close()
            continue
        return sock, address
    raise Unavailable(f"no free address in {ENDPOINT_NETWORK}.0.0/16 for port {port}")


_listeners: dict[tuple[str, str, str, str], Listener] = {}
_listeners_lock = threading.Lock()


def _name(key: tuple[str, str, str, str]) -> str:
    return "mysql-endpoint/" + "/".join(key)


def open_endpoint(
    key: tuple[str, str, str, str], endpoint: Endpoint, port: int, delay: float, vpc_address: str | None = None
) -> Listener:
    """Bind the endpoint's address now (the API reports it) and listen after ``delay`` seconds; with a
    ``vpc_address``, a Client VPN tunnel into the VPC reaches the endpoint there too."""
    close_endpoint(key)
    listener = Listener(endpoint, port)
    with _listeners_lock:
        _listeners[key] = listener
    if vpc_address:
        endpoint.vpc_address = vpc_address
        openvpn.expose(vpc_address, port, (listener.address, port))

    def forget() -> None:
        if vpc_address:
            openvpn.withdraw(vpc_address, port)
        listener.close()
        with _listeners_lock:
            if _listeners.get(key) is listener:
                del _listeners[key]

    supervisor().on_stop(_name(key), forget)
    listener.activate(delay)
    return listener


def listener(key: tuple[str, str, str, str]) -> Listener | None:
    with _listeners_lock:
        return _listeners.get(key)


def close_endpoint(key: tuple[str, str, str, str]) -> None:
    supervisor().stop(_name(key))


def health() -> dict[str, Any]:
    with _listeners_lock:
        listeners = dict(_listeners)
    return {
        "/".join(key[0::3]): {
            "endpoint": f"{item.address}:{item.endpoint.port}",
            "vpc_address": item.endpoint.vpc_address,
            "listening": item.listening.is_set(),
        }
        for key, item in listeners.items()
    }
