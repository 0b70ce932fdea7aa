"""livestack-relay as its own distribution: a wheel installed alone in a clean venv runs a handler."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

from .helpers import ROOT, deploy_app

HANDLER = """
import os

def hello(event, context):
    return {"hello": event.get("rawPath"), "local": os.environ["IS_LOCAL"]}
"""
FORBIDDEN = {"moto", "flask", "docker", "werkzeug", "livestack-dev"}


def test_the_wheel_installed_alone_in_a_clean_venv_runs_a_handler(emulator, relay_stage, tmp_path):
    source = tmp_path / "livestack-relay"
    shutil.copytree(ROOT / "src" / "livestack_relay", source, ignore=shutil.ignore_patterns("__pycache__"))
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path), str(source)]  # as CI does
    subprocess.run(build, check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("livestack_relay-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "venv")], check=True, timeout=300)
    pip = [str(tmp_path / "venv" / "bin" / "python"), "-m", "pip"]
    subprocess.run([*pip, "install", "--quiet", str(wheel)], check=True, capture_output=True, timeout=600)
    installed = {line.split("==")[0].lower() for line in subprocess.check_output([*pip, "freeze"], text=True).split()}
    assert "livestack-relay" in installed and "websockets" in installed and "boto3" in installed
    assert not installed & FORBIDDEN, installed & FORBIDDEN

    # What the dev_relay role writes for the stage, and the command it prints, run as printed: no URL,
    # no region, no credentials given (the emulator's endpoint comes from the outputs).
    home = tmp_path / "home"
    settings = home / ".livestack" / f"livestack-{relay_stage.stage}" / "relay.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(
        json.dumps(
            {
                "websocket_url": relay_stage.url,
                "region": "us-east-1",
                "stage": relay_stage.stage,
                "developer": "wheel",
                "endpoint_url": emulator.url,
            }
        )
    )
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(HANDLER)
    env = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "PYTHON", "VIRTUAL"))}
    env["HOME"] = str(home)
    log = tmp_path / "client.log"
    command = [str(tmp_path / "venv" / "bin" / "livestack-relay"), "--stage", relay_stage.stage, "app:hello"]
    client = subprocess.Popen(command, cwd=project, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "connected to" not in log.read_text():
            assert client.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        app = deploy_app(emulator, relay_stage, timeout=10, developer="wheel")
        assert app.get("/from-the-wheel") == (200, {"hello": "/from-the-wheel", "local": "true"})
    finally:
        client.send_signal(2)
        client.wait(timeout=60)
    first = log.read_text().splitlines()[0]
    assert "invocations run with your own AWS credentials" in first and "not the function role's" in first
