"""The RDS Data API of the emulator, through boto3's rds-data client, on a cluster's real MariaDB server."""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.request
from dataclasses import dataclass

import pymysql
import pytest
from botocore.exceptions import ClientError
from conftest import start_emulator
from support.builders import rds_available

from livestack_emulator.extensions.apis import rds_data

MASTER_PASSWORD = "master-password-1"
APP_PASSWORD = "app-password-1"


@dataclass
class Cluster:
    arn: str
    secret: str


def error_code(raised: pytest.ExceptionInfo[ClientError]) -> str:
    return raised.value.response["Error"]["Code"]


def create_cluster(emulator, name: str, *, instance: bool = True, **extra) -> str:
    rds = emulator.client("rds")
    arn = rds.create_db_cluster(
        DBClusterIdentifier=name,
        Engine="aurora-mysql",
        EngineVersion="8.0.mysql_aurora.3.08.2",
        MasterUsername="admin",
        MasterUserPassword=MASTER_PASSWORD,
        ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 2},
        **extra,
    )["DBCluster"]["DBClusterArn"]
    if instance:
        rds.create_db_instance(
            DBInstanceIdentifier=f"{name}-writer",
            DBInstanceClass="db.serverless",
            Engine="aurora-mysql",
            DBClusterIdentifier=name,
        )
    return arn


