# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Settings that AWS cannot change in place, compared with what exists before anything changes.

One function per resource kind. Each takes the resource as the amazon.aws / livestack info modules
return it (snake_case keys; empty or None when it does not exist yet) and what the role was asked,
and returns one message per setting that differs: the option, the resource and its current value,
the asked value, and what a replacement would take. A role refuses the run on any message, so
that a changed value is never made into a second copy beside the first, nor silently ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

TEAR_DOWN = "tear the stage down first (playbooks/teardown.yml), then converge it with the new value"


def refusal(option: str, resource: str, current: Any, asked: Any, rule: str) -> str:
    return f"{option}: {resource} has {current}; {asked} was asked; {rule}"


def vpc_replacement_errors(vpc: Mapping[str, Any] | None, cidr: str, option: str = "cidr_block") -> list[str]:
    """The VPC's primary CIDR block is fixed at creation."""
    if not vpc or vpc.get("cidr_block") == cidr:
        return []
    return [
        refusal(
            option,
            f"the stage's VPC {vpc.get('id') or vpc.get('vpc_id')}",
            vpc.get("cidr_block"),
            cidr,
            f"a VPC's CIDR cannot change: {TEAR_DOWN}",
        )
    ]


def subnet_replacement_errors(subnets: Sequence[Mapping[str, Any]], asked: Sequence[Mapping[str, Any]]) -> list[str]:
    """A subnet's CIDR block and availability zone are fixed at creation.

    ``subnets`` are the stage's subnets (ec2_vpc_subnet_info), found by their ``Name`` tag;
    ``asked`` one entry per subnet the role makes: ``name`` (the Name tag), ``cidr``, ``az``,
    ``cidr_option`` and ``az_option`` (the variables to name).
    """
    existing = {(subnet.get("tags") or {}).get("Name"): subnet for subnet in subnets}
    errors = []
    for wanted in asked:
        subnet = existing.get(wanted["name"])
        if not subnet:
            continue
        resource = f"the subnet {wanted['name']} ({subnet.get('subnet_id') or subnet.get('id')})"
        if subnet.get("cidr_block") != wanted["cidr"]:
            errors.append(
                refusal(
                    wanted["cidr_option"],
                    resource,
                    subnet.get("cidr_block"),
                    wanted["cidr"],
                    f"a subnet's CIDR cannot change and the cluster, proxy and VPN sit in it: {TEAR_DOWN}",
                )
            )
        if wanted.get("az") and subnet.get("availability_zone") != wanted["az"]:
            errors.append(
                refusal(
                    wanted["az_option"],
                    resource,
                    subnet.get("availability_zone"),
                    wanted["az"],
                    f"a subnet cannot move to another availability zone: {TEAR_DOWN}",
                )
            )
    return errors


def engine_version_key(version: str) -> tuple[int, ...]:
    """``8.0.mysql_aurora.3.08.2`` -> (8, 0, 3, 8, 2): the numbers in order, for comparing versions."""
    return tuple(int(number) for number in re.findall(r"\d+", version))


def rds_cluster_replacement_errors(
    cluster: Mapping[str, Any] | None, asked: Mapping[str, Any], names: Mapping[str, str] | None = None
) -> list[str]:
    """Master user name, database name, port, engine version (no downgrade) and storage key of an Aurora cluster.

    ``asked`` may hold ``master_username``, ``database_name``, ``port``, ``engine_version`` and ``kms_key_arn``
    (a key ARN, the form DescribeDBClusters reports; empty or absent: the key is not compared).
    """
    if not cluster:
        return []
    names = {key: key for key in ("master_username", "database_name", "port", "engine_version", "kms_key")} | dict(
        names or {}
    )
    resource = f"the cluster {cluster.get('db_cluster_identifier')}"
    errors = []
    if "master_username" in asked and cluster.get("master_username") != asked["master_username"]:
        errors.append(
            refusal(
                names["master_username"],
                resource,
                f"master user {cluster.get('master_username')}",
                asked["master_username"],
                "Aurora cannot rename the master user (a snapshot restores with it too): create the user in the "
                f"database instead, or {TEAR_DOWN}",
            )
        )
    if "database_name" in asked and (cluster.get("database_name") or "") != (asked["database_name"] or ""):
        errors.append(
            refusal(
                names["database_name"],
                resource,
                f"database name '{cluster.get('database_name') or ''}'",
                f"'{asked['database_name'] or ''}'",
                "the database name is set only when a cluster is created: run CREATE DATABASE in the cluster "
                f"instead, or {TEAR_DOWN}",
            )
        )
    if "port" in asked and cluster.get("port") is not None and int(cluster["port"]) != int(asked["port"]):
        errors.append(
            refusal(
                names["port"],
                resource,
                f"port {cluster['port']}",
                asked["port"],
                "this collection does not move the port of an existing cluster (its security groups, RDS Proxy, "
                f"secret and every client follow it): {TEAR_DOWN}",
            )
        )
    current_version, asked_version = cluster.get("engine_version"), asked.get("engine_version")
    if current_version and asked_version and engine_version_key(asked_version) < engine_version_key(current_version):
        errors.append(
            refusal(
                names["engine_version"],
                resource,
                f"engine version {current_version}",
                asked_version,
                "Aurora cannot downgrade a cluster (AWS answers InvalidParameterCombination): set the current "
                f"version, or dump the data and {TEAR_DOWN}",
            )
        )
    errors += _kms_key_errors(cluster, asked, names["kms_key"], resource)
    return errors


def _kms_key_errors(cluster: Mapping[str, Any], asked: Mapping[str, Any], option: str, resource: str) -> list[str]:
    current, wanted = cluster.get("kms_key_id"), asked.get("kms_key_arn")
    if not current or not wanted or current == wanted:
        return []
    return [
        refusal(
            option,
            resource,
            f"storage encrypted with {current}",
            wanted,
            "a cluster's storage key cannot change: copy a snapshot with the new key and restore it as a new "
            f"cluster, or {TEAR_DOWN}",
        )
    ]


def client_vpn_replacement_errors(
    endpoint: Mapping[str, Any] | None, asked: Mapping[str, Any], names: Mapping[str, str] | None = None
) -> list[str]:
    """The client CIDR block and the transport protocol of a Client VPN endpoint are fixed at creation."""
    if not endpoint:
        return []
    names = {"client_cidr_block": "client_cidr_block", "transport_protocol": "transport_protocol"} | dict(names or {})
    resource = f"the Client VPN endpoint {endpoint.get('client_vpn_endpoint_id')}"
    what = {"client_cidr_block": "client CIDR", "transport_protocol": "transport"}
    errors = []
    for key in ("client_cidr_block", "transport_protocol"):
        if key in asked and endpoint.get(key) and endpoint[key] != asked[key]:
            errors.append(
                refusal(
                    names[key],
                    resource,
                    f"{what[key]} {endpoint[key]}",
                    asked[key],
                    f"an endpoint's {what[key]} cannot change in place, only a new endpoint (and new profiles for "
                    f"every developer) would take it: {TEAR_DOWN}",
                )
            )
    return errors
