"""The aurora role against the emulator: check mode, converge, idempotence, facts, teardown, secrecy.

Its bad input is in the catalogue, bad_inputs.yml (test_bad_input.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ran

STAGE = "aurtest"
TAGS = ("--tags", "aurora")
FACTS = Path(__file__).parent / "targets" / "aurora" / "facts.yml"
LOG_PARAMETERS = {
    "server_audit_logging": "1",
    "general_log": "1",
    "slow_query_log": "1",
    "log_output": "FILE",
}


def cluster_id(stage: str) -> str:
    return f"livestack-{stage}-aurora"


def stored_secret(emulator, stage: str) -> dict:
    value = emulator.client("secretsmanager").get_secret_value(SecretId=f"livestack-{stage}/aurora/master")
    return json.loads(value["SecretString"])


def final_snapshots(emulator, stage: str) -> list[str]:
    snapshots = emulator.client("rds").describe_db_cluster_snapshots(SnapshotType="manual")["DBClusterSnapshots"]
    return [s["DBClusterSnapshotIdentifier"] for s in snapshots if s["DBClusterIdentifier"] == cluster_id(stage)]


def assert_nothing_left(emulator, stage: str) -> None:
    rds = emulator.client("rds")
    assert [c for c in rds.describe_db_clusters()["DBClusters"] if c["DBClusterIdentifier"] == cluster_id(stage)] == []
    assert [
        i for i in rds.describe_db_instances()["DBInstances"] if i["DBInstanceIdentifier"].startswith(cluster_id(stage))
    ] == []
    groups = rds.describe_db_subnet_groups()["DBSubnetGroups"]
    assert [g for g in groups if g["DBSubnetGroupName"] == cluster_id(stage)] == []
    parameter_groups = rds.describe_db_cluster_parameter_groups()["DBClusterParameterGroups"]
    assert [g for g in parameter_groups if g["DBClusterParameterGroupName"] == cluster_id(stage)] == []
    secrets = emulator.client("secretsmanager").list_secrets(IncludePlannedDeletion=True)["SecretList"]
    assert all("DeletedDate" in s for s in secrets if s["Name"] == f"livestack-{stage}/aurora/master")


@pytest.mark.playbook
def test_aurora_converges_once_publishes_its_facts_hides_its_password_and_tears_down(emulator, run_playbook, tmp_path):
    """One story on one network (converging the network is the slow part): every run below is --tags aurora."""
    network = run_playbook("site.yml", "--tags", "network", stage=STAGE)
    assert network.rc == 0, network.output[-5000:]
    try:
        emulator.clear_requests()
        check = run_playbook("site.yml", "--check", *TAGS, stage=STAGE)
        assert check.rc == 0, check.output[-5000:]
        assert check.recap["changed"] > 0
        assert emulator.requests()["mutating"] == 0

        first = run_playbook("site.yml", "-vvv", *TAGS, stage=STAGE)
        assert first.rc == 0, first.output[-5000:]
        # The writer is requested right after the cluster, which has its scaling configuration from CreateDBCluster
        # (no ModifyDBCluster): the two creations overlap (docs/aurora-critical-path.md).
        calls = emulator.requests(calls=True)["calls"]
        rds_changes = [call["action"] for call in calls if call["service"] == "rds" and call["mutating"]]
        assert rds_changes[rds_changes.index("CreateDBCluster") + 1] == "CreateDBInstance", rds_changes
        assert "ModifyDBCluster" not in rds_changes, rds_changes
        rds = emulator.client("rds")
        cluster = rds.describe_db_clusters(DBClusterIdentifier=cluster_id(STAGE))["DBClusters"][0]
        assert cluster["ServerlessV2ScalingConfiguration"] == {"MinCapacity": 0.5, "MaxCapacity": 16.0}
        assert cluster["IAMDatabaseAuthenticationEnabled"] is True
        assert sorted(cluster["EnabledCloudwatchLogsExports"]) == ["audit", "error", "general", "slowquery"]
        assert cluster["StorageEncrypted"] is True
        assert cluster["EngineVersion"] == "8.0.mysql_aurora.3.08.2"
        assert cluster["DBClusterParameterGroup"] == cluster_id(STAGE)
        # The default database and IAM user, named after the project, through the Data API it turned on.
        assert cluster["HttpEndpointEnabled"] is True
        master_secret = emulator.client("secretsmanager").describe_secret(SecretId=f"livestack-{STAGE}/aurora/master")
        users = emulator.client("rds-data").execute_statement(
            resourceArn=cluster["DBClusterArn"],
            secretArn=master_secret["ARN"],
            sql="SELECT User, plugin, ssl_type FROM mysql.user WHERE User = 'livestack'",
        )["records"]
        assert [[field["stringValue"] for field in row] for row in users] == [
            ["livestack", "AWSAuthenticationPlugin", "ANY"]
        ]
        assert [m["DBInstanceIdentifier"] for m in cluster["DBClusterMembers"]] == [f"{cluster_id(STAGE)}-1"]
        writer = rds.describe_db_instances(DBInstanceIdentifier=f"{cluster_id(STAGE)}-1")["DBInstances"][0]
        assert (writer["DBInstanceClass"], writer["PubliclyAccessible"]) == ("db.serverless", False)
        parameters = {
            p["ParameterName"]: p.get("ParameterValue")
            for p in rds.describe_db_cluster_parameters(DBClusterParameterGroupName=cluster_id(STAGE))["Parameters"]
        }
        assert {name: parameters[name] for name in LOG_PARAMETERS} == LOG_PARAMETERS
        secret = stored_secret(emulator, STAGE)
        assert {k: secret[k] for k in ("username", "engine", "host", "port", "dbClusterIdentifier")} == {
            "username": "admin",
            "engine": "mysql",
            "host": cluster["Endpoint"],
            "port": 3306,
            "dbClusterIdentifier": cluster_id(STAGE),
        }
        assert len(secret["password"]) == 32
        assert secret["password"] not in first.output  # -vvv: module arguments, results and facts all printed

        emulator.clear_requests()
        second = run_playbook("site.yml", "--diff", *TAGS, stage=STAGE)
        assert second.rc == 0, second.output[-5000:]
        assert second.recap["changed"] == 0, second.output[-5000:]
        assert emulator.requests()["mutating"] == 0
        assert stored_secret(emulator, STAGE) == secret

        converged_check = run_playbook("site.yml", "--check", *TAGS, stage=STAGE)
        assert converged_check.rc == 0 and converged_check.recap["changed"] == 0, converged_check.output[-5000:]
        # The no-change run found the cluster as asked in rds_cluster_info's answer (livestack.aws.unchanged_ids):
        # rds_cluster, rds_cluster_serverless_v2 and the secret's existence check did not run.
        skipped = ("Create the cluster", "Set the Serverless v2 scaling configuration and the HTTP endpoint",
                   "Look up whether the master secret exists or is scheduled for deletion")  # fmt: skip
        assert [task for task in skipped if ran(second.output, task)] == [], second.output[-5000:]
        assert ran(first.output, "Create the cluster"), "the test sees a task that ran"

        # Drift made out of band (retention, log exports, a tag, capacity, Data API) is still found and fixed.
        rds = emulator.client("rds")
        rds.modify_db_cluster(
            DBClusterIdentifier=cluster_id(STAGE),
            BackupRetentionPeriod=3,
            ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 4},
            ApplyImmediately=True,
        )
        rds.add_tags_to_resource(ResourceName=cluster["DBClusterArn"], Tags=[{"Key": "extra", "Value": "x"}])
        rds.disable_http_endpoint(ResourceArn=cluster["DBClusterArn"])
        drifted = run_playbook("site.yml", *TAGS, stage=STAGE)
        assert drifted.rc == 0 and drifted.recap["changed"] > 0, drifted.output[-5000:]
        fixed = rds.describe_db_clusters(DBClusterIdentifier=cluster_id(STAGE))["DBClusters"][0]
        assert fixed["BackupRetentionPeriod"] == 7
        assert fixed["ServerlessV2ScalingConfiguration"]["MaxCapacity"] == 16
        assert fixed["HttpEndpointEnabled"] is True
        assert "extra" not in {tag["Key"] for tag in fixed["TagList"]}

        facts_file = tmp_path / "facts.json"
        info = run_playbook(str(FACTS), stage=STAGE, extra_vars={"facts_file": str(facts_file)})
        assert info.rc == 0, info.output[-5000:]
        assert json.loads(facts_file.read_text()) == {
            "aurora_cluster_identifier": cluster_id(STAGE),
            "aurora_cluster_arn": cluster["DBClusterArn"],
            "aurora_cluster_resource_id": cluster["DbClusterResourceId"],
            "aurora_endpoint": cluster["Endpoint"],
            "aurora_reader_endpoint": cluster["ReaderEndpoint"],
            "aurora_port": 3306,
            "aurora_secret_arn": emulator.client("secretsmanager").describe_secret(
                SecretId=f"livestack-{STAGE}/aurora/master"
            )["ARN"],
            "aurora_master_username": "admin",
            "aurora_kms_key_id": "",
            "aurora_user_names": ["livestack"],
            "aurora_database_names": ["livestack"],
        }

        down = run_playbook("teardown.yml", *TAGS, stage=STAGE)
        assert down.rc == 0, down.output[-5000:]
        assert_nothing_left(emulator, STAGE)
        assert [s.startswith(f"{cluster_id(STAGE)}-final-") for s in final_snapshots(emulator, STAGE)] == [True]

    finally:
        cleanup = run_playbook(
            "teardown.yml", "--tags", "network,aurora", stage=STAGE, extra_vars={"aurora_skip_final_snapshot": True}
        )
        assert cleanup.rc == 0, cleanup.output[-5000:]