def secret(emulator, name: str, value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return emulator.client("secretsmanager").create_secret(Name=name, SecretString=text)["ARN"]


@pytest.fixture(scope="module")
def cluster(emulator):
    arn = create_cluster(emulator, "data-api")
    rds_available(emulator.client("rds"), instances=["data-api-writer"])  # strict mode: creating a while
    emulator.client("rds").enable_http_endpoint(ResourceArn=arn)
    return Cluster(arn, secret(emulator, "data-api-master", {"username": "admin", "password": MASTER_PASSWORD}))


@pytest.fixture(scope="module")
def data(emulator):
    return emulator.client("rds-data")


@pytest.fixture(scope="module")
def app(emulator, cluster, data):
    """A database ``shop`` and a user ``app`` with a secret of its own, made through the Data API."""

    def run(sql: str) -> dict:
        return data.execute_statement(resourceArn=cluster.arn, secretArn=cluster.secret, sql=sql)

    run("CREATE DATABASE shop")
    run(f"CREATE USER 'app'@'%' IDENTIFIED BY '{APP_PASSWORD}'")
    run("GRANT SELECT, INSERT, UPDATE, DELETE ON shop.* TO 'app'@'%'")
    run(
        "CREATE TABLE shop.items (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64) NOT NULL,"
        " price DECIMAL(8,2), quantity BIGINT UNSIGNED, ratio DOUBLE, active BOOLEAN, data VARBINARY(16),"
        " added DATE, seen DATETIME(3), note TEXT)"
    )
    return secret(emulator, "data-api-app", {"username": "app", "password": APP_PASSWORD})


# -- the RDS side: the HTTP endpoint ------------------------------------------------------------


def test_enable_and_disable_http_endpoint(emulator, data):
    rds = emulator.client("rds")
    arn = create_cluster(emulator, "data-switch", instance=False)

    def enabled() -> bool:
        return rds.describe_db_clusters(DBClusterIdentifier="data-switch")["DBClusters"][0]["HttpEndpointEnabled"]

    assert enabled() is False
    answer = rds.enable_http_endpoint(ResourceArn=arn)
    assert (answer["ResourceArn"], answer["HttpEndpointEnabled"]) == (arn, True)
    assert enabled() is True
    # ModifyDBCluster's EnableHttpEndpoint is for Serverless v1 only: a provisioned cluster keeps its setting.
    rds.modify_db_cluster(DBClusterIdentifier="data-switch", EnableHttpEndpoint=False, ApplyImmediately=True)
    assert enabled() is True
    answer = rds.disable_http_endpoint(ResourceArn=arn)
    assert (answer["ResourceArn"], answer["HttpEndpointEnabled"]) == (arn, False)
    assert enabled() is False
    with pytest.raises(ClientError) as unknown:
        rds.enable_http_endpoint(ResourceArn=arn.replace("data-switch", "data-nowhere"))
    assert error_code(unknown) == "ResourceNotFoundFault"


def test_create_db_cluster_can_enable_the_http_endpoint(emulator):
    create_cluster(emulator, "data-created", instance=False, EnableHttpEndpoint=True)
    described = emulator.client("rds").describe_db_clusters(DBClusterIdentifier="data-created")["DBClusters"][0]
    assert described["HttpEndpointEnabled"] is True


def test_a_cluster_without_the_http_endpoint_refuses_calls(emulator, data, cluster):
    arn = create_cluster(emulator, "data-closed")
    for resource in (arn, cluster.arn.replace("data-api", "data-unknown"), cluster.arn.upper()):
        with pytest.raises(ClientError) as refused:
            data.execute_statement(resourceArn=resource, secretArn=cluster.secret, sql="SELECT 1")
        assert error_code(refused) == "HttpEndpointNotEnabledException"
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


# -- statements ----------------------------------------------------------------------------------


def test_insert_with_typed_parameters_and_select_them_back(data, cluster, app):
    inserted = data.execute_statement(
        resourceArn=cluster.arn,
        secretArn=app,
        database="shop",
        sql="INSERT INTO items (name, price, quantity, ratio, active, data, added, seen, note)"
        " VALUES (:name, :price, :quantity, :ratio, :active, :data, :added, :seen, :note)",
        parameters=[
            {"name": "name", "value": {"stringValue": "it's :not a placeholder"}},
            {"name": "price", "value": {"stringValue": "12.50"}, "typeHint": "DECIMAL"},
            {"name": "quantity", "value": {"longValue": 3}},
            {"name": "ratio", "value": {"doubleValue": 0.25}},
            {"name": "active", "value": {"booleanValue": True}},
            {"name": "data", "value": {"blobValue": b"\x00\x01binary"}},
            {"name": "added", "value": {"stringValue": "2026-11-29"}, "typeHint": "DATE"},
            {"name": "seen", "value": {"stringValue": "2026-11-29 23:30:00.125"}, "typeHint": "TIMESTAMP"},
            {"name": "note", "value": {"isNull": True}},
        ],
    )
    assert inserted["numberOfRecordsUpdated"] == 1
    [generated] = inserted["generatedFields"]
    row_id = generated["longValue"]

    selected = data.execute_statement(
        resourceArn=cluster.arn,
        secretArn=app,
        database="shop",
        sql="SELECT id, name, price, quantity, ratio, active, data, added, seen, note AS remark"
        " FROM items WHERE id = :id -- :id in a comment stays",
        parameters=[{"name": "id", "value": {"longValue": row_id}}],
        includeResultMetadata=True,
    )
    assert selected["numberOfRecordsUpdated"] == 0
    assert selected["records"] == [
        [
            {"longValue": row_id},
            {"stringValue": "it's :not a placeholder"},
            {"stringValue": "12.50"},
            {"longValue": 3},
            {"doubleValue": 0.25},
            {"booleanValue": True},
            {"blobValue": b"\x00\x01binary"},
            {"stringValue": "2026-11-29"},
            {"stringValue": "2026-11-29 23:30:00.125"},
            {"isNull": True},
        ]
    ]
    metadata = {column["label"]: column for column in selected["columnMetadata"]}
    assert list(metadata) == ["id", "name", "price", "quantity", "ratio", "active", "data", "added", "seen", "remark"]
    identity = metadata["id"]
    assert (identity["typeName"], identity["type"], identity["isAutoIncrement"]) == ("BIGINT", -5, True)
    assert (metadata["name"]["typeName"], metadata["name"]["type"], metadata["name"]["nullable"]) == ("VARCHAR", 12, 0)
    assert (metadata["price"]["typeName"], metadata["price"]["scale"]) == ("DECIMAL", 2)
    assert (metadata["quantity"]["typeName"], metadata["quantity"]["isSigned"]) == ("BIGINT UNSIGNED", False)
    assert metadata["active"]["typeName"] == "BIT"
    assert metadata["data"]["typeName"] == "VARBINARY"
    assert (metadata["remark"]["name"], metadata["remark"]["tableName"]) == ("note", "items")


def test_json_records_and_result_set_options(data, cluster, app):
    data.execute_statement(
        resourceArn=cluster.arn,
        secretArn=app,
        database="shop",
        sql="INSERT INTO items (name, price, quantity, active) VALUES ('json', 7.00, 9007199254740993, FALSE)",
    )
    query = {
        "resourceArn": cluster.arn,
        "secretArn": app,
        "database": "shop",
        "sql": "SELECT name, price, quantity, active, note FROM items WHERE name = 'json'",
    }
    answer = data.execute_statement(**query, formatRecordsAs="JSON", includeResultMetadata=True)
    assert "records" not in answer and "columnMetadata" not in answer
    assert json.loads(answer["formattedRecords"]) == [
        {"name": "json", "price": "7.00", "quantity": 9007199254740993, "active": False, "note": None}
    ]
    options = data.execute_statement(
        **query, resultSetOptions={"decimalReturnType": "DOUBLE_OR_LONG", "longReturnType": "STRING"}
    )
    assert options["records"][0][1:3] == [{"doubleValue": 7.0}, {"stringValue": "9007199254740993"}]


def test_batch_execute_statement(data, cluster, app):
    answer = data.batch_execute_statement(
        resourceArn=cluster.arn,
        secretArn=app,
        database="shop",
        sql="INSERT INTO items (name) VALUES (:name)",
        parameterSets=[[{"name": "name", "value": {"stringValue": f"batch-{n}"}}] for n in range(3)],
    )
    ids = [result["generatedFields"][0]["longValue"] for result in answer["updateResults"]]
    assert len(ids) == 3 and ids == sorted(ids) and len(set(ids)) == 3
    count = data.execute_statement(
        resourceArn=cluster.arn, secretArn=app, sql="SELECT COUNT(*) FROM shop.items WHERE name LIKE 'batch-%'"
    )
    assert count["records"] == [[{"longValue": 3}]]


def test_aurora_iam_user_syntax_passes_through_translate_statement(data, cluster):
    data.execute_statement(
        resourceArn=cluster.arn,
        secretArn=cluster.secret,
        sql="CREATE USER 'iam_dev'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL",
    )
    data.execute_statement(
        resourceArn=cluster.arn, secretArn=cluster.secret, sql="CREATE USER 'pw_dev'@'%' IDENTIFIED BY 'x-1'"
    )
    found = data.execute_statement(
        resourceArn=cluster.arn,
        secretArn=cluster.secret,
        sql="SELECT user, plugin, ssl_type FROM mysql.user WHERE user IN ('iam_dev', 'pw_dev', 'admin') ORDER BY user",
    )
    # As Aurora MySQL 3 lists them: the IAM user with AWS's plugin and TLS required, the others as they are.
    assert [[field["stringValue"] for field in row] for row in found["records"]] == [
        ["admin", "mysql_native_password", ""],
        ["iam_dev", "AWSAuthenticationPlugin", "ANY"],
        ["pw_dev", "mysql_native_password", ""],
    ]


# -- transactions --------------------------------------------------------------------------------


def names(data, cluster, secret_arn) -> set[str]:
    rows = data.execute_statement(resourceArn=cluster.arn, secretArn=secret_arn, sql="SELECT name FROM shop.items")
    return {row[0]["stringValue"] for row in rows["records"]}


def test_a_rolled_back_transaction_leaves_nothing_and_a_committed_one_stays(data, cluster, app):
    call = {"resourceArn": cluster.arn, "secretArn": app}
    rolled_back = data.begin_transaction(**call, database="shop")["transactionId"]
    data.execute_statement(**call, transactionId=rolled_back, sql="INSERT INTO items (name) VALUES ('rolled back')")
    assert "rolled back" not in names(data, cluster, app)  # not visible outside the transaction
    assert data.rollback_transaction(**call, transactionId=rolled_back)["transactionStatus"] == "Rollback Complete"
    assert "rolled back" not in names(data, cluster, app)

    committed = data.begin_transaction(**call, database="shop")["transactionId"]
    data.execute_statement(**call, transactionId=committed, sql="INSERT INTO items (name) VALUES ('committed')")
    assert data.commit_transaction(**call, transactionId=committed)["transactionStatus"] == "Transaction Committed"
    assert "committed" in names(data, cluster, app)

    with pytest.raises(ClientError) as ended:
        data.commit_transaction(**call, transactionId=committed)
    assert error_code(ended) == "TransactionNotFoundException"
    assert "already ended" in ended.value.response["Error"]["Message"]


def test_a_failing_statement_aborts_its_transaction(data, cluster, app):
    call = {"resourceArn": cluster.arn, "secretArn": app}
    transaction = data.begin_transaction(**call, database="shop")["transactionId"]
    data.execute_statement(**call, transactionId=transaction, sql="INSERT INTO items (name) VALUES ('aborted')")
    with pytest.raises(ClientError) as failed:
        data.execute_statement(**call, transactionId=transaction, sql="INSERT INTO missing VALUES (1)")
    assert error_code(failed) == "DatabaseErrorException"
    with pytest.raises(ClientError) as gone:
        data.execute_statement(**call, transactionId=transaction, sql="SELECT 1")
    assert error_code(gone) == "TransactionNotFoundException"
    assert "aborted due to an error" in gone.value.response["Error"]["Message"]
    assert "aborted" not in names(data, cluster, app)


def test_a_transaction_runs_one_statement_at_a_time(emulator, cluster, app):
    call = {"resourceArn": cluster.arn, "secretArn": app}
    data = emulator.client("rds-data")
    transaction = data.begin_transaction(**call)["transactionId"]
    slow = threading.Thread(
        target=data.execute_statement, kwargs={**call, "transactionId": transaction, "sql": "SELECT SLEEP(2)"}
    )
    slow.start()
    time.sleep(0.5)
    with pytest.raises(ClientError) as busy:
        emulator.client("rds-data").execute_statement(**call, transactionId=transaction, sql="SELECT 1")
    slow.join()
    assert error_code(busy) == "DatabaseErrorException"
    assert busy.value.response["Error"]["Message"] == "Transaction is still running a query"
    assert data.execute_statement(**call, transactionId=transaction, sql="SELECT 1")["records"] == [[{"longValue": 1}]]
    data.rollback_transaction(**call, transactionId=transaction)


def test_an_unknown_transaction_is_not_found(data, cluster):
    with pytest.raises(ClientError) as unknown:
        data.rollback_transaction(resourceArn=cluster.arn, secretArn=cluster.secret, transactionId="no-such-id")
    assert error_code(unknown) == "TransactionNotFoundException"
    assert unknown.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


# -- errors --------------------------------------------------------------------------------------


def test_a_failing_statement_is_a_database_error_with_the_servers_message(data, cluster):
    with pytest.raises(ClientError) as failed:
        data.execute_statement(resourceArn=cluster.arn, secretArn=cluster.secret, sql="SELECT * FROM shop.missing")
    assert error_code(failed) == "DatabaseErrorException"
    assert failed.value.response["Error"]["Message"] == (
        "Database error code: 1146. Message: Table 'shop.missing' doesn't exist"
    )


@pytest.mark.parametrize(
    ("secret_value", "code"),
    [
        (None, "SecretsErrorException"),
        ("not json", "InvalidSecretException"),
        ({"username": "admin"}, "InvalidSecretException"),
        ({"username": "admin", "password": "wrong"}, "DatabaseErrorException"),
    ],
    ids=["unknown", "not-json", "no-password", "wrong-password"],
)
def test_secret_errors(emulator, data, cluster, secret_value, code, request):
    arn = (
        cluster.secret.replace("data-api-master", "data-api-nothing")
        if secret_value is None
        else secret(emulator, f"data-api-{request.node.callspec.id}", secret_value)
    )
    with pytest.raises(ClientError) as refused:
        data.execute_statement(resourceArn=cluster.arn, secretArn=arn, sql="SELECT 1")
    assert error_code(refused) == code
    if code == "DatabaseErrorException":
        assert "1045" in refused.value.response["Error"]["Message"]


def test_a_cluster_without_an_instance_has_no_database(emulator, data, cluster):
    arn = create_cluster(emulator, "data-empty", instance=False, EnableHttpEndpoint=True)
    with pytest.raises(ClientError) as empty:
        data.execute_statement(resourceArn=arn, secretArn=cluster.secret, sql="SELECT 1")
    assert error_code(empty) == "DatabaseNotFoundException"


@pytest.mark.parametrize(
    "extra",
    [
        {"schema": "shop"},
        {"parameters": [{"name": "d", "value": {"stringValue": "29/11/2026"}, "typeHint": "DATE"}]},
        {"parameters": [{"name": "d", "value": {"arrayValue": {"longValues": [1]}}}]},
    ],
    ids=["schema", "bad-date", "array"],
)
def test_bad_requests(data, cluster, extra):
    with pytest.raises(ClientError) as refused:
        data.execute_statement(resourceArn=cluster.arn, secretArn=cluster.secret, sql="SELECT :d", **extra)
    assert error_code(refused) == "BadRequestException"


@pytest.fixture
def target(emulator, cluster) -> rds_data.Target:
    """The master user on the cluster's server, for run_with_timeout in this process."""
    with urllib.request.urlopen(f"{emulator.url}/_livestack/health", timeout=10) as response:
        host, port = json.load(response)["dataplane"]["mysql"]["servers"]["us-east-1/data-api"]["address"].split(":")
    return rds_data.Target(host, int(port), "admin", MASTER_PASSWORD)


def test_a_statement_past_the_timeout_is_stopped(target):
    connection = target.connect(None, autocommit=True)
    started = time.monotonic()
    with pytest.raises(rds_data.DataApiError) as timed_out:
        rds_data.run_with_timeout(connection, ["SELECT SLEEP(30)"], 0.5, False, target.kill)
    assert timed_out.value.code == "StatementTimeoutException"
    assert timed_out.value.members["dbConnectionId"] == connection.thread_id()
    with target.connect(None, autocommit=True) as watcher, watcher.cursor() as cursor:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            cursor.execute("SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(30)%'")
            if cursor.fetchone()[0] == 0:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the timed-out statement still runs")
    assert time.monotonic() - started < 10


def test_a_statement_past_the_timeout_continues_when_asked(target):
    connection = target.connect(None, autocommit=True)
    with pytest.raises(rds_data.DataApiError) as timed_out:
        rds_data.run_with_timeout(connection, ["SELECT SLEEP(1)"], 0.2, True, lambda _: pytest.fail("killed"))
    assert "continues to run" in timed_out.value.message
    assert connection.open  # still running its statement
    deadline = time.monotonic() + 10
    while connection.open and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not connection.open  # closed by the worker once the statement ended


def test_with_realistic_timing_the_writer_must_be_available_first(tmp_path):
    """The cluster (1 s) and its writer (2 s) are created at once; calls before the writer is ready fail."""
    spec = json.dumps({"scale": 0.5, "aurora_cluster": 2, "serverless_instance": 4})
    process, timed = start_emulator(tmp_path / "emulator.log", "--timing", spec)
    try:
        arn = create_cluster(timed, "data-timed", EnableHttpEndpoint=True)
        call = {
            "resourceArn": arn,
            "secretArn": secret(timed, "data-timed", {"username": "admin", "password": MASTER_PASSWORD}),
            "sql": "SELECT 1",
        }
        data = timed.client("rds-data")
        with pytest.raises(ClientError) as early:
            data.execute_statement(**call)
        assert error_code(early) == "DatabaseUnavailableException"
        assert early.value.response["ResponseMetadata"]["HTTPStatusCode"] == 504
        deadline = time.monotonic() + 30
        while True:
            try:
                assert data.execute_statement(**call)["records"] == [[{"longValue": 1}]]
                break
            except ClientError as error:
                assert error.response["Error"]["Code"] == "DatabaseUnavailableException"
                assert time.monotonic() < deadline, "the writer never became available"
                time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=30)


