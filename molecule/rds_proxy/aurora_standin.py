"""Stand-in for the aurora role in this scenario: the cluster and the secret the proxy needs, made with boto3.

aurora_standin.py create ENDPOINT STAGE SUBNET_ID,SUBNET_ID SECURITY_GROUP_ID  -> prints the aurora_* facts
aurora_standin.py delete ENDPOINT STAGE
"""

from __future__ import annotations

import json
import sys

import boto3


def clients(endpoint: str):
    options = dict(
        endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    return boto3.client("rds", **options), boto3.client("secretsmanager", **options)


def create(endpoint: str, stage: str, subnets: str, group: str) -> dict:
    rds, secrets = clients(endpoint)
    name = f"livestack-{stage}-aurora"
    secret = secrets.create_secret(
        Name=f"{name}-master", SecretString=json.dumps({"username": "admin", "password": "x" * 16})
    )
    rds.create_db_subnet_group(DBSubnetGroupName=name, DBSubnetGroupDescription=name, SubnetIds=subnets.split(","))
    cluster = rds.create_db_cluster(
        DBClusterIdentifier=name,
        Engine="aurora-mysql",
        MasterUsername="admin",
        MasterUserPassword="x" * 16,
        DBSubnetGroupName=name,
        VpcSecurityGroupIds=[group],
        EnableIAMDatabaseAuthentication=True,
    )["DBCluster"]
    rds.create_db_instance(
        DBInstanceIdentifier=f"{name}-1",
        DBInstanceClass="db.serverless",
        Engine="aurora-mysql",
        DBClusterIdentifier=name,
    )
    return {
        "aurora_cluster_identifier": cluster["DBClusterIdentifier"],
        "aurora_cluster_arn": cluster["DBClusterArn"],
        "aurora_cluster_resource_id": cluster["DbClusterResourceId"],
        "aurora_endpoint": cluster["Endpoint"],
        "aurora_port": cluster["Port"],
        "aurora_secret_arn": secret["ARN"],
        "aurora_master_username": "admin",
        "aurora_kms_key_id": "",
        # The users the aurora role declares: the proxy's role may connect to the cluster as exactly these.
        "aurora_user_names": ["app"],
    }


def delete(endpoint: str, stage: str) -> dict:
    rds, secrets = clients(endpoint)
    name = f"livestack-{stage}-aurora"
    for call in (
        lambda: rds.delete_db_instance(DBInstanceIdentifier=f"{name}-1", SkipFinalSnapshot=True),
        lambda: rds.delete_db_cluster(DBClusterIdentifier=name, SkipFinalSnapshot=True),
        lambda: rds.delete_db_subnet_group(DBSubnetGroupName=name),
        lambda: secrets.delete_secret(SecretId=f"{name}-master", ForceDeleteWithoutRecovery=True),
    ):
        try:
            call()
        except rds.exceptions.ClientError:
            pass
    return {}


if __name__ == "__main__":
    action, *arguments = sys.argv[1:]
    print(json.dumps(create(*arguments) if action == "create" else delete(*arguments)))
