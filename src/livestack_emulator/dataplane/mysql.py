"""The MariaDB server behind each Aurora MySQL cluster of the emulator.

When a cluster becomes available (after its scaled creation time with realistic timing), a
MariaDB server from the OS packages starts for it: a data directory copied from one
``mariadb-install-db`` template per emulator (made once, on the first cluster), ``mariadbd`` on
a free port of 127.0.0.1 and a socket in the cluster's state directory, with the cluster's
master user (password from CreateDBCluster / ModifyDBCluster, or from the managed secret) and
its ``DatabaseName``. It stops, and its directory goes, with the cluster, on emulator reset and
on exit (the data plane's supervisor).

Clients do not meet this server directly: they connect to the cluster's endpoint, served by
``mysql_proxy`` (TLS, IAM tokens), which logs in to this server for them over its socket.

IAM database users: Aurora's ``IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'`` has no
MariaDB plugin. ``translate_statement`` rewrites it to ``IDENTIFIED BY PASSWORD '<hash>'``,
the ``mysql_native_password`` hash of an internal password, the HMAC-SHA256 of the user name
under a key of this emulator (``iam_password``). The front end tells IAM users by that hash,
checks their IAM token, and logs in to MariaDB for them with the internal password, which no
client ever knows.

The contract the Data API (``rds-data``) uses: ``server_address`` and ``translate_statement``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pymysql

from . import Unavailable, binary, supervisor

LOG = logging.getLogger(__name__)

# One set of InnoDB settings for the template and the servers made from it: small files (the
# template is copied per cluster) and no fsync (a development emulator, not a durable store).
INNODB_OPTIONS = [
    "--innodb-log-file-size=4M",
    "--innodb-data-file-path=ibdata1:4M:autoextend",
    "--innodb-autoextend-increment=1",
    "--innodb-undo-tablespaces=0",
    "--innodb-buffer-pool-size=16M",
    "--innodb-flush-log-at-trx-commit=0",
    "--innodb-doublewrite=0",
    "--innodb-flush-method=nosync",
]
START_TIMEOUT = 60.0
ADMIN_USER = "livestack_admin"
_KEY_FILE = "iam.key"


@dataclass
class Server:
    """A cluster's MariaDB: where it listens, and whether it is ready."""

    account_id: str
    region: str
    cluster_identifier: str
    directory: Path
    socket_directory: Path
    port: int = 0
    admin_password: str = field(default_factory=lambda: secrets.token_hex(16), repr=False)
    ready: threading.Event = field(default_factory=threading.Event)
    error: str | None = None
    stopped: bool = False
    started_at: float = field(default_factory=time.monotonic)
    ready_after: float | None = None
    _admin_connection: Any = field(default=None, repr=False)
    _admin_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def name(self) -> str:
        return f"mysql/{self.account_id}/{self.region}/{self.cluster_identifier}"

    @property
    def pending_name(self) -> str:
        return f"{self.name} (starting)"

    @property
    def socket(self) -> Path:
        return self.socket_directory / "mysqld.sock"

    def wait(self, timeout: float = START_TIMEOUT) -> None:
        """Return once the server accepts connections, or raise ``Unavailable`` saying why not."""
        if not self.ready.wait(timeout) or self.error or self.stopped:
            raise Unavailable(
                self.error
                or f"the MariaDB server of cluster {self.cluster_identifier} "
                + ("was stopped" if self.stopped else f"did not start within {timeout:.0f} s")
            )

    def admin(self) -> pymysql.connections.Connection:
        """A connection with every privilege, over the server's socket (the front end's and the data plane's own)."""
        self.wait()
        return pymysql.connect(
            unix_socket=str(self.socket),
            user=ADMIN_USER,
            password=self.admin_password,
            autocommit=True,
        )

    def stored_account(self, user: str) -> tuple[str, str] | None:
        """(stored password hash, plugin) of ``user`` as MariaDB matches it from the front end (host
        ``localhost``, else ``%``), or None when there is no such user."""
        with self._admin_lock:
            for attempt in (1, 2):
                try:
                    if self._admin_connection is None:
                        self._admin_connection = self.admin()
                    with self._admin_connection.cursor() as cursor:
                        cursor.execute(
                            "SELECT Host, authentication_string, plugin FROM mysql.user"
                            " WHERE User = %s AND Host IN ('localhost', '%%')",
                            (user,),
                        )
                        rows = {host: (stored, plugin) for host, stored, plugin in cursor.fetchall()}
                    return rows.get("localhost") or rows.get("%")
                except pymysql.err.OperationalError:
                    self._admin_connection = None
                    if attempt == 2:
                        raise
        return None


