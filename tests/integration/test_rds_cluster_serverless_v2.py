"""rds_cluster_serverless_v2 in four steps (create, capacity change, scale to zero on and off) and bad input.

The steps and their assertions are in targets/rds_cluster_serverless_v2 (one playbook run, the
emulator's request counts read from the playbook); this test runs it and checks what is left.
"""

from __future__ import annotations

from pathlib import Path

import pytest

TARGET = Path(__file__).parent / "targets" / "rds_cluster_serverless_v2" / "main.yml"
STAGE = "sv2test"


@pytest.mark.playbook
def test_scaling_configuration_in_four_steps(emulator, run_playbook):
    result = run_playbook(str(TARGET), stage=STAGE)
    assert result.rc == 0, result.output[-6000:]
    assert result.recap["failed"] == 0
    # Per change, check mode and apply report changed (4 x 2 scaling, 2 x 2 HTTP endpoint, each loop one);
    # the create and delete loops one each. The asserts in the playbook say that the steps after them did not.
    assert result.recap["changed"] == 4 * 2 + 2 + 1 + 1, result.output[-3000:]
    assert result.recap["ignored"] == 7  # the bad inputs, each failing as asserted in bad_input.yml
    clusters = emulator.client("rds").describe_db_clusters()["DBClusters"]
    assert [c["DBClusterIdentifier"] for c in clusters if c["DBClusterIdentifier"].startswith(STAGE)] == []
