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

from .. import Registry
from ..patching import patch


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(number) for number in re.findall(r"\d+", version))


def register(registry: Registry) -> None:
    @patch(
        rds_models.RDSBackend,
        "modify_db_cluster",
        signature="(self, kwargs)",
        requires=("clusters",),
        why="moto sets any EngineVersion it is sent, a lower one too",
        restores="ModifyDBCluster to a lower EngineVersion answers InvalidParameterCombination "
        "'Cannot upgrade <engine> from <current> to <asked>'",
    )
    def _(original):  # type: ignore[no-untyped-def]
        def modify_db_cluster(self: Any, kwargs: dict[str, Any]) -> Any:
            cluster = self.clusters.get(kwargs.get("db_cluster_identifier") or "")
            asked = kwargs.get("engine_version")
            if cluster is not None and asked and _key(asked) < _key(cluster.engine_version or ""):
                raise InvalidParameterCombination(
                    f"Cannot upgrade {cluster.engine} from {cluster.engine_version} to {asked}"
                )
            return original(self, kwargs)

        return modify_db_cluster