_servers: dict[tuple[str, str, str], Server] = {}
_lock = threading.Lock()
_template_lock = threading.Lock()
_key_lock = threading.Lock()


def _key(account_id: str, region: str, cluster_identifier: str) -> tuple[str, str, str]:
    return (account_id, region, cluster_identifier.lower())


def server(account_id: str, region: str, cluster_identifier: str) -> Server | None:
    with _lock:
        return _servers.get(_key(account_id, region, cluster_identifier))


def server_address(account_id: str, region: str, cluster_identifier: str) -> tuple[str, int]:
    """Host and port of the cluster's MariaDB (waits while it starts); ``Unavailable`` when none runs."""
    found = server(account_id, region, cluster_identifier)
    if found is None:
        raise Unavailable(
            f"no MariaDB server runs for the Aurora cluster {cluster_identifier} ({account_id}, {region}): "
            "the cluster does not exist, is not available yet, or is not aurora-mysql"
        )
    found.wait()
    return "127.0.0.1", found.port


# -- IAM users ---------------------------------------------------------------------------------


def _iam_key() -> bytes:
    """The emulator's key of the internal IAM passwords, made once in its state directory."""
    path = supervisor().directory("mysql") / _KEY_FILE
    with _key_lock:
        if not path.exists():
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(secrets.token_bytes(32))
        return path.read_bytes()


def iam_password(user: str) -> str:
    """The internal password of an IAM database user: never shown to a client."""
    return hmac.new(_iam_key(), user.encode(), hashlib.sha256).hexdigest()


def native_hash(password: str | bytes) -> str:
    """``mysql_native_password``'s stored form: ``*`` and the upper-case hex of SHA1(SHA1(password))."""
    raw = password.encode() if isinstance(password, str) else password
    return "*" + hashlib.sha1(hashlib.sha1(raw).digest()).hexdigest().upper()


def is_iam_user(user: str, stored_hash: str) -> bool:
    return hmac.compare_digest(stored_hash.upper(), native_hash(iam_password(user)))


_NAME = r"""(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`[^`]*`|[\w$]+)"""
_HOST = r"""(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`[^`]*`|[\w.%$:-]+)"""
_IAM_SPEC = re.compile(
    rf"(?P<user>(?P<name>{_NAME})(?:\s*@\s*{_HOST})?)\s+IDENTIFIED\s+WITH\s+"
    r"(?:'AWSAuthenticationPlugin'|\"AWSAuthenticationPlugin\"|`AWSAuthenticationPlugin`|AWSAuthenticationPlugin)"
    r"\s+AS\s+(?:'RDS'|\"RDS\")",
    re.IGNORECASE,
)
# MySQL 8's explicit plugin with a password; MariaDB 10.11 has mysql_native_password only.
_PLUGIN_PASSWORD = re.compile(
    r"IDENTIFIED\s+WITH\s+['\"`]?(?:mysql_native_password|caching_sha2_password|sha256_password)['\"`]?\s+BY\s+",
    re.IGNORECASE,
)
_REQUIRE_SSL = re.compile(r"\s+REQUIRE\s+SSL\b", re.IGNORECASE)
IAM_PLUGIN = "AWSAuthenticationPlugin"
_USER_STATEMENT = re.compile(r"^\s*(?:/\*.*?\*/\s*)*(?:CREATE|ALTER)\s+USER\b", re.IGNORECASE | re.DOTALL)


def _unquote(name: str) -> str:
    if name[:1] in "'\"`" and name[-1:] == name[:1]:
        inner = name[1:-1]
        return inner.replace("``", "`") if name[0] == "`" else re.sub(r"\\(.)", r"\1", inner)
    return name


