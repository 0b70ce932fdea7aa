"""The sample handler against a real MySQL-compatible server: MariaDB from Debian, with TLS on.

The server is started here (skipped when ``mariadbd`` is not installed: apt-get install mariadb-server).
A local server cannot check IAM tokens, so it uses password authentication; the token's form is
checked on its own.
"""

from __future__ import annotations

import datetime
import importlib
import ipaddress
import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pymysql
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from .helpers import FILES  # noqa: E402

if str(FILES) not in sys.path:
    sys.path.insert(0, str(FILES))
sample_handler = importlib.import_module("sample_handler")

MARIADBD = shutil.which("mariadbd") or shutil.which("mariadbd", path="/usr/sbin:/usr/local/sbin")
INSTALL_DB = shutil.which("mariadb-install-db") or shutil.which("mariadb-install-db", path="/usr/bin:/usr/sbin")
pytestmark = pytest.mark.skipif(not (MARIADBD and INSTALL_DB), reason="MariaDB is not installed (mariadb-server)")


def _certificate(subject: str, key, issuer_name, issuer_key, ca: bool) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer_name or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(path: Path, certificate=None, key=None) -> Path:
    if certificate is not None:
        path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    else:
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
            )
        )
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def mariadb(tmp_path_factory):
    """A MariaDB server with TLS (its own CA), a database ``app`` and a user ``app`` that must use TLS."""
    work = tmp_path_factory.mktemp("mariadb")
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = _certificate("livestack test CA", ca_key, None, ca_key, ca=True)
    server_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    server = _certificate("localhost", server_key, ca.subject, ca_key, ca=False)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    paths = {
        "ca": _pem(work / "ca.pem", certificate=ca),
        "cert": _pem(work / "server.pem", certificate=server),
        "key": _pem(work / "server-key.pem", key=server_key),
        "other_ca": _pem(work / "other-ca.pem", certificate=_certificate("other CA", other_key, None, other_key, True)),
    }
    (work / "init.sql").write_text(
        "CREATE DATABASE IF NOT EXISTS app;\n"
        "CREATE USER IF NOT EXISTS 'app'@'%' IDENTIFIED BY 'local-only-password' REQUIRE SSL;\n"
        "GRANT ALL ON app.* TO 'app'@'%';\n"
    )
    data = work / "data"
    subprocess.run(
        [INSTALL_DB, "--no-defaults", f"--datadir={data}", "--user=root", "--skip-test-db",
         "--auth-root-authentication-method=normal"],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    port = _free_port()
    log = (work / "mariadbd.log").open("w")
    process = subprocess.Popen(
        [MARIADBD, "--no-defaults", f"--datadir={data}", "--user=root", f"--port={port}", "--bind-address=127.0.0.1",
         f"--socket={work / 'mysqld.sock'}", f"--pid-file={work / 'mysqld.pid'}", "--skip-name-resolve",
         f"--ssl-ca={paths['ca']}", f"--ssl-cert={paths['cert']}", f"--ssl-key={paths['key']}",
         f"--init-file={work / 'init.sql'}", "--innodb-buffer-pool-size=16M", "--skip-log-bin"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while True:
        try:
            pymysql.connect(host="127.0.0.1", port=port, user="app", password="local-only-password",
                            ssl={"ca": str(paths["ca"])}, connect_timeout=2).close()  # fmt: skip
            break
        except pymysql.MySQLError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"MariaDB did not start:\n{(work / 'mariadbd.log').read_text()[-3000:]}")
            time.sleep(0.3)
    yield {"port": port, **{name: str(path) for name, path in paths.items()}}
    process.terminate()
    process.wait(timeout=60)


@pytest.fixture
def database_environment(mariadb, monkeypatch):
    for name, value in {
        "DB_HOST": "localhost",
        "DB_PORT": str(mariadb["port"]),
        "DB_USER": "app",
        "DB_NAME": "app",
        "DB_CA_BUNDLE": mariadb["ca"],
        "DB_AUTH": "password",
        "DB_PASSWORD": "local-only-password",
    }.items():
        monkeypatch.setenv(name, value)
    sample_handler._pool().clear()
    yield mariadb
    for connection in sample_handler._pool().values():
        connection.close()
    sample_handler._pool().clear()


def test_the_handler_queries_over_verified_tls_and_reuses_its_connection(database_environment):
    first = sample_handler.handler({}, None)
    second = sample_handler.handler({}, None)

    assert first["statusCode"] == 200
    body, again = json.loads(first["body"]), json.loads(second["body"])
    assert body["user"] == "app@%"
    assert body["tls_cipher"]  # the session is encrypted
    assert again["connection_id"] == body["connection_id"]  # a warm invocation reuses the connection


def test_a_dropped_connection_is_opened_again(database_environment):
    before = json.loads(sample_handler.handler({}, None)["body"])["connection_id"]
    killer = sample_handler.connect(sample_handler.Settings.from_environment())
    with killer.cursor() as cursor:
        cursor.execute(f"KILL {int(before)}")
    killer.close()

    after = json.loads(sample_handler.handler({}, None)["body"])["connection_id"]
    assert after != before


def test_a_server_certificate_from_another_ca_is_refused(database_environment, monkeypatch):
    monkeypatch.setenv("DB_CA_BUNDLE", database_environment["other_ca"])
    with pytest.raises(pymysql.err.OperationalError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        sample_handler.handler({}, None)


def test_the_iam_auth_token_is_a_presigned_rds_connect_request(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    settings = sample_handler.Settings(
        "proxy.proxy-abc.eu-west-1.rds.amazonaws.com", 3306, "app", "app", "", "iam", "eu-west-1"
    )

    token = sample_handler.password(settings)

    assert not token.startswith("http")
    parts = urlsplit(f"https://{token}")
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert (parts.hostname, parts.port, parts.path) == (settings.host, 3306, "/")
    assert query["Action"] == "connect" and query["DBUser"] == "app"
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["X-Amz-Credential"].startswith("AKIDEXAMPLE/") and query["X-Amz-Credential"].endswith(
        "/eu-west-1/rds-db/aws4_request"
    )
    assert query["X-Amz-Expires"] == "900"
    assert len(query["X-Amz-Signature"]) == 64


@pytest.mark.parametrize(
    ("variable", "value", "error", "message"),
    [
        ("DB_HOST", "", ValueError, "DB_HOST is empty"),
        ("DB_CA_BUNDLE", "/nonexistent/bundle.pem", FileNotFoundError, "no CA bundle at /nonexistent/bundle.pem"),
    ],
)
def test_a_missing_endpoint_or_bundle_is_named_before_connecting(
    database_environment, monkeypatch, variable, value, error, message
):
    monkeypatch.setenv(variable, value)
    with pytest.raises(error, match=message):
        sample_handler.handler({}, None)
