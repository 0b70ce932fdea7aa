"""Aurora MySQL clusters and RDS Proxies get their data plane (``livestack_emulator.dataplane``).

moto keeps the records; this extension follows them. CreateDBCluster (and
RestoreDBClusterFromSnapshot) of an ``aurora-mysql`` cluster starts a MariaDB server
(``dataplane.mysql``) and opens the cluster's endpoint (``dataplane.mysql_proxy``); CreateDBProxy
of a ``MYSQL`` proxy opens the proxy's endpoint. Each endpoint is bound at once, on a loopback
address of its own that DescribeDBClusters / DescribeDBProxies report as ``Endpoint`` (a
cluster's ``ReaderEndpoint`` too), and listens (and the server starts) when the resource
becomes available, after its creation time with realistic timing.

ModifyDBCluster's MasterUserPassword (or a managed secret turned on) reaches the server, its
EnableIAMDatabaseAuthentication the endpoint (and DescribeDBClusters, which moto left
unchanged); DeleteDBCluster / DeleteDBProxy stop them. A server that cannot run (MariaDB not
installed) does not fail the API call: ``/_livestack/health`` and every connection say why.
"""

from __future__ import annotations

import hashlib
import ipaddress
from typing import Any

from moto.ec2.models import ec2_backends
from moto.rds import models as rds_models

from ... import timing
from ...dataplane import mysql, mysql_proxy
from .. import Registry
from ..patching import patch

ENGINES = {"aurora-mysql"}


def _cluster_key(account_id: str, region: str, identifier: str) -> tuple[str, str, str, str]:
    return ("cluster", account_id, region, identifier.lower())


def _proxy_key(proxy: Any) -> tuple[str, str, str, str]:
    return ("proxy", proxy.account_id, proxy.region, proxy.unique_id)


def vpc_address(subnet_cidrs: list[str], seed: str) -> str | None:
    """The endpoint's address in its VPC: a stable host of its first subnet, clear of the five addresses AWS
    reserves in every subnet (the first four and the last), chosen by ``seed`` (the resource's id)."""
    if not subnet_cidrs:
        return None
    network = ipaddress.ip_network(subnet_cidrs[0])
    span = max(network.num_addresses - 21, 1)
    return str(network[16 + int(hashlib.sha256(seed.encode()).hexdigest(), 16) % span])


def _subnet_cidrs(account_id: str, region: str, subnet_ids: list[str]) -> list[str]:
    subnets = ec2_backends[account_id][region].describe_subnets(subnet_ids=subnet_ids) if subnet_ids else []
    return [subnet.cidr_block for subnet in subnets]


def _cluster_vpc_address(cluster: Any) -> str | None:
    group = rds_models.rds_backends[cluster.account_id][cluster.region].subnet_groups.get(cluster.db_subnet_group_name)
    cidrs = [subnet.cidr_block for subnet in getattr(group, "_subnets", [])]
    return vpc_address(cidrs, f"cluster/{cluster.db_cluster_identifier.lower()}")


def _start(cluster: Any) -> None:
    if cluster.engine not in ENGINES:
        return
    delay = timing.current.seconds("aurora_cluster")
    mysql.start(
        cluster.account_id,
        cluster.region,
        cluster.db_cluster_identifier,
        cluster.master_username,
        mysql.master_password(cluster),
        cluster.database_name,
        delay=delay,
    )
    key = _cluster_key(cluster.account_id, cluster.region, cluster.db_cluster_identifier)
    mysql_proxy.open_endpoint(
        key, mysql_proxy.ClusterEndpoint(cluster), int(cluster.port), delay, _cluster_vpc_address(cluster)
    )


WHY = "moto has no database server behind a cluster or proxy endpoint"


def _rds_patch(name: str, signature: str, restores: str) -> Any:
    return patch(rds_models.RDSBackend, name, signature=signature, requires=("clusters",), why=WHY, restores=restores)