def translate_statement(sql: str) -> str:
    """An Aurora MySQL statement as MariaDB accepts it; any other statement unchanged.

    ``CREATE USER`` / ``ALTER USER`` with ``IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'``
    store the user with its internal IAM password's hash; ``IDENTIFIED WITH
    mysql_native_password|caching_sha2_password BY 'pw'`` becomes ``IDENTIFIED BY 'pw'``.
    """
    if not _USER_STATEMENT.match(sql):
        return sql

    def iam(match: re.Match[str]) -> str:
        password_hash = native_hash(iam_password(_unquote(match["name"])))
        return f"{match['user']} IDENTIFIED BY PASSWORD '{password_hash}'"

    translated = _IAM_SPEC.sub(iam, sql)
    if translated != sql:
        # The front end requires TLS of every IAM user; MariaDB would refuse its socket login to a user with
        # REQUIRE SSL. The mysql.user view reports ssl_type ANY for IAM users instead (user_view_statement).
        translated = _REQUIRE_SSL.sub("", translated)
    return _PLUGIN_PASSWORD.sub("IDENTIFIED BY ", translated)


def _sql_hmac_sha256_hex(message: str) -> str:
    """SQL computing ``hmac.new(key, message, sha256).hexdigest()`` for the IAM key (RFC 2104)."""
    key = _iam_key().ljust(64, b"\0")
    inner = bytes(byte ^ 0x36 for byte in key).hex()
    outer = bytes(byte ^ 0x5C for byte in key).hex()
    return f"SHA2(CONCAT(UNHEX('{outer}'), UNHEX(SHA2(CONCAT(UNHEX('{inner}'), {message}), 256))), 256)"


def _select_expression(definition: str, column: str) -> tuple[int, int]:
    """Where the expression of the select list's ``... AS `column``` is in a view's definition."""
    end = definition.find(f" AS `{column}`")
    if end < 0:
        raise Unavailable(f"the mysql.user view of this MariaDB has no {column} column")
    depth, quoted = 0, False
    for start in range(end - 1, -1, -1):
        char = definition[start]
        if char == "'":
            quoted = not quoted
        elif not quoted and char == ")":
            depth += 1
        elif not quoted and char == "(":
            depth -= 1
        elif not quoted and depth == 0 and char == ",":
            return start + 1, end
    raise Unavailable(f"the mysql.user view of this MariaDB has no {column} column where expected")


def user_view_statement(definition: str) -> str:
    """``mysql.user`` redefined from its current ``definition`` (information_schema.VIEWS) so that an IAM
    user reports plugin ``AWSAuthenticationPlugin`` and ssl_type ``ANY``, as Aurora MySQL 3 does (the front
    end requires TLS of IAM users). MariaDB authenticates from mysql.global_priv, which stays as it is."""
    authentication = "IFNULL(JSON_VALUE(`mysql`.`global_priv`.`Priv`,'$.authentication_string'),'')"
    iam = (
        f"{authentication} = CONCAT('*', UPPER(SHA1(UNHEX(SHA1("
        f"{_sql_hmac_sha256_hex('CONVERT(`mysql`.`global_priv`.`User` USING utf8mb4)')})))))"
    )
    replaced = definition
    for column, value in (("plugin", f"'{IAM_PLUGIN}'"), ("ssl_type", "'ANY'")):
        start, end = _select_expression(replaced, column)
        replaced = f"{replaced[:start]}IF({iam}, {value}, {replaced[start:end]}){replaced[end:]}"
    return f"CREATE OR REPLACE DEFINER='mariadb.sys'@'localhost' SQL SECURITY DEFINER VIEW mysql.user AS {replaced}"


