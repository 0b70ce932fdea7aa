"""Emulator fixes for the aurora role: cluster parameter defaults, cluster instances' subnet group, deleted secrets."""

from __future__ import annotations

import pytest


def test_new_cluster_parameter_group_lists_engine_defaults_and_user_changes(emulator):
    rds = emulator.client("rds")
    rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName="pg-defaults", DBParameterGroupFamily="aurora-mysql8.0", Description="test"
    )
    try:
        parameters = {
            p["ParameterName"]: p
            for p in rds.describe_db_cluster_parameters(DBClusterParameterGroupName="pg-defaults")["Parameters"]
        }
        assert {"server_audit_logging", "general_log", "slow_query_log", "log_output"} <= set(parameters)
        assert parameters["general_log"]["Source"] == "engine-default"
        assert parameters["general_log"]["IsModifiable"] is True

        rds.modify_db_cluster_parameter_group(
            DBClusterParameterGroupName="pg-defaults",
            Parameters=[{"ParameterName": "general_log", "ParameterValue": "1", "ApplyMethod": "immediate"}],
        )
        changed = {
            p["ParameterName"]: p
            for p in rds.describe_db_cluster_parameters(DBClusterParameterGroupName="pg-defaults")["Parameters"]
        }
        assert (changed["general_log"]["ParameterValue"], changed["general_log"]["Source"]) == ("1", "user")
        assert changed["general_log"]["ApplyMethod"] == "immediate"
        assert changed["slow_query_log"]["Source"] == "engine-default"
    finally:
        rds.delete_db_cluster_parameter_group(DBClusterParameterGroupName="pg-defaults")


def test_cluster_instance_reports_the_clusters_subnet_group(emulator):
    ec2, rds = emulator.client("ec2"), emulator.client("rds")
    vpc = ec2.create_vpc(CidrBlock="10.6.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for cidr, zone in (("10.6.0.0/24", "us-east-1a"), ("10.6.1.0/24", "us-east-1b"))
    ]
    rds.create_db_subnet_group(DBSubnetGroupName="sng-inherit", DBSubnetGroupDescription="t", SubnetIds=subnets)
    rds.create_db_cluster(
        DBClusterIdentifier="inherit",
        Engine="aurora-mysql",
        EngineVersion="8.0.mysql_aurora.3.08.0",
        MasterUsername="admin",
        MasterUserPassword="not-a-real-password",
        DBSubnetGroupName="sng-inherit",
        ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 4},
    )
    try:
        rds.create_db_instance(
            DBInstanceIdentifier="inherit-1",
            DBClusterIdentifier="inherit",
            DBInstanceClass="db.serverless",
            Engine="aurora-mysql",
        )
        instance = rds.describe_db_instances(DBInstanceIdentifier="inherit-1")["DBInstances"][0]
        assert instance["DBSubnetGroup"]["DBSubnetGroupName"] == "sng-inherit"
        assert sorted(s["SubnetIdentifier"] for s in instance["DBSubnetGroup"]["Subnets"]) == sorted(subnets)
    finally:
        rds.delete_db_instance(DBInstanceIdentifier="inherit-1", SkipFinalSnapshot=True)
        rds.delete_db_cluster(DBClusterIdentifier="inherit", SkipFinalSnapshot=True)
        rds.delete_db_subnet_group(DBSubnetGroupName="sng-inherit")


def test_reading_a_secret_scheduled_for_deletion_fails_in_aws_words(emulator):
    secrets = emulator.client("secretsmanager")
    secrets.create_secret(Name="deleted-soon", SecretString="{}")
    assert secrets.get_secret_value(SecretId="deleted-soon")["SecretString"] == "{}"
    secrets.delete_secret(SecretId="deleted-soon", RecoveryWindowInDays=7)
    try:
        with pytest.raises(secrets.exceptions.InvalidRequestException, match="marked for deletion"):
            secrets.get_secret_value(SecretId="deleted-soon")
    finally:
        secrets.delete_secret(SecretId="deleted-soon", ForceDeleteWithoutRecovery=True)
    with pytest.raises(secrets.exceptions.ResourceNotFoundException):
        secrets.get_secret_value(SecretId="never-existed")
