"""Aurora MySQL clusters get a real MariaDB server (``dataplane.mysql``), started when the cluster
becomes available (its creation time with realistic timing) and stopped when it is deleted.

moto keeps the records; this extension follows them: CreateDBCluster and
RestoreDBClusterFromSnapshot start a server, ModifyDBCluster's MasterUserPassword (or a managed
secret turned on) reaches it, DeleteDBCluster stops it. A server that cannot run (MariaDB not
installed) does not fail the API call: ``/_livestack/health`` and every connection say why.
"""

from __future__ import annotations

from typing import Any

from moto.rds import models as rds_models

from .. import timing
from ..dataplane import mysql
from . import Registry

ENGINES = {"aurora-mysql"}


def _start(cluster: Any, delay: float) -> None:
    if cluster.engine not in ENGINES:
        return
    mysql.start(
        cluster.account_id,
        cluster.region,
        cluster.db_cluster_identifier,
        cluster.master_username,
        mysql.master_password(cluster),
        cluster.database_name,
        delay=delay,
    )


def register(registry: Registry) -> None:
    backend_class = rds_models.RDSBackend
    if getattr(backend_class, "_livestack_dataplane", False):
        return
    create, restore = backend_class.create_db_cluster, backend_class.restore_db_cluster_from_snapshot
    modify, delete = backend_class.modify_db_cluster, backend_class.delete_db_cluster

    def create_db_cluster(self: Any, kwargs: dict[str, Any]) -> Any:
        cluster = create(self, kwargs)
        _start(cluster, timing.current.seconds("aurora_cluster"))
        return cluster

    def restore_db_cluster_from_snapshot(self: Any, from_snapshot_id: str, overrides: dict[str, Any]) -> Any:
        cluster = restore(self, from_snapshot_id, overrides)
        _start(cluster, timing.current.seconds("aurora_cluster"))
        return cluster

    def modify_db_cluster(self: Any, kwargs: dict[str, Any]) -> Any:
        # moto pops what it handles from kwargs: look first.
        new_password = any(kwargs.get(k) for k in ("master_user_password", "manage_master_user_password"))
        cluster = modify(self, kwargs)
        if new_password:
            mysql.set_master_password(
                self.account_id,
                self.region_name,
                cluster.db_cluster_identifier,
                cluster.master_username,
                mysql.master_password(cluster),
            )
        return cluster

    def delete_db_cluster(self: Any, cluster_identifier: str, snapshot_name: str | None = None) -> Any:
        cluster = delete(self, cluster_identifier, snapshot_name)
        mysql.stop(self.account_id, self.region_name, cluster.db_cluster_identifier)
        return cluster

    backend_class.create_db_cluster = create_db_cluster
    backend_class.restore_db_cluster_from_snapshot = restore_db_cluster_from_snapshot
    backend_class.modify_db_cluster = modify_db_cluster
    backend_class.delete_db_cluster = delete_db_cluster
    backend_class._livestack_dataplane = True
