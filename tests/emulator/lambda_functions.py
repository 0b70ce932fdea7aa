"""Python functions deployed into the emulator, for the Lambda runtime and HTTP API tests."""

from __future__ import annotations

import io
import json
import textwrap
import time
import uuid
import zipfile
from pathlib import Path

from conftest import create_function

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def zip_code(source: str, module: str = "app") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{module}.py", textwrap.dedent(source))
    return buffer.getvalue()


def deploy(emulator, source: str, *, region: str = "us-east-1", **options) -> dict:
    """Create a function (its own role) running ``source`` as ``app.handler``; its configuration."""
    name = options.pop("FunctionName", f"fn-{uuid.uuid4().hex[:8]}")
    iam = emulator.client("iam", region)
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(TRUST))
    return create_function(
        emulator.client("lambda", region),
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler=options.pop("Handler", "app.handler"),
        Code={"ZipFile": zip_code(source)},
        **options,
    )


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie waiting for its parent counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def gone(pid: int, timeout: float = 5.0) -> bool:
    """Whether the process is gone, or goes within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


def descendants(pid: int) -> set[int]:
    """The processes started by ``pid``, by its children, and so on."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if fields[0] != "Z":
            parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found
