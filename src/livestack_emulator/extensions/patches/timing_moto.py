"""Transitional states for moto's NAT gateways, Aurora clusters, DB instances and RDS Proxies.

moto makes them ready at once. With realistic timing on (see ``livestack_emulator.timing``)
each stays ``pending`` / ``creating`` for its scaled AWS duration, then reads as moto set it.

In strict mode (``strict.py``) a DB instance requested while its Aurora cluster is still ``creating`` (AWS
takes the request, as the console's "Create database" makes both at once) also stays ``creating`` until the
cluster is ``available``: an instance is never available before its cluster (docs/aurora-critical-path.md).
"""

from __future__ import annotations

import time
from typing import Any

from moto.ec2.models.nat_gateways import NatGateway
from moto.rds.models import DBCluster, DBInstance, DBProxy

from ... import strict, timing
from .. import Registry
from ..patching import ABSENT, patch


def _cluster_creating(instance: Any) -> bool:
    """Whether the Aurora cluster of a DB instance is still creating (strict mode only)."""
    if not strict.current.enabled or not getattr(instance, "db_cluster_identifier", None):
        return False
    cluster = instance.backend.clusters.get(instance.db_cluster_identifier)
    return cluster is not None and cluster.status == "creating"


# (model, attribute moto keeps the state in, its signature (a property of moto's or an instance attribute),
#  the state moto sets at once, transitional state, timing kind, what else keeps it transitional)
_TIMED = (
    (NatGateway, "state", ABSENT, "available", "pending", "nat_gateway", None),
    (
        DBCluster,
        "status",
        "property getter (self) setter (self, value)",
        "available",
        "creating",
        "aurora_cluster",
        None,
    ),
    (DBInstance, "status", ABSENT, "available", "creating", "serverless_instance", _cluster_creating),
    (DBProxy, "status", ABSENT, "available", "creating", "proxy", None),
)


def _timed_state(settled_state: str, transitional: str, kind: str, inner: Any, waits_for: Any) -> property:
    """A property that reads `transitional` until the resource's duration has passed (and `waits_for` is false)."""

    def get(self: Any) -> Any:
        value = inner.fget(self) if inner else self.__dict__.get("_livestack_state")
        started = self.__dict__.setdefault("_livestack_created", time.monotonic())
        if value == settled_state and (not timing.current.settled(kind, started) or (waits_for and waits_for(self))):
            return transitional
        return value

    def set_(self: Any, value: Any) -> None:
        self.__dict__.setdefault("_livestack_created", time.monotonic())
        if inner and inner.fset:
            inner.fset(self, value)
        else:
            self.__dict__["_livestack_state"] = value

    return property(get, set_)


def register(registry: Registry) -> None:
    for model, attribute, signature, settled_state, transitional, kind, waits_for in _TIMED:

        @patch(
            model,
            attribute,
            signature=signature,
            requires=(attribute,),
            why="moto makes NAT gateways, Aurora clusters, DB instances and RDS Proxies ready at once",
            restores="with --timing realistic each stays pending/creating for its scaled AWS creation time "
            "(in strict mode a DB instance stays creating while its cluster is)",
        )
        def _(
            inner: Any,
            settled_state: str = settled_state,
            transitional: str = transitional,
            kind: str = kind,
            waits_for: Any = waits_for,
        ) -> Any:
            return _timed_state(settled_state, transitional, kind, inner, waits_for)
