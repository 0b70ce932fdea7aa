"""The RDS Data API (``rds-data``, REST-JSON) on the MariaDB server behind each Aurora MySQL cluster.

``ExecuteStatement``, ``BatchExecuteStatement``, ``BeginTransaction``, ``CommitTransaction`` and
``RollbackTransaction`` (POST ``/Execute``, ``/BatchExecute``, ...), written to the botocore model
(rds-data 2018-08-01) and the Aurora user guide's Data API chapters, for Aurora Serverless v2 and
provisioned clusters (Aurora MySQL has a Data API for them since 2024):

- the cluster is found by its exact ARN and must have its HTTP endpoint enabled
  (``rds_http_endpoint``); the statement runs on the cluster's server (``dataplane.mysql``) as the
  user of the Secrets Manager secret named by ``secretArn`` (a JSON with ``username`` and
  ``password``), in ``database`` if given, after ``translate_statement`` (Aurora-only syntax);
- ``parameters`` bind ``:name`` placeholders outside quotes and comments, each value escaped by
  the MySQL driver (``typeHint`` DATE, TIME and TIMESTAMP are checked against their documented
  formats);
- results as the model's unions: ``records`` of ``Field`` (``longValue``, ``doubleValue``,
  ``stringValue``, ``booleanValue``, ``blobValue``, ``isNull``), ``columnMetadata`` with the JDBC
  type codes and names that MySQL Connector/J reports (the Data API is JDBC based: its JSON type
  mapping is given per JDBC type), ``numberOfRecordsUpdated``, ``generatedFields`` (the
  AUTO_INCREMENT value), ``formattedRecords`` for ``formatRecordsAs: JSON``, ``resultSetOptions``;
- a transaction keeps one connection until it is committed or rolled back, ends when one of its
  statements fails, and expires (rolled back) after three minutes without a call or 24 hours in
  all; a second call while one of its statements runs is refused;
- a call waits at most ``STATEMENT_TIMEOUT`` seconds for its statement; then the statement is
  killed, unless ``continueAfterTimeout``.

The errors are those the model gives Serverless v2 and provisioned clusters (``BadRequestException``
"only appears in calls from Aurora Serverless v1 databases", says the model); each is cited where
it is raised.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import botocore.session
import pymysql
from moto.rds.models import DBCluster, rds_backends
from moto.secretsmanager.exceptions import SecretsManagerClientError
from moto.secretsmanager.models import secretsmanager_backends
from pymysql.constants import CLIENT, FIELD_TYPE
from werkzeug.wrappers import Response

from ... import dataplane
from ...dataplane import mysql
from ...protocol import json_response
from .. import Call, Registry
from .rds_http_endpoint import cluster_by_arn

SERVICE = "rds-data"
# How long a call waits for its statement (the Data API's request timeout, Aurora user guide).
STATEMENT_TIMEOUT = 45.0
# "A transaction times out if no calls use its transaction ID in three minutes ... A transaction can
# run for a maximum of 24 hours" (the model's BeginTransaction documentation).
TRANSACTION_IDLE_SECONDS = 180.0
TRANSACTION_LONGEST_SECONDS = 24 * 3600.0
ENDED = "The transaction was already ended by CommitTransaction or RollbackTransaction."
ABORTED = "Transaction has been aborted due to an error from a previous call."


class DataApiError(Exception):
    """An error of the rds-data model: its code, message and HTTP status (read from the model)."""

    def __init__(self, code: str, message: str, **members: Any) -> None:
        super().__init__(message)
        self.code, self.message, self.members = code, message, members

    def response(self) -> Response:
        response = json_response({"message": self.message, **self.members}, status=_status(self.code))
        response.headers["x-amzn-ErrorType"] = self.code
        return response


@functools.cache
def _status(code: str) -> int:
    shape = botocore.session.get_session().get_service_model(SERVICE).shape_for(code)
    return int(shape.metadata["error"]["httpStatusCode"])


class StatementTimedOut(DataApiError):
    def __init__(self, message: str, connection_id: int) -> None:
        # StatementTimeoutException: "The execution of the SQL statement timed out" (the model).
        super().__init__("StatementTimeoutException", message, dbConnectionId=connection_id)


def bad_request(message: str) -> DataApiError:
    # BadRequestException: "There is an error in the call or in a SQL statement" (the model).
    return DataApiError("BadRequestException", message)


# -- parameters ----------------------------------------------------------------------------------

# What MySQL skips when it looks for placeholders: quoted strings and names, and comments.
_SQL_TOKENS = re.compile(
    r"""'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|`(?:[^`]|``)*`|--\s[^\n]*|\#[^\n]*|/\*.*?\*/"""
    r"""|(?<![:\w]):(?P<name>[A-Za-z_]\w*)""",
    re.DOTALL,
)
_FIELD_KINDS = {"isNull", "booleanValue", "longValue", "doubleValue", "stringValue", "blobValue"}
# The accepted formats of typeHint values (the model's SqlParameter documentation).
_HINT_FORMATS = {
    "DATE": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "TIME": re.compile(r"\d{2}:\d{2}:\d{2}(\.\d{1,9})?"),
    "TIMESTAMP": re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,9})?"),
}


