"""Transitional states for moto's NAT gateways, Aurora clusters, DB instances and RDS Proxies.

moto makes them ready at once. With realistic timing on (see ``livestack_emulator.timing``)
each stays ``pending`` / ``creating`` for its scaled AWS duration, then reads as moto set it.
"""

from __future__ import annotations

import time
from typing import Any

from moto.ec2.models.nat_gateways import NatGateway
from moto.rds.models import DBCluster, DBInstance, DBProxy

from ... import timing
from .. import Registry
from ..patching import ABSENT, patch

# (model, attribute moto keeps the state in, its signature (a property of moto's or an instance attribute),
#  the state moto sets at once, transitional state, timing kind)
_TIMED = (
    (NatGateway, "state", ABSENT, "available", "pending", "nat_gateway"),
    (DBCluster, "status", "property getter (self) setter (self, value)", "available", "creating", "aurora_cluster"),
    (DBInstance, "status", ABSENT, "available", "creating", "serverless_instance"),
    (DBProxy, "status", ABSENT, "available", "creating", "proxy"),
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

    return property(get, set_)


def register(registry: Registry) -> None:
    for model, attribute, signature, settled_state, transitional, kind in _TIMED:

        @patch(
            model,
            attribute,
            signature=signature,
            requires=(attribute,),
            why="moto makes NAT gateways, Aurora clusters, DB instances and RDS Proxies ready at once",
            restores="with --timing realistic each stays pending/creating for its scaled AWS creation time",
        )
        def _(
            inner: Any, settled_state: str = settled_state, transitional: str = transitional, kind: str = kind
        ) -> Any:
            return _timed_state(settled_state, transitional, kind, inner)
