"""The Galaxy artifact works alone: built, installed with ansible-galaxy into a clean venv and collections
path, and its site.yml converges a stage against the emulator from a directory outside the source tree.

The clean venv gets only what a user installs: the ansible package of requirements.txt and the execution
environment's Python requirements. The dependency collections come from that ansible package (no Galaxy
here: `--offline`). The install-and-converge time is printed and written to build/installed-artifact.json.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

pytestmark = pytest.mark.long

GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
TARBALL = f"{GALAXY['namespace']}-{GALAXY['name']}-{GALAXY['version']}.tar.gz"
STAGE = "artifact"


def ansible_requirement() -> str:
    """The ansible package line of requirements.txt, as a user would pip install it."""
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if re.match(r"ansible\s*[<>=~]", line):
            return line.split("#", 1)[0].strip()
    raise AssertionError("requirements.txt names no ansible package")


def run(command: list, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{command} failed:\n{(result.stdout + result.stderr)[-4000:]}"
    return result


def test_installed_artifact_converges_and_tears_down(emulator, tmp_path):
    user = tmp_path / "user"  # the user's working directory: no ansible.cfg, no source tree
    user.mkdir()
    started = time.monotonic()
    run([Path(sys.executable).parent / "ansible-galaxy", "collection", "build", "--output-path", tmp_path, ROOT])
    run([sys.executable, "-m", "venv", tmp_path / "venv"])
    venv = tmp_path / "venv" / "bin"
    run(
        [
            venv / "pip",
            "install",
            "--quiet",
            ansible_requirement(),
            "-r",
            ROOT / "execution-environment" / "requirements.txt",
        ]
    )
    collections = tmp_path / "collections"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "VIRTUAL_ENV"))}
    env.update(
        PATH=f"{venv}:/usr/bin:/bin",
        HOME=str(tmp_path / "home"),
        ANSIBLE_COLLECTIONS_PATH=str(collections),
        ANSIBLE_NOCOLOR="1",
        EMULATOR_PORT=str(emulator.port),
    )
    installed = run(
        [venv / "ansible-galaxy", "collection", "install", "--offline", tmp_path / TARBALL, "-p", collections],
        cwd=user,
        env=env,
    )
    for dependency in GALAXY["dependencies"]:
        assert f"'{dependency}:" in installed.stdout, installed.stdout  # found in the venv's ansible package
    install_seconds = time.monotonic() - started

    home = collections / "ansible_collections" / "livestack" / "aws"
    assert not (home / "src").exists() and (home / "LICENSE").is_file()
    outputs = tmp_path / "home" / "outputs.json"
    extra = json.dumps(
        {
            "livestack_stage": STAGE,
            "client_vpn_config_dir": str(tmp_path / "home" / "vpn"),
            "dev_relay_build_dir": str(tmp_path / "home" / "build"),
            "livestack_outputs_file": str(outputs),
        }
    )
    playbook = [venv / "ansible-playbook", "-i", home / "inventories" / "local", "-e", extra]
    started = time.monotonic()
    converged = run([*playbook, "livestack.aws.site"], cwd=user, env=env, timeout=1800)
    converge_seconds = time.monotonic() - started
    assert re.search(r"failed=0", converged.stdout), converged.stdout[-4000:]

    ec2, rds = emulator.client("ec2"), emulator.client("rds")
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:livestack:stage", "Values": [STAGE]}])["Vpcs"]
    assert len(vpcs) == 1
    assert rds.describe_db_clusters(DBClusterIdentifier=f"livestack-{STAGE}-aurora")["DBClusters"]
    assert json.loads(outputs.read_text())["stage"]["stage"] == STAGE

    down = run([*playbook, "livestack.aws.teardown"], cwd=user, env=env, timeout=1800)
    assert not ec2.describe_vpcs(Filters=[{"Name": "tag:livestack:stage", "Values": [STAGE]}])["Vpcs"]
    assert not outputs.exists(), down.stdout[-4000:]

    timing = {"install_seconds": round(install_seconds, 1), "converge_seconds": round(converge_seconds, 1)}
    (ROOT / "build").mkdir(exist_ok=True)
    (ROOT / "build" / "installed-artifact.json").write_text(json.dumps(timing) + "\n")
    print(f"installed artifact: {timing}")