# -- servers -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _template() -> Path:
    """The data directory every cluster's server starts from, made once per emulator."""
    root = supervisor().directory("mysql")
    template = root / "template"
    with _template_lock:
        if template.exists():
            return template
        install = binary("mariadb-install-db")
        building = root / "template.building"
        shutil.rmtree(building, ignore_errors=True)
        # A temporary directory of its own: /tmp may be shared with servers of other PID namespaces,
        # whose temporary file names (made of a process id) can be the same.
        scratch = root / "install-tmp"
        scratch.mkdir(exist_ok=True)
        result = subprocess.run(
            [
                install,
                "--no-defaults",
                f"--datadir={building}",
                "--user=root",
                "--skip-test-db",
                "--skip-name-resolve",
                f"--tmpdir={scratch}",
                *INNODB_OPTIONS,
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode:
            raise Unavailable(f"mariadb-install-db failed: {(result.stdout + result.stderr)[-2000:]}")
        building.rename(template)
        return template


def _quote(value: str) -> str:
    return "'" + pymysql.converters.escape_string(value) + "'"


def _init_statements(server_: Server, master_user: str, master_password: str, database: str | None) -> str:
    statements = [
        "DELETE FROM mysql.global_priv WHERE User = ''",
        f"CREATE USER {_quote(ADMIN_USER)}@'localhost' IDENTIFIED BY {_quote(server_.admin_password)}",
        f"GRANT ALL PRIVILEGES ON *.* TO {_quote(ADMIN_USER)}@'localhost' WITH GRANT OPTION",
        f"CREATE USER {_quote(master_user)}@'%' IDENTIFIED BY {_quote(master_password)}",
        f"GRANT ALL PRIVILEGES ON *.* TO {_quote(master_user)}@'%' WITH GRANT OPTION",
    ]
    if database:
        statements.append(f"CREATE DATABASE IF NOT EXISTS `{database.replace('`', '``')}`")
    return "".join(f"{statement};\n" for statement in statements)


def _boot(server_: Server, master_user: str, master_password: str, database: str | None) -> None:
    data = server_.directory / "data"
    shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(_template(), data, symlinks=True)
    init = server_.directory / "init.sql"
    descriptor = os.open(init, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(_init_statements(server_, master_user, master_password, database))
    log = server_.directory / "error.log"
    scratch = server_.directory / "tmp"
    scratch.mkdir(exist_ok=True)
    for _attempt in range(3):
        if server_.stopped:
            return
        server_.port = _free_port()
        process = supervisor().start(
            server_.name,
            [
                binary("mariadbd"),
                "--no-defaults",
                f"--datadir={data}",
                "--user=root",
                "--bind-address=127.0.0.1",
                f"--port={server_.port}",
                f"--socket={server_.socket}",
                f"--pid-file={server_.directory / 'mysqld.pid'}",
                f"--log-error={log}",
                f"--init-file={init}",
                f"--tmpdir={scratch}",
                "--skip-name-resolve",
                "--skip-log-bin",
                "--performance-schema=OFF",
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_general_ci",
                *INNODB_OPTIONS,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while process.poll() is None and time.monotonic() < deadline and not server_.stopped:
            try:
                pymysql.connect(
                    unix_socket=str(server_.socket), user=ADMIN_USER, password=server_.admin_password, connect_timeout=2
                ).close()
            except pymysql.MySQLError:
                time.sleep(0.02)
                continue
            init.unlink(missing_ok=True)
            _install_user_view(server_)
            supervisor().on_stop(server_.name, lambda: _forget(server_))
            server_.ready_after = time.monotonic() - server_.started_at
            LOG.info("MariaDB of cluster %s ready on 127.0.0.1:%d", server_.cluster_identifier, server_.port)
            server_.ready.set()
            return
        if server_.stopped:
            supervisor().stop(server_.name)  # deleted while it started
            return
        tail = log.read_text(errors="replace")[-1500:] if log.exists() else ""
        if "Address already in use" not in tail:
            raise Unavailable(f"mariadbd for cluster {server_.cluster_identifier} did not start: {tail}")
    raise Unavailable(f"mariadbd for cluster {server_.cluster_identifier} found no free port")


def _install_user_view(server_: Server) -> None:
    """mysql.user as Aurora MySQL 3 shows IAM users (``user_view_statement``)."""
    with pymysql.connect(unix_socket=str(server_.socket), user=ADMIN_USER, password=server_.admin_password) as admin:
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_SCHEMA = 'mysql'"
                " AND TABLE_NAME = 'user'"
            )
            cursor.execute(user_view_statement(cursor.fetchone()[0]))


def _forget(server_: Server) -> None:
    server_.stopped = True
    server_.ready.set()
    with _lock:
        if _servers.get(_key(server_.account_id, server_.region, server_.cluster_identifier)) is server_:
            del _servers[_key(server_.account_id, server_.region, server_.cluster_identifier)]
    shutil.rmtree(server_.directory, ignore_errors=True)
    shutil.rmtree(server_.socket_directory, ignore_errors=True)


def start(
    account_id: str,
    region: str,
    cluster_identifier: str,
    master_user: str,
    master_password: str,
    database: str | None = None,
    delay: float = 0.0,
) -> Server:
    """Start the cluster's server in the background after ``delay`` seconds (its creation time)."""
    stop(account_id, region, cluster_identifier)
    directory = supervisor().directory("mysql", account_id, region, cluster_identifier.lower())
    # A Unix socket path has at most 107 bytes: a deep state directory gets a short one of its own.
    short = len(str(directory / "mysqld.sock")) > 100
    sockets = Path(tempfile.mkdtemp(prefix="livestack-mysql-")) if short else directory
    server_ = Server(account_id, region, cluster_identifier.lower(), directory, sockets)
    with _lock:
        _servers[_key(account_id, region, cluster_identifier)] = server_
    # Stopping the pending name cancels a start under way (and forgets a server that failed to start).
    supervisor().on_stop(server_.pending_name, lambda: _forget(server_))

    def run() -> None:
        if server_.ready.wait(delay):  # set early only when the cluster is deleted meanwhile
            return
        try:
            _boot(server_, master_user, master_password, database)
        except Unavailable as error:
            server_.error = str(error)
            LOG.error("%s", error)
            server_.ready.set()
        except Exception as error:  # noqa: BLE001 - the thread's last word, reported to whoever waits
            server_.error = f"the MariaDB server of cluster {cluster_identifier} failed to start: {error!r}"
            LOG.exception("MariaDB of cluster %s", cluster_identifier)
            server_.ready.set()

    threading.Thread(target=run, name=server_.name, daemon=True).start()
    return server_


def stop(account_id: str, region: str, cluster_identifier: str) -> None:
    found = server(account_id, region, cluster_identifier)
    if found is not None:
        found.stopped = True
        supervisor().stop(found.name)
        supervisor().stop(found.pending_name)


def set_master_password(account_id: str, region: str, cluster_identifier: str, user: str, password: str) -> None:
    """ModifyDBCluster's new MasterUserPassword, applied to the running server (never failing the call)."""
    found = server(account_id, region, cluster_identifier)
    if found is None:
        return
    try:
        with found.admin() as connection, connection.cursor() as cursor:
            cursor.execute(f"ALTER USER {_quote(user)}@'%' IDENTIFIED BY {_quote(password)}")
    except (Unavailable, pymysql.MySQLError) as error:
        LOG.warning("the new master password of cluster %s did not reach its server: %s", cluster_identifier, error)


def master_password(cluster: Any) -> str:
    """The cluster's master password: given to CreateDBCluster/ModifyDBCluster, or in its managed secret."""
    if getattr(cluster, "manage_master_user_password", False):
        secret = cluster.master_user_secret.secret
        return json.loads(secret.secret_string)["password"]
    return cluster.__dict__.get("_master_user_password") or ""


def health() -> dict[str, Any]:
    """The MySQL data plane as ``/_livestack/health`` reports it."""
    try:
        binary("mariadbd")
        binary("mariadb-install-db")
        error = None
    except Unavailable as missing:
        error = str(missing)
    with _lock:
        servers = list(_servers.values())
    return {
        "available": error is None,
        **({"error": error} if error else {}),
        "servers": {
            f"{s.region}/{s.cluster_identifier}": {
                "address": f"127.0.0.1:{s.port}" if s.ready.is_set() and not s.error else None,
                "ready": s.ready.is_set() and not s.error and not s.stopped,
                "seconds_to_ready": s.ready_after,
                **({"error": s.error} if s.error else {}),
            }
            for s in servers
        },
    }
