"""The sample handler, the Python counterpart of the blog's ``Lambda.js``: a query through RDS Proxy.

It connects with an IAM authentication token (botocore's ``generate_db_auth_token``, valid
15 minutes, needed only to open a connection) over TLS verified against the CA bundle of where
the database runs (the RDS global bundle on AWS, the emulator's CA locally), and returns one row
as JSON: the time, the server's version, the user the session runs as and the session's TLS
cipher. The connection is kept in the module, so warm invocations reuse it (and a dropped one
is opened again), as the blog's handler does.

Environment: DB_HOST (the proxy endpoint), DB_PORT (3306), DB_USER, DB_NAME, DB_CA_BUNDLE
(default: ``rds-ca-bundle.pem`` packaged beside this file, as the dev_relay role deploys it;
``livestack-relay`` sets it to the same bundle on the developer's machine), DB_AUTH (``iam``, or
``password`` with DB_PASSWORD for a local server that cannot check IAM tokens), AWS_REGION.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pymysql

QUERY = "SELECT NOW() AS now, VERSION() AS version, CURRENT_USER() AS user, CONNECTION_ID() AS connection_id"


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    user: str
    database: str
    ca_bundle: str
    auth: str
    region: str

    @classmethod
    def from_environment(cls) -> Settings:
        environ = os.environ
        return cls(
            host=environ["DB_HOST"],
            port=int(environ.get("DB_PORT", "3306")),
            user=environ["DB_USER"],
            database=environ.get("DB_NAME", ""),
            ca_bundle=environ.get("DB_CA_BUNDLE") or str(Path(__file__).with_name("rds-ca-bundle.pem")),
            auth=environ.get("DB_AUTH", "iam"),
            region=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        )


def password(settings: Settings) -> str:
    """An IAM authentication token for the proxy, or the local server's password."""
    if settings.auth == "password":
        return os.environ["DB_PASSWORD"]
    rds = boto3.client("rds", region_name=settings.region)
    return rds.generate_db_auth_token(DBHostname=settings.host, Port=settings.port, DBUsername=settings.user)


def connect(settings: Settings) -> pymysql.connections.Connection:
    if not settings.host:
        raise ValueError("DB_HOST is empty: the stage has no database endpoint yet (converge its rds_proxy)")
    if not Path(settings.ca_bundle).is_file():  # pymysql would only say "No such file or directory"
        raise FileNotFoundError(f"no CA bundle at {settings.ca_bundle} to verify {settings.host}: set DB_CA_BUNDLE")
    return pymysql.connect(
        host=settings.host,
        port=settings.port,
        user=settings.user,
        password=password(settings),
        database=settings.database or None,
        ssl_ca=settings.ca_bundle,  # the server's certificate and host name are verified against this CA bundle
        ssl_verify_cert=True,
        ssl_verify_identity=True,
        connect_timeout=5,
        cursorclass=pymysql.cursors.DictCursor,
        autocommit=True,
    )


@functools.lru_cache(maxsize=1)
def _pool() -> dict[Settings, pymysql.connections.Connection]:
    """The warm Lambda's connections, by settings: kept across invocations."""
    return {}


def connection(settings: Settings) -> pymysql.connections.Connection:
    pool = _pool()
    current = pool.get(settings)
    if current is not None:
        try:
            current.ping(reconnect=False)
            return current
        except pymysql.MySQLError:
            current.close()
    pool[settings] = connect(settings)
    return pool[settings]


def handler(event: Any, context: Any) -> dict[str, Any]:
    settings = Settings.from_environment()
    with connection(settings).cursor() as cursor:
        cursor.execute(QUERY)
        row = cursor.fetchone()
        cursor.execute("SHOW STATUS LIKE 'Ssl_cipher'")  # the session's, "" without TLS
        cipher = (cursor.fetchone() or {}).get("Value", "")
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({**row, "tls_cipher": cipher}, default=str),
    }
