"""site.yml writes the stage's outputs (what livestack-sql reads) beside the VPN profiles, 0600, by default;
teardown.yml deletes that file and no file of the user's beside it."""

from __future__ import annotations

import json
import stat

from conftest import TEST_CONFIG_ROOT

STAGE = "outputs"


def test_site_writes_the_outputs_beside_the_profiles_and_teardown_deletes_only_them(emulator, run_playbook):
    config = TEST_CONFIG_ROOT / STAGE  # the test stage's client_vpn_config_dir: ~/.livestack/<project>-<stage>
    outputs = config / "outputs.json"

    check = run_playbook("site.yml", "--tags", "network", "--check", stage=STAGE)
    assert check.rc == 0, check.output[-3000:]
    assert not outputs.exists()

    first = run_playbook("site.yml", "--tags", "network", stage=STAGE)
    assert first.rc == 0, first.output[-3000:]
    assert stat.S_IMODE(outputs.stat().st_mode) == 0o600
    written = json.loads(outputs.read_text())
    assert written["stage"] == {
        "project": "livestack",
        "stage": STAGE,
        "region": "us-east-1",
        "endpoint_url": emulator.url,
        "ca_bundle_url": f"{emulator.url}/_livestack/ca-bundle.pem",
    }
    assert written["network"]["vpc_id"].startswith("vpc-")

    again = run_playbook("site.yml", "--tags", "network", "--check", "--diff", stage=STAGE)
    assert again.rc == 0 and again.recap["changed"] == 0, again.output[-3000:]

    mine = config / "notes.txt"
    mine.write_text("the user's own file\n")
    down = run_playbook("teardown.yml", "--tags", "network", stage=STAGE)
    assert down.rc == 0, down.output[-3000:]
    assert f"deleted outputs file {outputs}" in down.output
    assert not outputs.exists() and mine.read_text() == "the user's own file\n"