def register(registry: Registry) -> None:
    @_rds_patch("create_db_cluster", "(self, kwargs)", "a new aurora-mysql cluster has a MySQL server")
    def _(create: Any) -> Any:
        def create_db_cluster(self: Any, kwargs: dict[str, Any]) -> Any:
            cluster = create(self, kwargs)
            _start(cluster)
            return cluster

        return create_db_cluster

    @_rds_patch(
        "restore_db_cluster_from_snapshot",
        "(self, from_snapshot_id, overrides)",
        "a restored aurora-mysql cluster has a MySQL server",
    )
    def _(restore: Any) -> Any:
        def restore_db_cluster_from_snapshot(self: Any, from_snapshot_id: str, overrides: dict[str, Any]) -> Any:
            cluster = restore(self, from_snapshot_id, overrides)
            _start(cluster)
            return cluster

        return restore_db_cluster_from_snapshot

    @_rds_patch(
        "modify_db_cluster",
        "(self, kwargs)",
        "ModifyDBCluster's new master password and IAM database authentication reach the server and endpoint",
    )
    def _(modify: Any) -> Any:
        def modify_db_cluster(self: Any, kwargs: dict[str, Any]) -> Any:
            # moto pops what it handles from kwargs: look first.
            new_password = any(kwargs.get(k) for k in ("master_user_password", "manage_master_user_password"))
            iam_auth = kwargs.get("enable_iam_database_authentication")
            cluster = modify(self, kwargs)
            if iam_auth is not None:
                # moto stores it under another name than DescribeDBClusters (and the endpoint) read, and
                # answers with a copy of the cluster.
                for record in (cluster, self.clusters[cluster.db_cluster_identifier]):
                    record.iam_auth = bool(iam_auth)
            if new_password:
                mysql.set_master_password(
                    self.account_id,
                    self.region_name,
                    cluster.db_cluster_identifier,
                    cluster.master_username,
                    mysql.master_password(cluster),
                )
            return cluster

        return modify_db_cluster

    @_rds_patch(
        "delete_db_cluster",
        "(self, cluster_identifier, snapshot_name=None)",
        "a deleted cluster's server and endpoint stop",
    )
    def _(delete: Any) -> Any:
        def delete_db_cluster(self: Any, cluster_identifier: str, snapshot_name: str | None = None) -> Any:
            cluster = delete(self, cluster_identifier, snapshot_name)
            mysql_proxy.close_endpoint(_cluster_key(self.account_id, self.region_name, cluster.db_cluster_identifier))
            mysql.stop(self.account_id, self.region_name, cluster.db_cluster_identifier)
            return cluster

        return delete_db_cluster

    @_rds_patch(
        "create_db_proxy",
        "(self, db_proxy_name, engine_family, auth, role_arn, vpc_subnet_ids, vpc_security_group_ids, require_tls, "
        "idle_client_timeout, debug_logging, tags)",
        "a MYSQL proxy's endpoint is a listener checking TLS and IAM tokens",
    )
    def _(create_proxy: Any) -> Any:
        def create_db_proxy(self: Any, *args: Any, **kwargs: Any) -> Any:
            proxy = create_proxy(self, *args, **kwargs)
            if proxy.engine_family == "MYSQL":
                cidrs = _subnet_cidrs(self.account_id, self.region_name, list(proxy.vpc_subnet_ids))
                opened = mysql_proxy.open_endpoint(
                    _proxy_key(proxy),
                    mysql_proxy.ProxyEndpoint(proxy),
                    3306,
                    timing.current.seconds("proxy"),
                    vpc_address(cidrs, f"proxy/{proxy.unique_id}"),
                )
                proxy.endpoint = opened.address
            return proxy

        return create_db_proxy

    @_rds_patch("delete_db_proxy", "(self, proxy_name)", "a deleted proxy's listener stops")
    def _(delete_proxy: Any) -> Any:
        def delete_db_proxy(self: Any, proxy_name: str) -> Any:
            proxy = delete_proxy(self, proxy_name)
            mysql_proxy.close_endpoint(_proxy_key(proxy))
            return proxy

        return delete_db_proxy

    # The reader endpoint reaches the same server: without replicas, AWS's reader endpoint reaches the writer.
    for name in ("endpoint", "reader_endpoint"):

        @patch(
            rds_models.DBCluster,
            name,
            signature="property getter (self) setter none",
            requires=("account_id", "region", "db_cluster_identifier"),
            why=WHY,
            restores="DescribeDBClusters' Endpoint and ReaderEndpoint are the address of the cluster's listener",
        )
        def _(moto_property: property) -> property:
            def get(cluster: Any) -> str:
                key = _cluster_key(cluster.account_id, cluster.region, cluster.db_cluster_identifier)
                opened = mysql_proxy.listener(key)
                return opened.address if opened is not None else moto_property.fget(cluster)

            return property(get)
