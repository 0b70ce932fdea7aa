"""Fixtures of the relay tests: a relay stage per module, the stub's environment, livestack-relay clients."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from .helpers import Client, RelayStage, deploy_relay, relay_stub


@pytest.fixture
def aws_environment(emulator, monkeypatch):
    """The stub's environment: the emulator's endpoint and test credentials, as the Lambda runtime gives a role's."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": emulator.url,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    relay_stub._relay.cache_clear()
    yield
    relay_stub._relay.cache_clear()


@pytest.fixture
def start_client(tmp_path):
    started: list[Client] = []

    def start(
        stage: RelayStage,
        handler: str,
        path: Path,
        developer: str | None = None,
        options: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> Client:
        log = tmp_path / f"client-{len(started)}.log"
        client = Client(stage, handler, path, developer or stage.developer, log, options, env)
        started.append(client)
        client.wait_for("connected to")
        return client

    yield start
    for client in started:
        client.stop()


@pytest.fixture(scope="module")
def relay_stage(emulator):
    return deploy_relay(emulator, f"relay{uuid.uuid4().hex[:6]}")