def parameter_value(parameter: dict[str, Any]) -> Any:
    """The Python value of one ``SqlParameter`` (None, bool, int, float, str or bytes)."""
    name, value, hint = parameter.get("name"), parameter.get("value") or {}, parameter.get("typeHint")
    if len(value) != 1:
        raise bad_request(f"Parameter {name}: the value must have exactly one of {sorted(_FIELD_KINDS)}.")
    kind, raw = next(iter(value.items()))
    if kind not in _FIELD_KINDS:
        # "Array parameters are not supported" (the model's ExecuteStatement parameters).
        raise bad_request(f"Parameter {name}: {kind} is not supported; array parameters are not supported.")
    if hint and kind != "stringValue":
        raise bad_request(f"Parameter {name}: typeHint {hint} applies to a stringValue only.")
    if hint in _HINT_FORMATS and not _HINT_FORMATS[hint].fullmatch(raw):
        raise bad_request(f"Parameter {name}: {raw!r} is not a {hint} value of the documented format.")
    if kind == "isNull":
        return None
    if kind == "blobValue":
        try:
            return base64.b64decode(raw, validate=True)
        except binascii.Error as error:
            raise bad_request(f"Parameter {name}: blobValue is not base64.") from error
    return raw


def bind(sql: str, parameters: list[dict[str, Any]], literal: Callable[[Any], str]) -> str:
    """``sql`` with each ``:name`` of ``parameters`` replaced by the value's SQL literal."""
    values = {p["name"]: literal(parameter_value(p)) for p in parameters or [] if p.get("name")}

    def replace(match: re.Match[str]) -> str:
        name = match.group("name")
        return values.get(name, match.group(0)) if name else match.group(0)

    return _SQL_TOKENS.sub(replace, sql)


# -- results -------------------------------------------------------------------------------------

