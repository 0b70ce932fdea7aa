"""livestack-sql as its own distribution: its wheel, installed alone in a clean venv, brings boto3 and pymysql
only (no emulator, no moto) and its command runs there."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {"moto", "flask", "werkzeug", "websockets", "livestack-dev", "livestack-relay"}


def test_the_wheel_installed_alone_brings_what_it_imports_and_runs(tmp_path):
    source = tmp_path / "livestack-sql"
    shutil.copytree(ROOT / "src" / "livestack_sql", source, ignore=shutil.ignore_patterns("__pycache__"))
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path), str(source)]
    subprocess.run(build, check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("livestack_sql-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "venv")], check=True, timeout=300)
    pip = [str(tmp_path / "venv" / "bin" / "python"), "-m", "pip"]
    subprocess.run([*pip, "install", "--quiet", str(wheel)], check=True, capture_output=True, timeout=600)
    installed = {line.split("==")[0].lower() for line in subprocess.check_output([*pip, "freeze"], text=True).split()}
    assert {"livestack-sql", "boto3", "pymysql"} <= installed
    assert not installed & FORBIDDEN, installed & FORBIDDEN

    home = tmp_path / "home"
    run = subprocess.run(
        [str(tmp_path / "venv" / "bin" / "livestack-sql"), "--stage", "nowhere", "-e", "SELECT 1"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 2, run.stderr
    assert f"no outputs of stage 'nowhere' (project 'livestack') at {home}/.livestack/livestack-nowhere" in run.stderr