# -- pure parts ----------------------------------------------------------------------------------


def literal(value: object) -> str:
    return pymysql.converters.escape_item(value, "utf8mb4")


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT :a, :b", "SELECT 1, 'x'"),
        ("SELECT ':a', \":a\", `:a`", "SELECT ':a', \":a\", `:a`"),
        ("SELECT :a /* :a */ -- :a\n# :a\n", "SELECT 1 /* :a */ -- :a\n# :a\n"),
        ("SELECT @v := :a, :unknown", "SELECT @v := 1, :unknown"),
        ("SELECT 'it''s :a', :a", "SELECT 'it''s :a', 1"),
    ],
)
def test_bind_replaces_placeholders_outside_quotes_and_comments(sql, expected):
    parameters = [{"name": "a", "value": {"longValue": 1}}, {"name": "b", "value": {"stringValue": "x"}}]
    assert rds_data.bind(sql, parameters, literal) == expected


def test_bind_escapes_values():
    bound = rds_data.bind(
        "VALUES (:s, :n, :t, :b)",
        [
            {"name": "s", "value": {"stringValue": "o'brien\\"}},
            {"name": "n", "value": {"isNull": True}},
            {"name": "t", "value": {"booleanValue": False}},
            {"name": "b", "value": {"blobValue": base64.b64encode(b"\x00'").decode()}},
        ],
        literal,
    )
    assert bound == "VALUES ('o\\'brien\\\\', NULL, 0, _binary X'0027')"


def test_transactions_expire_after_three_idle_minutes():
    now = [0.0]

    class Connection:
        closed = False

        def close(self) -> None:
            self.closed = True

    transactions = rds_data.Transactions(clock=lambda: now[0], sweep_every=None)
    kept, idle = Connection(), Connection()
    first = transactions.begin("arn", kept, lambda _: None)
    second = transactions.begin("arn", idle, lambda _: None)
    now[0] = 150.0
    with transactions.use(first.id, "arn"):
        pass
    now[0] = 181.0
    transactions.expire()
    assert (kept.closed, idle.closed) == (False, True)
    with pytest.raises(rds_data.DataApiError) as expired:
        with transactions.use(second.id, "arn"):
            pass
    assert expired.value.code == "TransactionNotFoundException"
    assert "expired" in expired.value.message
    with pytest.raises(rds_data.DataApiError) as elsewhere:
        with transactions.use(first.id, "another cluster"):
            pass
    assert elsewhere.value.code == "TransactionNotFoundException"
