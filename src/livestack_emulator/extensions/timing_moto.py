"""Transitional states for moto's NAT gateways, Aurora clusters, DB instances and RDS Proxies.

moto makes them ready at once. With realistic timing on (see ``livestack_emulator.timing``)
each stays ``pending`` / ``creating`` for its scaled AWS duration, then reads as moto set it.
"""

from __future__ import annotations

import time
from typing import Any

from moto.ec2.models.nat_gateways import NatGateway
from moto.rds.models import DBCluster, DBInstance, DBProxy

from .. import timing
from . import Registry

# (model, attribute moto keeps the state in, the state moto sets at once, transitional state, timing kind)
_TIMED = (
    (NatGateway, "state", "available", "pending", "nat_gateway"),
    (DBCluster, "status", "available", "creating", "aurora_cluster"),
    (DBInstance, "status", "available", "creating", "serverless_instance"),
    (DBProxy, "status", "available", "creating", "proxy"),
)


def _timed_state(settled_state: str, transitional: str, kind: str, inner: Any) -> property:
    """A property that reads `transitional` until the resource's duration has passed."""

    def get(self: Any) -> Any:
        value = inner.fget(self) if inner else self.__dict__.get("_livestack_state")
        started = self.__dict__.setdefault("_livestack_created", time.monotonic())
        if value == settled_state and not timing.current.settled(kind, started):
            return transitional
        return value

    def set_(self: Any, value: Any) -> None:
        self.__dict__.setdefault("_livestack_created", time.monotonic())
        if inner and inner.fset:
            inner.fset(self, value)
        else:
            self.__dict__["_livestack_state"] = value

    result = property(get, set_)
    result.fget.livestack_timed = True  # type: ignore[attr-defined]
    return result


def register(registry: Registry) -> None:
    for model, attribute, settled_state, transitional, kind in _TIMED:
        existing = model.__dict__.get(attribute)
        if isinstance(existing, property) and getattr(existing.fget, "livestack_timed", False):
            continue
        inner = existing if isinstance(existing, property) else None
        setattr(model, attribute, _timed_state(settled_state, transitional, kind, inner))
