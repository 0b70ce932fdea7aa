"""`make demo`: converge site.yml on the emulator twice and tell a person what exists.

Runs inside `python -m livestack_emulator --port 0 -- ...`, which sets EMULATOR_PORT.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build" / "demo"
EMULATOR = f"http://127.0.0.1:{os.environ['EMULATOR_PORT']}"


def control(method: str, command: str) -> dict:
    request = urllib.request.Request(f"{EMULATOR}/_livestack/{command}", method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def converge(name: str, outputs: Path) -> tuple[float, str, dict]:
    """Run site.yml once; return wall seconds, the recap line and the emulator's request counts."""
    control("DELETE", "requests")
    log = BUILD / f"{name.replace(' ', '-')}.log"
    print(f"==> {name}: ansible-playbook playbooks/site.yml (log: {log.relative_to(ROOT)})", flush=True)
    started = time.monotonic()
    with log.open("w") as handle:
        result = subprocess.run(
            [
                str(Path(sys.executable).parent / "ansible-playbook"),
                "playbooks/site.yml",
                "-e",
                f"livestack_outputs_file={outputs}",
            ],
            cwd=ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, ANSIBLE_NOCOLOR="1"),
            check=False,
        )
    elapsed = time.monotonic() - started
    text = log.read_text()
    if result.returncode != 0:
        print(text[-4000:])
        sys.exit(f"{name} failed (exit {result.returncode}), see {log}")
    recap = re.findall(r"^localhost\s+:\s+(.*)$", text, re.MULTILINE)[-1]
    return elapsed, " ".join(recap.split()), control("GET", "requests")


def main() -> int:
    BUILD.mkdir(parents=True, exist_ok=True)
    outputs = BUILD / "outputs.json"
    first = converge("first run", outputs)
    second = converge("second run", outputs)

    print("\nlivestack stage 'local' on the emulator at", EMULATOR)
    for role, values in json.loads(outputs.read_text()).items():
        print(f"\n  {role}")
        for key, value in values.items():
            shown = ", ".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else value
            shown = ", ".join(map(str, shown)) if isinstance(shown, list) else shown
            print(f"    {key:<22} {shown}")
    print()
    for name, (elapsed, recap, calls) in (("first run", first), ("second run", second)):
        print(f"  {name:<11} {elapsed:6.1f} s   {recap}")
        print(f"  {'':<11} API requests: {calls['total']} ({calls['read']} read, {calls['mutating']} mutating)")
    changed = int(re.search(r"changed=(\d+)", second[1]).group(1))
    if changed or second[2]["mutating"]:
        print("\nthe second run changed something: not idempotent")
        return 1
    print("\nthe second run changed nothing.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
