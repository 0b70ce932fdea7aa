"""RDS CreateDBInstance in an Aurora cluster: the instance reports the cluster's DB subnet group.

On AWS an Aurora instance lives in its cluster's DB subnet group, and DescribeDBInstances shows
that group as the instance's ``DBSubnetGroup`` (the botocore ``DBInstance`` shape). moto 5.2.5
leaves ``DBSubnetGroup`` out for an instance created without ``DBSubnetGroupName``, which the
CreateDBInstance of a cluster member normally is, and amazon.aws's rds_instance then fails with
KeyError 'DBSubnetGroup' on every run after the first. This extension lets the instance inherit
the group of its cluster when none is given.

In strict mode (``strict.py``) it also refuses, as AWS does, a ``db.serverless`` instance in a cluster
that has no ``ServerlessV2ScalingConfiguration`` yet: ``InvalidDBClusterStateFault`` "Set the Serverless v2
scaling configuration on the parent DB cluster before creating a Serverless v2 DB instance." (the fault is in
botocore's CreateDBInstance error list; the message as AWS answered it in cloudposse/terraform-aws-rds-cluster
PR #181 and aws-cloudformation/cloudformation-coverage-roadmap issue #1389; the CloudFormation reference of
AWS::RDS::DBCluster ServerlessV2ScalingConfiguration: "you must set this attribute before you add a DB
instance that uses the db.serverless DB instance class").
"""

from __future__ import annotations

from typing import Any

from moto.rds import models as rds_models
from moto.rds.exceptions import InvalidDBClusterStateFault

from ... import strict
from .. import Registry
from ..patching import patch

SCALING_FIRST = (
    "Set the Serverless v2 scaling configuration on the parent DB cluster before creating a Serverless v2 DB instance."
)


def register(registry: Registry) -> None:
    @patch(
        rds_models.RDSBackend,
        "create_db_instance",
        signature="(self, db_kwargs)",
        requires=("clusters", "subnet_groups"),
        why="moto leaves DBSubnetGroup out for a cluster member and creates a db.serverless instance in a cluster "
        "without ServerlessV2ScalingConfiguration",
        restores="an Aurora instance reports its cluster's DB subnet group; strict mode refuses the db.serverless "
        "instance with InvalidDBClusterStateFault",
    )
    def _(original):  # type: ignore[no-untyped-def]
        def create_db_instance(self: Any, db_kwargs: dict[str, Any]) -> Any:
            cluster = self.clusters.get(db_kwargs.get("db_cluster_identifier") or "")
            if (
                strict.current.enabled
                and cluster is not None
                and db_kwargs.get("db_instance_class") == "db.serverless"
                and not getattr(cluster, "serverless_v2_scaling_configuration", None)
            ):
                raise InvalidDBClusterStateFault(SCALING_FIRST)
            group = getattr(cluster, "db_subnet_group", None) if cluster is not None else None
            if group and not db_kwargs.get("db_subnet_group_name") and group in self.subnet_groups:
                db_kwargs = {**db_kwargs, "db_subnet_group_name": group}
            return original(self, db_kwargs)

        return create_db_instance