# Values the driver would turn into Python objects stay the server's text, as the Data API gives them.
_CONVERSIONS = {
    key: value
    for key, value in pymysql.converters.conversions.items()
    if key
    not in (
        FIELD_TYPE.DECIMAL,
        FIELD_TYPE.NEWDECIMAL,
        FIELD_TYPE.DATE,
        FIELD_TYPE.TIME,
        FIELD_TYPE.DATETIME,
        FIELD_TYPE.TIMESTAMP,
    )
}
_NOT_NULL, _UNSIGNED, _AUTO_INCREMENT, _ENUM, _SET = 1, 32, 512, 256, 2048
_BINARY_CHARSET = 63
_INTEGERS = {FIELD_TYPE.TINY, FIELD_TYPE.SHORT, FIELD_TYPE.LONG, FIELD_TYPE.LONGLONG, FIELD_TYPE.INT24, FIELD_TYPE.YEAR}
_DECIMALS = {FIELD_TYPE.DECIMAL, FIELD_TYPE.NEWDECIMAL}
_FLOATS = {FIELD_TYPE.FLOAT, FIELD_TYPE.DOUBLE}
_BLOBS = {FIELD_TYPE.TINY_BLOB, FIELD_TYPE.MEDIUM_BLOB, FIELD_TYPE.LONG_BLOB, FIELD_TYPE.BLOB}
# MySQL type -> (type name, java.sql.Types code), as MySQL Connector/J reports them.
_JDBC = {
    FIELD_TYPE.DECIMAL: ("DECIMAL", 3),
    FIELD_TYPE.NEWDECIMAL: ("DECIMAL", 3),
    FIELD_TYPE.TINY: ("TINYINT", -6),
    FIELD_TYPE.SHORT: ("SMALLINT", 5),
    FIELD_TYPE.LONG: ("INT", 4),
    FIELD_TYPE.FLOAT: ("FLOAT", 7),
    FIELD_TYPE.DOUBLE: ("DOUBLE", 8),
    FIELD_TYPE.NULL: ("NULL", 0),
    FIELD_TYPE.TIMESTAMP: ("TIMESTAMP", 93),
    FIELD_TYPE.LONGLONG: ("BIGINT", -5),
    FIELD_TYPE.INT24: ("MEDIUMINT", 4),
    FIELD_TYPE.DATE: ("DATE", 91),
    FIELD_TYPE.TIME: ("TIME", 92),
    FIELD_TYPE.DATETIME: ("DATETIME", 93),
    FIELD_TYPE.YEAR: ("YEAR", 91),
    FIELD_TYPE.BIT: ("BIT", -7),
    FIELD_TYPE.JSON: ("JSON", -1),
    FIELD_TYPE.GEOMETRY: ("GEOMETRY", -2),
}


@dataclass
class Result:
    """What one statement gave: its column definitions, rows, update count and generated key."""

    fields: list[Any]
    rows: list[tuple[Any, ...]]
    rowcount: int
    lastrowid: int | None


@dataclass
class Options:
    include_metadata: bool = False
    json_records: bool = False
    decimal_return: str = "STRING"
    long_return: str = "LONG"


def _boolean(column: Any) -> bool:
    # Connector/J reads TINYINT(1) and BIT(1) as BOOLEAN (tinyInt1isBit), so the Data API does.
    return column.type_code in (FIELD_TYPE.TINY, FIELD_TYPE.BIT) and column.length == 1


def _binary(column: Any) -> bool:
    return column.charsetnr == _BINARY_CHARSET and column.type_code not in _INTEGERS | _FLOATS | _DECIMALS


def _type(column: Any) -> tuple[str, int]:
    code, binary = column.type_code, _binary(column)
    if _boolean(column):
        return "BIT", -7
    if code in (FIELD_TYPE.VARCHAR, FIELD_TYPE.VAR_STRING):
        return ("VARBINARY", -3) if binary else ("VARCHAR", 12)
    if code == FIELD_TYPE.STRING:
        if column.flags & _ENUM:
            return "ENUM", 1
        if column.flags & _SET:
            return "SET", 1
        return ("BINARY", -2) if binary else ("CHAR", 1)
    if code in _BLOBS:
        return ("BLOB", -4) if binary else ("TEXT", -1)
    name, jdbc = _JDBC.get(code, ("UNKNOWN", 1111))
    if code in _INTEGERS | _FLOATS | _DECIMALS and column.flags & _UNSIGNED:
        name += " UNSIGNED"
    return name, jdbc


def column_metadata(column: Any) -> dict[str, Any]:
    """A ``ColumnMetadata`` of the model, from a MySQL column definition."""
    name, jdbc = _type(column)
    numeric = column.type_code in _INTEGERS | _FLOATS | _DECIMALS
    text = not numeric and not _binary(column) and column.type_code not in _JDBC
    return {
        "name": column.org_name or column.name,
        "label": column.name,
        "type": jdbc,
        "typeName": name,
        "schemaName": "",  # Connector/J reports MySQL databases as catalogs, not schemas
        "tableName": column.table_name,
        "isAutoIncrement": bool(column.flags & _AUTO_INCREMENT),
        "isSigned": numeric and not column.flags & _UNSIGNED,
        "isCurrency": False,
        # A text column compares case-insensitively under the server's default *_ci collation.
        "isCaseSensitive": _binary(column) or (text and column.charsetnr in _CASE_SENSITIVE_CHARSETS),
        "nullable": 0 if column.flags & _NOT_NULL else 1,
        "precision": column.get_column_length(),
        "scale": column.scale,
        "arrayBaseColumnType": 0,
    }


