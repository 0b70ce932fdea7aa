"""RDS ModifyDBCluster to a lower EngineVersion: refused, as AWS refuses it.

AWS answers ``InvalidParameterCombination`` "Cannot upgrade aurora-mysql from <current> to <asked>"
(HTTP 400) for a version lower than the cluster's; moto 5.2.5 sets any version it is sent. This
extension checks the version before moto's ModifyDBCluster; every other change goes to moto.
"""

from __future__ import annotations

import re
from typing import Any

from moto.rds import models as rds_models
from moto.rds.exceptions import InvalidParameterCombination

from . import Registry


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(number) for number in re.findall(r"\d+", version))


def register(registry: Registry) -> None:
    backend_class = rds_models.RDSBackend
    if getattr(backend_class, "_livestack_no_downgrade", False):
        return
    original = backend_class.modify_db_cluster

    def modify_db_cluster(self: Any, kwargs: dict[str, Any]) -> Any:
        cluster = self.clusters.get(kwargs.get("db_cluster_identifier") or "")
        asked = kwargs.get("engine_version")
        if cluster is not None and asked and _key(asked) < _key(cluster.engine_version or ""):
            raise InvalidParameterCombination(
                f"Cannot upgrade {cluster.engine} from {cluster.engine_version} to {asked}"
            )
        return original(self, kwargs)

    backend_class.modify_db_cluster = modify_db_cluster
    backend_class._livestack_no_downgrade = True
