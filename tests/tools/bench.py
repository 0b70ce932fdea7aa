"""`make bench`: how long the stack takes to converge, what it asks of AWS, and the modeled AWS time.

Prints a table and writes build/bench.json. Figures are measured here, on this machine, against
the emulator; nothing in the test suite asserts them (the goals are in issue 8 and the README).
``--model`` prints only the modeled critical paths (AWS minutes), without converging.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from census import count, stage_resources  # noqa: E402
from conftest import Emulator, playbook_command, start_emulator  # noqa: E402

from livestack_emulator.timing import AWS_MINUTES  # noqa: E402

BUILD = ROOT / "build"
STAGE = "bench"
# Emulated seconds per AWS minute in the modeled run. At 1 s per minute the Ansible work (about a minute and a
# half of module runs on this machine) dwarfs the 11 "minutes" of the critical path; on AWS it is the other way
# round (11 real minutes against the same minute and a half). 10 s per minute keeps the AWS durations in front
# while the run stays near 3 minutes; LIVESTACK_BENCH_SCALE overrides it.
SCALE = float(os.environ.get("LIVESTACK_BENCH_SCALE", "10"))
AWS_SCALE = 60.0
# The stack's slow creations as site.yml and AWS order them: a creation "starts" once these are available (its
# request waits for them), and "ends" no earlier than these (AWS keeps it transitional until they are available).
GRAPH: dict[str, dict[str, list[str]]] = {
    "nat_gateway": {},
    "aurora_cluster": {},
    # Requested while the new cluster is creating (roles/aurora/tasks/present.yml, docs/aurora-critical-path.md).
    "serverless_instance": {"ends": ["aurora_cluster"]},
    # The rds_proxy role runs after aurora's finish.yml, which waits for the cluster (the proxy registers it).
    "proxy": {"starts": ["aurora_cluster"]},
    "client_vpn_association": {},
}
# The same with the writer requested once the cluster is available: the chain that Terraform
# (aws_rds_cluster_instance after aws_rds_cluster), CloudFormation and this role before walk.
CHAIN = {**GRAPH, "serverless_instance": {"starts": ["aurora_cluster"]}}


def critical_path(minutes: dict[str, float], graph: dict[str, dict[str, list[str]]] = GRAPH) -> tuple[float, list[str]]:
    """Length (AWS minutes) and nodes of the longest chain of ``graph``: when the last creation is available."""
    best: dict[str, tuple[float, list[str]]] = {}

    def available(node: str) -> tuple[float, list[str]]:
        if node not in best:
            start = max((available(dep) for dep in graph[node].get("starts", [])), default=(0.0, []))
            own = (start[0] + minutes[node], [*start[1], node])
            best[node] = max([own, *(available(dep) for dep in graph[node].get("ends", []))], key=lambda f: f[0])
        return best[node]

    return max((available(node) for node in graph), key=lambda f: f[0])


def converge(emulator: Emulator, *args: str) -> dict:
    emulator.clear_requests()
    command, env = playbook_command("site.yml", *args, stage=STAGE, extra_vars=None, port=emulator.port)
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    if result.returncode != 0:
        sys.exit(f"site.yml failed:\n{result.stdout[-3000:]}")
    recap = dict(re.findall(r"(\w+)=(\d+)", re.findall(r"^localhost\s+:\s+(.*)$", result.stdout, re.MULTILINE)[-1]))
    return {
        "wall_seconds": round(wall, 1),
        "tasks": int(recap["ok"]) + int(recap["skipped"]),
        "changed": int(recap["changed"]),
        "requests": emulator.requests(),
    }


def managed_resources(emulator: Emulator) -> dict[str, list[str]]:
    """Resources of the stage, kind by kind, described service by service (tests/census.py)."""
    return stage_resources(emulator, STAGE)


def relay_figures(invocations: int = 1000, concurrency: int = 50) -> dict:
    """The relay's round trip, throughput under concurrency and fail-fast time (tests/tools/relay_latency.py,
    on its own emulator; its docstring says what each figure measures)."""
    result = subprocess.run(
        [sys.executable, "-m", "livestack_emulator", "--port", "0", "--quiet", "--", sys.executable,
         str(ROOT / "tests" / "tools" / "relay_latency.py"), str(invocations), str(concurrency)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        sys.exit(f"relay_latency.py failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")

    def figures(prefix: str) -> dict:
        found = re.search(rf"^{prefix}.*median ([\d.]+), p99 ([\d.]+), max ([\d.]+)", result.stdout, re.MULTILINE)
        return {"median": float(found[1]), "p99": float(found[2]), "max": float(found[3])}

    throughput = re.search(r"^concurrent: (\d+) at once, (\d+) invocations in ([\d.]+) s: (\d+)", result.stdout, re.M)
    return {
        "invocations": invocations,
        "round_trip_ms": figures("round trip ms"),
        "added_round_trip_ms": figures("added round trip ms"),
        "concurrent": {
            "concurrency": int(throughput[1]),
            "invocations": int(throughput[2]),
            "wall_seconds": float(throughput[3]),
            "invocations_per_second": int(throughput[4]),
            "round_trip_ms": figures("concurrent"),
        },
        "fail_fast_ms": figures("fail-fast"),
    }


def modeled(timed: dict, untimed_wall: float) -> dict:
    """The modeled run against the critical path, and what that means at AWS's scale.

    The run's wall time at SCALE seconds per AWS minute is compared with the critical path at the same scale.
    What exceeds the critical path (``overhead``: Ansible work that is not hidden behind the longest chain of
    AWS waits, plus poll overshoot) does not grow with the scale, so at AWS's 60 s per minute the ratio is
    (critical path x 60 + overhead) / (critical path x 60). Poll delays are the roles' ``<role>_wait_delay``
    (1 s in inventories/local, 15 s on AWS; botocore's RDS waiters poll every 20 to 60 s, which is why the
    roles poll themselves) and the modules' own 5 to 10 s.
    """
    length, chain = critical_path(AWS_MINUTES)
    chain_length, chain_nodes = critical_path(AWS_MINUTES, CHAIN)
    path_seconds = length * SCALE
    overhead = timed["wall_seconds"] - path_seconds
    aws_path = length * AWS_SCALE
    return {
        "scale_seconds_per_aws_minute": SCALE,
        "wall_seconds": timed["wall_seconds"],
        "untimed_wall_seconds": untimed_wall,
        "critical_path_aws_minutes": length,
        "critical_path_seconds": path_seconds,
        "critical_path": chain,
        "chain_critical_path_aws_minutes": chain_length,
        "chain_critical_path": chain_nodes,
        "sum_of_waits_seconds": sum(AWS_MINUTES[kind] for kind in GRAPH) * SCALE,
        "ratio": round(timed["wall_seconds"] / path_seconds, 2),
        "overhead_seconds": round(overhead, 1),
        "projected_aws_ratio": round((aws_path + max(overhead, 0)) / aws_path, 2),
        "goal_ratio": 1.15,
        "tasks": timed["tasks"],
        "requests": timed["requests"],
    }


def print_model() -> None:
    """The modeled critical paths alone (``--model``: no converge)."""
    for name, graph in (
        ("site.yml (writer requested while the cluster is creating)", GRAPH),
        ("cluster-then-writer chain", CHAIN),
    ):
        length, nodes = critical_path(AWS_MINUTES, graph)
        print(f"{name}: {length:g} AWS minutes: {' -> '.join(nodes)}")


def main() -> int:
    if "--model" in sys.argv[1:]:
        print_model()
        return 0
    BUILD.mkdir(exist_ok=True)
    results: dict = {}
    process, emulator = start_emulator(BUILD / "bench-emulator.log")
    try:
        cold = []
        for _ in range(3):
            emulator.reset()
            cold.append(converge(emulator))
        results["cold_converge"] = {**cold[-1], "wall_seconds_runs": [run["wall_seconds"] for run in cold]}
        results["cold_converge"]["wall_seconds"] = statistics.median(run["wall_seconds"] for run in cold)
        nochange = converge(emulator)
        census = managed_resources(emulator)
        resources = count(census)
        nochange["managed_resources"] = resources
        nochange["managed_resources_by_kind"] = {kind: len(ids) for kind, ids in census.items()}
        nochange["reads_per_resource"] = round(nochange["requests"]["read"] / max(resources, 1), 2)
        results["no_change_converge"] = nochange
    finally:
        process.terminate()
        process.wait(timeout=30)

    timing = json.dumps({"scale": SCALE})
    process, emulator = start_emulator(BUILD / "bench-emulator-timed.log", "--timing", timing)
    try:
        timed = converge(emulator)
    finally:
        process.terminate()
        process.wait(timeout=30)
    results["relay"] = relay_figures()
    results["modeled_aws"] = modeled(timed, results["cold_converge"]["wall_seconds"])

    (BUILD / "bench.json").write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)
    return 0


def print_table(results: dict) -> None:
    cold, nochange, modeled = results["cold_converge"], results["no_change_converge"], results["modeled_aws"]
    relay = results["relay"]
    rows = [
        ("cold converge wall (median of 3)", f"{cold['wall_seconds']} s", f"runs {cold['wall_seconds_runs']}"),
        ("cold converge tasks / changed", f"{cold['tasks']} / {cold['changed']}", ""),
        ("cold converge API requests", _requests(cold["requests"]), ""),
        ("no-change converge wall", f"{nochange['wall_seconds']} s", "goal < 45 s"),
        ("no-change converge tasks / changed", f"{nochange['tasks']} / {nochange['changed']}", "goal changed 0"),
        ("no-change converge API requests", _requests(nochange["requests"]), "goal 0 mutating"),
        (
            "no-change reads per managed resource",
            f"{nochange['reads_per_resource']}",
            f"{nochange['managed_resources']} resources; goal <= 2",
        ),
        (
            f"relay added round trip ({relay['invocations']} calls)",
            f"median {relay['added_round_trip_ms']['median']} ms, p99 {relay['added_round_trip_ms']['p99']} ms",
            "goal median < 5 ms, p99 < 20 ms",
        ),
        (
            f"relay with {relay['concurrent']['concurrency']} concurrent",
            f"{relay['concurrent']['invocations_per_second']} invocations/s",
            f"round trip median {relay['concurrent']['round_trip_ms']['median']} ms, "
            f"p99 {relay['concurrent']['round_trip_ms']['p99']} ms",
        ),
        (
            "relay fail-fast without a client",
            f"median {relay['fail_fast_ms']['median']} ms, max {relay['fail_fast_ms']['max']} ms",
            "goal < 2 s",
        ),
        (
            f"modeled AWS wall / critical path ({modeled['scale_seconds_per_aws_minute']:g} s per AWS minute)",
            f"{modeled['wall_seconds']} s / {modeled['critical_path_seconds']:g} s = {modeled['ratio']}",
            f"{' -> '.join(modeled['critical_path'])}; sum of all waits {modeled['sum_of_waits_seconds']:g} s",
        ),
        (
            "modeled critical path (AWS minutes)",
            f"{modeled['critical_path_aws_minutes']:g} (cluster-then-writer chain: "
            f"{modeled['chain_critical_path_aws_minutes']:g})",
            f"{' -> '.join(modeled['critical_path'])}; chain {' -> '.join(modeled['chain_critical_path'])}",
        ),
        (
            "modeled overhead beyond the critical path",
            f"{modeled['overhead_seconds']} s",
            f"untimed converge {modeled['untimed_wall_seconds']} s",
        ),
        (
            "projected AWS wall / critical path (60 s per minute)",
            f"{modeled['projected_aws_ratio']}",
            "(critical path x 60 + overhead) / (critical path x 60); goal <= 1.15",
        ),
    ]
    width = max(len(row[0]) for row in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:<40}  {note}")
    print("\nno-change converge: managed resources of the stage by kind (tests/census.py):")
    print("  " + ", ".join(f"{kind} {n}" for kind, n in nochange["managed_resources_by_kind"].items() if n))
    for name in ("cold_converge", "no_change_converge"):
        print(f"\n{name} requests by service:")
        for service, counts in results[name]["requests"]["by_service"].items():
            print(f"  {service:<16} read {counts.get('read', 0):>5}   mutating {counts.get('mutating', 0):>5}")
    print(f"\nwritten to {(BUILD / 'bench.json').relative_to(ROOT)}")


def _requests(summary: dict) -> str:
    return f"{summary['total']} ({summary['read']} read, {summary['mutating']} mutating)"


if __name__ == "__main__":
    os.environ.setdefault("ANSIBLE_NOCOLOR", "1")
    sys.exit(main())