# utf8mb4_bin and utf8mb3_bin: the binary collations of the character sets the server uses.
_CASE_SENSITIVE_CHARSETS = {46, 83}


def _number(column: Any, value: Any, options: Options) -> Any:
    """The typed value of a numeric column under ``resultSetOptions`` (None: keep it a string)."""
    if column.type_code in _INTEGERS:
        return int(value) if options.long_return == "LONG" and -(2**63) <= int(value) < 2**63 else None
    if column.type_code in _FLOATS:
        return float(value)
    if options.decimal_return == "DOUBLE_OR_LONG":
        return int(value) if column.scale == 0 else float(value)
    return None


def field_value(column: Any, value: Any, options: Options) -> dict[str, Any]:
    """A ``Field`` union of the model for one value."""
    if value is None:
        return {"isNull": True}
    if _boolean(column):
        return {"booleanValue": bool(int.from_bytes(value, "big") if isinstance(value, bytes) else int(value))}
    if isinstance(value, bytes):
        return {"blobValue": base64.b64encode(value).decode()}
    number = _number(column, value, options) if column.type_code in _INTEGERS | _FLOATS | _DECIMALS else None
    if isinstance(number, int):
        return {"longValue": number}
    if isinstance(number, float):
        return {"doubleValue": number}
    return {"stringValue": str(value)}


def _json_value(column: Any, value: Any, options: Options) -> Any:
    # The Data API's JSON mapping (Aurora user guide, "Processing query results in JSON format").
    typed = field_value(column, value, options)
    kind, raw = next(iter(typed.items()))
    return None if kind == "isNull" else raw


def shape(result: Result, options: Options) -> dict[str, Any]:
    """The ``ExecuteStatementResponse`` of one statement's result."""
    if not result.fields:
        generated = [{"longValue": result.lastrowid}] if result.lastrowid else []
        return {"numberOfRecordsUpdated": result.rowcount, "generatedFields": generated}
    answer: dict[str, Any] = {"numberOfRecordsUpdated": 0}
    if options.json_records:
        # "records" and "columnMetadata" are blank with formatRecordsAs JSON (the model).
        rows = [
            {column.name: _json_value(column, value, options) for column, value in zip(result.fields, row, strict=True)}
            for row in result.rows
        ]
        answer["formattedRecords"] = json.dumps(rows, separators=(",", ":"))
        return answer
    answer["records"] = [
        [field_value(column, value, options) for column, value in zip(result.fields, row, strict=True)]
        for row in result.rows
    ]
    if options.include_metadata:
        answer["columnMetadata"] = [column_metadata(column) for column in result.fields]
    return answer


# -- running statements --------------------------------------------------------------------------


def connect(host: str, port: int, user: str, password: str, database: str | None, autocommit: bool):
    return pymysql.connect(
        host=host,
        port=port,
        user=user,
        password=password,
        database=database or None,
        autocommit=autocommit,
        charset="utf8mb4",
        conv=_CONVERSIONS,
        connect_timeout=10,
        # Connector/J counts matched rows, not changed ones (useAffectedRows=false).
        client_flag=CLIENT.FOUND_ROWS,
    )


def run(connection: Any, sql: str) -> Result:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        if cursor.description is None:
            return Result([], [], cursor.rowcount, cursor.lastrowid)
        # pymysql keeps the full column definitions (flags, charset) only on its result.
        return Result(list(cursor._result.fields), list(cursor.fetchall()), cursor.rowcount, None)


def run_with_timeout(
    connection: Any,
    statements: list[str],
    timeout: float,
    continue_after_timeout: bool,
    kill: Callable[[int], None],
) -> list[Result]:
    """Run the statements in a worker; after ``timeout`` seconds give up waiting and kill them
    (unless ``continue_after_timeout``: then the worker closes the connection when done)."""
    outcome: dict[str, Any] = {}
    done, abandoned = threading.Event(), threading.Event()

    def work() -> None:
        try:
            outcome["results"] = [run(connection, sql) for sql in statements]
        except BaseException as error:  # noqa: BLE001 - handed to the waiting call
            outcome["error"] = error
        finally:
            done.set()
            if abandoned.is_set():
                connection.close()

    threading.Thread(target=work, name="rds-data statement", daemon=True).start()
    if not done.wait(timeout):
        connection_id = connection.thread_id()
        abandoned.set()
        if not continue_after_timeout:
            kill(connection_id)
        raise StatementTimedOut(
            f"The statement did not finish within {timeout:.0f} seconds"
            + ("; it continues to run." if continue_after_timeout else " and was stopped."),
            connection_id,
        )
    if "error" in outcome:
        raise outcome["error"]
    return outcome["results"]


def database_error(error: pymysql.MySQLError) -> DataApiError:
    code, message = (error.args + (None, None))[:2] if error.args else (None, str(error))
    if isinstance(code, int) and code >= 2000:  # client errors: the server cannot be reached
        # DatabaseUnavailableException: "The writer instance in the DB cluster isn't available" (the model).
        return DataApiError("DatabaseUnavailableException", f"The database is not available: {message}")
    # DatabaseErrorException: "There was an error in processing the SQL statement" (the model).
    return DataApiError("DatabaseErrorException", f"Database error code: {code}. Message: {message}")


# -- transactions --------------------------------------------------------------------------------


@dataclass
class Transaction:
    id: str
    resource_arn: str
    connection: Any
    kill: Callable[[int], None]
    started: float
    used: float
    busy: threading.Lock = field(default_factory=threading.Lock)


class Transactions:
    """The open transactions, each holding its connection, and why recent ones ended."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, sweep_every: float | None = 5.0) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._open: dict[str, Transaction] = {}
        self._ended: OrderedDict[str, str] = OrderedDict()
        self._sweep_every = sweep_every
        self._sweeper: threading.Thread | None = None

    def _sweep(self) -> None:
        while True:
            time.sleep(self._sweep_every or 0)
            self.expire()

    def begin(self, resource_arn: str, connection: Any, kill: Callable[[int], None]) -> Transaction:
        now = self._clock()
        # The model's Id is at most 192 characters; AWS's are long opaque base64 strings.
        transaction = Transaction(
            base64.b64encode(secrets.token_bytes(96)).decode(), resource_arn, connection, kill, now, now
        )
        with self._lock:
            self._open[transaction.id] = transaction
            # Expired transactions are rolled back even if no call comes to notice.
            if self._sweeper is None and self._sweep_every:
                self._sweeper = threading.Thread(target=self._sweep, name="rds-data transactions", daemon=True)
                self._sweeper.start()
        return transaction

    def expire(self) -> None:
        now = self._clock()
        with self._lock:
            expired = [
                t
                for t in self._open.values()
                if not t.busy.locked()
                and (now - t.used > TRANSACTION_IDLE_SECONDS or now - t.started > TRANSACTION_LONGEST_SECONDS)
            ]
        for transaction in expired:
            self.end(transaction, "Transaction may be expired.")

    def end(self, transaction: Transaction, reason: str, close: bool = True) -> None:
        """Forget the transaction (its connection closed: the server rolls back what is not committed)."""
        with self._lock:
            if self._open.pop(transaction.id, None) is None:
                return
            self._ended[transaction.id] = reason
            while len(self._ended) > 1000:
                self._ended.popitem(last=False)
        if close:
            try:
                transaction.connection.close()
            except pymysql.MySQLError:
                pass

    @contextmanager
    def use(self, transaction_id: str, resource_arn: str) -> Iterator[Transaction]:
        """The open transaction of that id and cluster, held for one call."""
        self.expire()
        with self._lock:
            transaction = self._open.get(transaction_id)
            if transaction is None or transaction.resource_arn != resource_arn:
                # TransactionNotFoundException: "The transaction ID wasn't found"; the cause is appended
                # to the message (Aurora user guide, "Troubleshooting RDS Data API").
                cause = self._ended.get(transaction_id, "It was not created by a BeginTransaction call.")
                raise DataApiError(
                    "TransactionNotFoundException", f"Transaction {transaction_id} is not found. {cause}"
                )
            if not transaction.busy.acquire(blocking=False):
                raise DataApiError("DatabaseErrorException", "Transaction is still running a query")
        try:
            yield transaction
        finally:
            transaction.used = self._clock()
            transaction.busy.release()

    def clear(self) -> None:
        with self._lock:
            transactions = list(self._open.values())
        for transaction in transactions:
            self.end(transaction, "The emulator was reset.")


TRANSACTIONS = Transactions()


# -- the calls -----------------------------------------------------------------------------------


@dataclass
class Target:
    """Where and as whom a call runs: the cluster's server and the secret's user."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)

    def connect(self, database: str | None, autocommit: bool) -> Any:
        try:
            return connect(self.host, self.port, self.user, self.password, database, autocommit)
        except pymysql.MySQLError as error:
            raise database_error(error) from error

    def kill(self, connection_id: int) -> None:
        with connect(self.host, self.port, self.user, self.password, None, True) as killer:
            killer.cursor().execute(f"KILL QUERY {int(connection_id)}")


def _cluster(call: Call, arn: str) -> DBCluster:
    cluster = cluster_by_arn(rds_backends[call.account_id][call.region], arn)
    if cluster is None or not cluster.http_endpoint_enabled:
        # HttpEndpointNotEnabledException; an unknown ARN, or one not exactly the cluster's, gives the
        # same error (Aurora user guide, "Troubleshooting": "HttpEndpoint isn't enabled for cluster").
        raise DataApiError("HttpEndpointNotEnabledException", f"HttpEndpoint is not enabled for cluster {arn}")
    return cluster


def _target(call: Call, body: dict[str, Any]) -> Target:
    arn, secret_arn = body["resourceArn"], body["secretArn"]
    cluster = _cluster(call, arn)
    writer = next((member for member in cluster.members if member.is_cluster_writer), None)
    if writer is None:
        # DatabaseNotFoundException: "The DB cluster doesn't have a DB instance" (the model).
        raise DataApiError("DatabaseNotFoundException", f"The DB cluster {arn} doesn't have a DB instance.")
    if writer.status != "available":
        # DatabaseUnavailableException: "The writer instance in the DB cluster isn't available" (the model).
        raise DataApiError(
            "DatabaseUnavailableException", f"The writer instance {writer.db_instance_identifier} isn't available."
        )
    try:
        secret = secretsmanager_backends[call.account_id][call.region].get_secret_value(secret_arn, None, None)
    except SecretsManagerClientError as error:
        # SecretsErrorException: "The secret provided wasn't found" among its causes (the model).
        raise DataApiError("SecretsErrorException", f"{secret_arn}: {error.message}") from error
    try:
        credentials = json.loads(secret.get("SecretString") or "")
        user, password = credentials["username"], credentials["password"]
    except (ValueError, TypeError, KeyError) as error:
        # InvalidSecretException: "The Secrets Manager secret used with the request isn't valid" (the model).
        raise DataApiError(
            "InvalidSecretException",
            f"The secret {secret_arn} isn't valid: its SecretString must be a JSON object with username and password.",
        ) from error
    try:
        host, port = mysql.server_address(call.account_id, call.region, cluster.db_cluster_identifier)
    except dataplane.Unavailable as error:
        raise DataApiError("DatabaseUnavailableException", str(error)) from error
    return Target(host, port, str(user), str(password))


def _require(body: dict[str, Any], *names: str) -> None:
    missing = [name for name in names if not body.get(name)]
    if missing:
        raise bad_request(f"Missing required parameters: {', '.join(missing)}.")
    if "schema" in body:
        # "Schema parameter isn't supported": Serverless v2 and provisioned clusters reject calls that
        # give it (Aurora user guide, "Troubleshooting RDS Data API").
        raise bad_request("The schema parameter isn't supported.")


def _options(body: dict[str, Any]) -> Options:
    result_set = body.get("resultSetOptions") or {}
    return Options(
        include_metadata=bool(body.get("includeResultMetadata")),
        json_records=body.get("formatRecordsAs") == "JSON",
        decimal_return=result_set.get("decimalReturnType", "STRING"),
        long_return=result_set.get("longReturnType", "LONG"),
    )


def _statements(call: Call, body: dict[str, Any], parameter_sets: list[list[dict[str, Any]]]) -> list[Result]:
    """Run the call's SQL once per parameter set, in its transaction or on a connection of its own."""
    sql = mysql.translate_statement(body["sql"])
    continue_after_timeout = bool(body.get("continueAfterTimeout"))
    if body.get("transactionId"):
        _target(call, body)
        with TRANSACTIONS.use(body["transactionId"], body["resourceArn"]) as transaction:
            statements = [bind(sql, parameters, transaction.connection.literal) for parameters in parameter_sets]
            try:
                return run_with_timeout(
                    transaction.connection, statements, STATEMENT_TIMEOUT, continue_after_timeout, transaction.kill
                )
            except pymysql.MySQLError as error:
                # "Transaction has been aborted due to an error from a previous call" (Troubleshooting).
                TRANSACTIONS.end(transaction, ABORTED)
                raise database_error(error) from error
            except StatementTimedOut:
                # A statement that timed out ends its transaction; its worker closes the connection.
                TRANSACTIONS.end(transaction, ABORTED, close=False)
                raise
    target = _target(call, body)
    connection = target.connect(body.get("database"), autocommit=True)
    handed_over = False
    try:
        statements = [bind(sql, parameters, connection.literal) for parameters in parameter_sets]
        return run_with_timeout(connection, statements, STATEMENT_TIMEOUT, continue_after_timeout, target.kill)
    except StatementTimedOut:
        handed_over = True  # the worker still runs the statement and closes the connection when done
        raise
    except pymysql.MySQLError as error:
        raise database_error(error) from error
    finally:
        if not handed_over:
            connection.close()


def execute_statement(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    _require(body, "resourceArn", "secretArn", "sql")
    (result,) = _statements(call, body, [body.get("parameters") or []])
    return shape(result, _options(body))


def batch_execute_statement(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    _require(body, "resourceArn", "secretArn", "sql")
    parameter_sets = body.get("parameterSets") or []
    results = _statements(call, body, parameter_sets or [[]])
    if not parameter_sets:
        return {"updateResults": []}
    return {
        "updateResults": [{"generatedFields": [{"longValue": r.lastrowid}] if r.lastrowid else []} for r in results]
    }


def begin_transaction(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    _require(body, "resourceArn", "secretArn")
    target = _target(call, body)
    connection = target.connect(body.get("database"), autocommit=False)
    try:
        connection.begin()
    except pymysql.MySQLError as error:
        connection.close()
        raise database_error(error) from error
    return {"transactionId": TRANSACTIONS.begin(body["resourceArn"], connection, target.kill).id}


def _finish(commit: bool):
    def finish(call: Call, body: dict[str, Any]) -> dict[str, Any]:
        _require(body, "resourceArn", "secretArn", "transactionId")
        _target(call, body)
        with TRANSACTIONS.use(body["transactionId"], body["resourceArn"]) as transaction:
            try:
                transaction.connection.commit() if commit else transaction.connection.rollback()
            except pymysql.MySQLError as error:
                raise database_error(error) from error
            finally:
                TRANSACTIONS.end(transaction, ENDED)
        # The statuses of the API reference's examples.
        return {"transactionStatus": "Transaction Committed" if commit else "Rollback Complete"}

    return finish


def _handler(work: Callable[[Call, dict[str, Any]], dict[str, Any]]):
    def handler(call: Call) -> Response:
        try:
            body = json.loads(call.body or b"{}")
            if not isinstance(body, dict):
                raise bad_request("The request body must be a JSON object.")
            return json_response(work(call, body))
        except json.JSONDecodeError:
            return bad_request("The request body is not valid JSON.").response()
        except DataApiError as error:
            return error.response()

    return handler


def register(registry: Registry) -> None:
    for action, work in (
        ("ExecuteStatement", execute_statement),
        ("BatchExecuteStatement", batch_execute_statement),
        ("BeginTransaction", begin_transaction),
        ("CommitTransaction", _finish(commit=True)),
        ("RollbackTransaction", _finish(commit=False)),
    ):
        registry.action(SERVICE, action)(_handler(work))
    registry.on_reset(TRANSACTIONS.clear)
